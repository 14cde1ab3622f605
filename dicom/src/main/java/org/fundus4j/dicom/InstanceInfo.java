package org.fundus4j.dicom;

import java.util.Objects;

/**
 * Identity and image geometry of one DICOM instance, read from its header.
 *
 * <p>UIDs are as stored in the file (trailing padding removed). {@code laterality} is the
 * Image Laterality (0020,0062), or Laterality (0020,0060) when the former is absent, reduced
 * to {@code "R"}, {@code "L"}, {@code "B"} or {@code ""} (unknown, unpaired or absent).
 * Non-image instances (for example a structured report) have {@code rows}, {@code columns}
 * and {@code samplesPerPixel} of 0 and an empty photometric interpretation.
 *
 * <pre>{@code
 * InstanceInfo info = DicomImages.readInfo(Path.of("eye.dcm"));
 * boolean colour = info.samplesPerPixel() == 3;
 * }</pre>
 *
 * @param sopClassUid SOP Class UID (0008,0016), never blank
 * @param sopInstanceUid SOP Instance UID (0008,0018), never blank
 * @param studyInstanceUid Study Instance UID (0020,000D), empty if absent
 * @param seriesInstanceUid Series Instance UID (0020,000E), empty if absent
 * @param transferSyntaxUid Transfer Syntax UID (0002,0010) of the file
 * @param modality Modality (0008,0060), empty if absent
 * @param laterality {@code "R"}, {@code "L"}, {@code "B"} or {@code ""}
 * @param rows Rows (0028,0010), 0 for non-images
 * @param columns Columns (0028,0011), 0 for non-images
 * @param samplesPerPixel Samples per Pixel (0028,0002), 0 for non-images
 * @param photometricInterpretation Photometric Interpretation (0028,0004) as stored
 */
public record InstanceInfo(String sopClassUid, String sopInstanceUid, String studyInstanceUid,
    String seriesInstanceUid, String transferSyntaxUid, String modality, String laterality,
    int rows, int columns, int samplesPerPixel, String photometricInterpretation) {

  /** Checks the values: UIDs of the instance present, laterality one of R/L/B/empty, sizes not negative. */
  public InstanceInfo {
    Objects.requireNonNull(sopClassUid, "sopClassUid");
    Objects.requireNonNull(sopInstanceUid, "sopInstanceUid");
    if (sopClassUid.isBlank() || sopInstanceUid.isBlank()) {
      throw new IllegalArgumentException("SOP Class UID and SOP Instance UID must not be blank: '"
          + sopClassUid + "', '" + sopInstanceUid + "'");
    }
    studyInstanceUid = Objects.requireNonNullElse(studyInstanceUid, "");
    seriesInstanceUid = Objects.requireNonNullElse(seriesInstanceUid, "");
    transferSyntaxUid = Objects.requireNonNullElse(transferSyntaxUid, "");
    modality = Objects.requireNonNullElse(modality, "");
    laterality = Objects.requireNonNullElse(laterality, "");
    photometricInterpretation = Objects.requireNonNullElse(photometricInterpretation, "");
    if (!(laterality.isEmpty() || laterality.equals("R") || laterality.equals("L")
        || laterality.equals("B"))) {
      throw new IllegalArgumentException(
          "Laterality must be \"R\", \"L\", \"B\" or \"\", got '" + laterality + "'");
    }
    if (rows < 0 || columns < 0 || samplesPerPixel < 0) {
      throw new IllegalArgumentException("Rows, columns and samples per pixel must not be negative: "
          + rows + "x" + columns + "x" + samplesPerPixel);
    }
  }

  /** Returns whether the header describes pixel data (rows, columns and samples all positive). */
  public boolean isImage() {
    return rows > 0 && columns > 0 && samplesPerPixel > 0;
  }
}

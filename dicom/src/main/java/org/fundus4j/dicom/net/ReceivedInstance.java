package org.fundus4j.dicom.net;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A DICOM Part 10 file that has just arrived (C-STORE into our SCP, C-GET sub-operation or WADO-RS part).
 *
 * @param file where it was written; the handler may move it
 * @param sopClassUid SOP Class UID from the file
 * @param sopInstanceUid SOP Instance UID from the file
 * @param studyInstanceUid Study Instance UID from the file
 * @param seriesInstanceUid Series Instance UID from the file
 * @param transferSyntaxUid transfer syntax the data set is encoded in
 * @param sourceAe AE title of the sender ("" for DICOMweb)
 */
public record ReceivedInstance(
    Path file,
    String sopClassUid,
    String sopInstanceUid,
    String studyInstanceUid,
    String seriesInstanceUid,
    String transferSyntaxUid,
    String sourceAe) {

  /** Requires the file and the SOP Instance UID, which everything downstream is keyed on. */
  public ReceivedInstance {
    if (file == null) {
      throw new IllegalArgumentException("file must not be null");
    }
    if (sopInstanceUid == null || sopInstanceUid.isBlank()) {
      throw new IllegalArgumentException("Received file has no SOP Instance UID: " + file);
    }
  }

  /** Reads the UIDs and transfer syntax of a Part 10 file (stops before the pixel data). */
  public static ReceivedInstance read(Path file) throws IOException {
    return Part10.describe(file, "");
  }
}

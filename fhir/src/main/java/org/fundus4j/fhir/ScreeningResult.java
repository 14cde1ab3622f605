package org.fundus4j.fhir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.InstanceInfo;
import org.fundus4j.dicom.PatientRef;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.UidGenerator;

/**
 * Everything the FHIR results of one screened image are made of: the source image's identity, its SR's
 * SOP Instance UID, the algorithm, and the findings (with the model's calls where it has an operating point).
 *
 * <pre>{@code
 * ScreeningResult r = ScreeningResult.read(Path.of("eye.dcm"), List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.87)),
 *     sr.sopInstanceUid(), new AlgorithmId("fundus4j ResNet-50", "0.1.0"), Map.of(), Instant.now());
 * }</pre>
 *
 * @param image the screened image's header (study, series, instance and SOP class UIDs, modality, laterality)
 * @param patient Patient ID and issuer of the image, possibly empty
 * @param srSopInstanceUid SOP Instance UID of the image's SR: the DiagnosticReport's identifier
 * @param algorithm name and version of the model: the Device
 * @param findings one or more findings: one Observation each
 * @param calls the model's call per finding concept (true = present); concepts without a call are absent
 * @param issued when the result was made (Observation.issued, DiagnosticReport.issued)
 */
public record ScreeningResult(InstanceInfo image, PatientRef patient, String srSopInstanceUid, AlgorithmId algorithm,
    List<Finding> findings, Map<CodedConcept, Boolean> calls, Instant issued) {

  /** Checks the values: an image with a Study Instance UID, a valid SR UID, at least one finding. */
  public ScreeningResult {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(patient, "patient");
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(issued, "issued");
    if (image.studyInstanceUid().isEmpty() || image.seriesInstanceUid().isEmpty()) {
      throw new IllegalArgumentException("Image " + image.sopInstanceUid() + " has no Study or Series Instance UID"
          + " (0020,000D/000E); a FHIR ImagingStudy reference needs both");
    }
    if (!UidGenerator.isValid(srSopInstanceUid)) {
      throw new IllegalArgumentException("SR SOP Instance UID is not a valid UID: '" + srSopInstanceUid + "'");
    }
    findings = List.copyOf(findings);
    if (findings.isEmpty()) {
      throw new IllegalArgumentException("A screening result needs at least one finding (image "
          + image.sopInstanceUid() + ")");
    }
    calls = Map.copyOf(calls);
  }

  /**
   * Reads the image's header for a result.
   *
   * @throws DicomReadException naming the file when its header cannot be read
   */
  public static ScreeningResult read(Path image, List<Finding> findings, String srSopInstanceUid,
      AlgorithmId algorithm, Map<CodedConcept, Boolean> calls, Instant issued) throws DicomReadException {
    return new ScreeningResult(DicomImages.readInfo(image), DicomImages.readPatient(image), srSopInstanceUid,
        algorithm, findings, calls, issued);
  }
}

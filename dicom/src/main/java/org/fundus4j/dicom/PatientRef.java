package org.fundus4j.dicom;

import java.util.Objects;

/**
 * Who an image belongs to, as far as a result needs it to be filed: Patient ID (0010,0020) and
 * Issuer of Patient ID (0010,0021), both possibly empty. Never logged.
 *
 * <pre>{@code
 * PatientRef patient = DicomImages.readPatient(Path.of("eye.dcm"));
 * boolean known = !patient.patientId().isEmpty();
 * }</pre>
 *
 * @param patientId Patient ID (0010,0020), empty when absent
 * @param issuer Issuer of Patient ID (0010,0021), empty when absent
 */
public record PatientRef(String patientId, String issuer) {

  /** Replaces absent values by empty strings. */
  public PatientRef {
    patientId = Objects.requireNonNullElse(patientId, "").strip();
    issuer = Objects.requireNonNullElse(issuer, "").strip();
  }

  /** Hides the values: a result's identity must never reach a log line through {@code toString}. */
  @Override
  public String toString() {
    return "PatientRef[" + (patientId.isEmpty() ? "none" : "present") + "]";
  }
}

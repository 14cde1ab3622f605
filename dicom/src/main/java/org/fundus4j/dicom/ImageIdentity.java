package org.fundus4j.dicom;

import java.time.LocalDate;
import java.util.Objects;
import org.fundus4j.dicom.sr.UidGenerator;

/**
 * Patient, study, series and instance identity of an image to be written by
 * {@link OphthalmicPhotoWriter}.
 *
 * <pre>{@code
 * UidGenerator uids = UidGenerator.uuidDerived();
 * ImageIdentity id = new ImageIdentity("SYN-0001", "Synthetic^Patient", uids.next(), uids.next(),
 *     uids.next(), "L", LocalDate.of(2024, 1, 31));
 * }</pre>
 *
 * @param patientId Patient ID (0010,0020), may be empty, at most 64 characters
 * @param patientName Patient's Name (0010,0010) in DICOM PN form ({@code Family^Given}), may be empty
 * @param studyInstanceUid Study Instance UID (0020,000D)
 * @param seriesInstanceUid Series Instance UID (0020,000E)
 * @param sopInstanceUid SOP Instance UID (0008,0018)
 * @param laterality Image Laterality (0020,0062): {@code "R"}, {@code "L"} or {@code "B"}
 * @param studyDate Study Date (0008,0020); also used as content and acquisition date
 */
public record ImageIdentity(String patientId, String patientName, String studyInstanceUid,
    String seriesInstanceUid, String sopInstanceUid, String laterality, LocalDate studyDate) {

  /** Checks lengths, UID syntax (PS3.5 9.1) and laterality. */
  public ImageIdentity {
    Objects.requireNonNull(patientId, "patientId");
    Objects.requireNonNull(patientName, "patientName");
    Objects.requireNonNull(studyDate, "studyDate");
    if (patientId.length() > 64 || patientId.contains("\\")) {
      throw new IllegalArgumentException("Patient ID must be at most 64 characters without '\\' (LO), got "
          + patientId.length() + " characters");
    }
    if (patientName.contains("\\")) {
      throw new IllegalArgumentException("Patient name must not contain '\\'");
    }
    requireUid("studyInstanceUid", studyInstanceUid);
    requireUid("seriesInstanceUid", seriesInstanceUid);
    requireUid("sopInstanceUid", sopInstanceUid);
    if (!("R".equals(laterality) || "L".equals(laterality) || "B".equals(laterality))) {
      throw new IllegalArgumentException("Image Laterality (0020,0062) must be R, L or B, got '" + laterality + "'");
    }
  }

  private static void requireUid(String field, String uid) {
    if (!UidGenerator.isValid(uid)) {
      throw new IllegalArgumentException(field + " is not a valid DICOM UID (digits and dots, at most 64"
          + " characters, no leading zeros): '" + uid + "'");
    }
  }
}

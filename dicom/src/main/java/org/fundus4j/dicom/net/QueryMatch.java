package org.fundus4j.dicom.net;

import java.util.List;

/**
 * One C-FIND / QIDO-RS match. Strings are empty when the peer did not return the attribute.
 *
 * <p>Holds the Patient ID because pulling needs it; never log it (STYLE: no patient identifiers in logs).
 *
 * @param level the level of the query that produced this match
 * @param studyInstanceUid Study Instance UID
 * @param seriesInstanceUid Series Instance UID ("" at STUDY level)
 * @param sopInstanceUid SOP Instance UID ("" above IMAGE level)
 * @param sopClassUid SOP Class UID (IMAGE level)
 * @param patientId Patient ID
 * @param studyDate study date as DICOM DA (YYYYMMDD)
 * @param modalities ModalitiesInStudy (STUDY) or Modality (SERIES)
 * @param laterality Laterality (SERIES) or ImageLaterality (IMAGE)
 * @param numberOfInstances number of related instances, -1 when unknown
 */
public record QueryMatch(
    QueryLevel level,
    String studyInstanceUid,
    String seriesInstanceUid,
    String sopInstanceUid,
    String sopClassUid,
    String patientId,
    String studyDate,
    List<String> modalities,
    String laterality,
    int numberOfInstances) {

  /** Replaces nulls by empty values and copies the list. */
  public QueryMatch {
    if (level == null) {
      throw new IllegalArgumentException("level must not be null");
    }
    studyInstanceUid = nz(studyInstanceUid);
    seriesInstanceUid = nz(seriesInstanceUid);
    sopInstanceUid = nz(sopInstanceUid);
    sopClassUid = nz(sopClassUid);
    patientId = nz(patientId);
    studyDate = nz(studyDate);
    modalities = modalities == null ? List.of() : List.copyOf(modalities);
    laterality = nz(laterality);
  }

  private static String nz(String s) {
    return s == null ? "" : s.strip();
  }
}

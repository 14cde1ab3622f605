package org.fundus4j.dicom.net;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Study Root C-FIND / QIDO-RS query with the filters that matter for fundus work.
 *
 * <p>Hierarchical like the standard (PS3.4 C.4.1.3.1): series queries need a study UID, image
 * queries need study and series UIDs. Filters map onto attributes per level:
 * <table>
 * <caption>filter to attribute</caption>
 * <tr><th>filter</th><th>STUDY</th><th>SERIES</th><th>IMAGE</th></tr>
 * <tr><td>modalities</td><td>ModalitiesInStudy</td><td>Modality</td><td>-</td></tr>
 * <tr><td>SOP class</td><td>-</td><td>-</td><td>SOPClassUID</td></tr>
 * <tr><td>laterality</td><td>-</td><td>Laterality</td><td>ImageLaterality</td></tr>
 * </table>
 * <pre>{@code
 * DicomQuery q = DicomQuery.studies()
 *     .withPatientId("12345")
 *     .withStudyDates(LocalDate.of(2024, 1, 1), LocalDate.of(2024, 12, 31))
 *     .withModalities(Set.of("OP"));
 * }</pre>
 * Values are the empty string / empty set / null when not filtered.
 *
 * @param level query level
 * @param patientId exact Patient ID, or "" for any
 * @param studyDateFrom first study date included, or null for open
 * @param studyDateTo last study date included, or null for open
 * @param modalities any-of modality codes (e.g. OP, XC, SC), empty for any
 * @param sopClassUid SOP Class UID, or "" for any
 * @param laterality R, L or B, or "" for any
 * @param studyInstanceUid Study Instance UID, "" for any (required below STUDY)
 * @param seriesInstanceUid Series Instance UID, "" for any (required at IMAGE)
 */
public record DicomQuery(
    QueryLevel level,
    String patientId,
    LocalDate studyDateFrom,
    LocalDate studyDateTo,
    Set<String> modalities,
    String sopClassUid,
    String laterality,
    String studyInstanceUid,
    String seriesInstanceUid) {

  private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");
  private static final Pattern MODALITY = Pattern.compile("[A-Z0-9_]{1,16}");
  static final DateTimeFormatter DA = DateTimeFormatter.BASIC_ISO_DATE;

  /** Validates the combination; throws {@link IllegalArgumentException} naming the field. */
  public DicomQuery {
    if (level == null) {
      throw new IllegalArgumentException("Query level must not be null");
    }
    patientId = patientId == null ? "" : patientId;
    modalities = modalities == null ? Set.of() : Set.copyOf(modalities);
    sopClassUid = sopClassUid == null ? "" : sopClassUid;
    laterality = laterality == null ? "" : laterality;
    studyInstanceUid = studyInstanceUid == null ? "" : studyInstanceUid;
    seriesInstanceUid = seriesInstanceUid == null ? "" : seriesInstanceUid;
    if (patientId.contains("\\") || patientId.contains("*") || patientId.contains("?")) {
      throw new IllegalArgumentException("Patient ID filter must be an exact value (no \\ * ?)");
    }
    if (studyDateFrom != null && studyDateTo != null && studyDateFrom.isAfter(studyDateTo)) {
      throw new IllegalArgumentException(
          "Study date range is empty: from " + studyDateFrom + " is after to " + studyDateTo);
    }
    for (String m : modalities) {
      if (!MODALITY.matcher(m).matches()) {
        throw new IllegalArgumentException("Modality must be a DICOM code like OP, XC or SC, got '" + m + "'");
      }
    }
    checkUid("SOP Class UID", sopClassUid);
    checkUid("Study Instance UID", studyInstanceUid);
    checkUid("Series Instance UID", seriesInstanceUid);
    if (!laterality.isEmpty() && !List.of("R", "L", "B").contains(laterality)) {
      throw new IllegalArgumentException("Laterality must be R, L or B, got '" + laterality + "'");
    }
    switch (level) {
      case STUDY -> {
        if (!laterality.isEmpty()) {
          throw new IllegalArgumentException("Laterality is not a study attribute; query SERIES or IMAGE level");
        }
        if (!sopClassUid.isEmpty()) {
          throw new IllegalArgumentException("Filter SOP classes at IMAGE level (SOPClassesInStudy matching is not"
              + " supported by common PACS such as Orthanc)");
        }
      }
      case SERIES -> {
        requireUid("SERIES", "Study Instance UID", studyInstanceUid);
        if (!sopClassUid.isEmpty()) {
          throw new IllegalArgumentException("SOP Class is not a series attribute; query IMAGE level");
        }
      }
      case IMAGE -> {
        requireUid("IMAGE", "Study Instance UID", studyInstanceUid);
        requireUid("IMAGE", "Series Instance UID", seriesInstanceUid);
        if (!modalities.isEmpty()) {
          throw new IllegalArgumentException("Modality is not an image attribute; filter at STUDY or SERIES level");
        }
      }
    }
  }

  private static void checkUid(String name, String uid) {
    if (!uid.isEmpty() && (uid.length() > 64 || !UID.matcher(uid).matches())) {
      throw new IllegalArgumentException(name + " must be digits and dots, at most 64 characters: '" + uid + "'");
    }
  }

  private static void requireUid(String level, String name, String uid) {
    if (uid.isEmpty()) {
      throw new IllegalArgumentException(level + "-level queries need a " + name + " (hierarchical query, PS3.4 C.4.1.3.1)");
    }
  }

  /** All studies (no filter yet). */
  public static DicomQuery studies() {
    return new DicomQuery(QueryLevel.STUDY, "", null, null, Set.of(), "", "", "", "");
  }

  /** All series of one study. */
  public static DicomQuery series(String studyInstanceUid) {
    return new DicomQuery(QueryLevel.SERIES, "", null, null, Set.of(), "", "", studyInstanceUid, "");
  }

  /** All instances of one series. */
  public static DicomQuery images(String studyInstanceUid, String seriesInstanceUid) {
    return new DicomQuery(QueryLevel.IMAGE, "", null, null, Set.of(), "", "", studyInstanceUid, seriesInstanceUid);
  }

  /** A copy filtered on an exact Patient ID. */
  public DicomQuery withPatientId(String id) {
    return new DicomQuery(level, id, studyDateFrom, studyDateTo, modalities, sopClassUid, laterality,
        studyInstanceUid, seriesInstanceUid);
  }

  /** A copy filtered on a study date range, both ends included, either may be null (open). */
  public DicomQuery withStudyDates(LocalDate from, LocalDate to) {
    return new DicomQuery(level, patientId, from, to, modalities, sopClassUid, laterality,
        studyInstanceUid, seriesInstanceUid);
  }

  /** A copy keeping only the given modalities (any of). */
  public DicomQuery withModalities(Set<String> anyOf) {
    return new DicomQuery(level, patientId, studyDateFrom, studyDateTo, anyOf, sopClassUid, laterality,
        studyInstanceUid, seriesInstanceUid);
  }

  /** A copy keeping only one SOP class. */
  public DicomQuery withSopClassUid(String uid) {
    return new DicomQuery(level, patientId, studyDateFrom, studyDateTo, modalities, uid, laterality,
        studyInstanceUid, seriesInstanceUid);
  }

  /** A copy keeping only one laterality (R, L or B). */
  public DicomQuery withLaterality(String rlb) {
    return new DicomQuery(level, patientId, studyDateFrom, studyDateTo, modalities, sopClassUid, rlb,
        studyInstanceUid, seriesInstanceUid);
  }

  /** A copy restricted to one study. */
  public DicomQuery withStudyInstanceUid(String uid) {
    return new DicomQuery(level, patientId, studyDateFrom, studyDateTo, modalities, sopClassUid, laterality,
        uid, seriesInstanceUid);
  }

  /** The DICOM range-matching value for StudyDate ("" when unfiltered, "20240101-20241231", "-20241231"). */
  public String studyDateRange() {
    if (studyDateFrom == null && studyDateTo == null) {
      return "";
    }
    return (studyDateFrom == null ? "" : DA.format(studyDateFrom)) + "-"
        + (studyDateTo == null ? "" : DA.format(studyDateTo));
  }
}

package org.fundus4j.dicom.net;

/**
 * What a C-MOVE, C-GET or WADO-RS retrieve asks for: a whole study, one series or one instance.
 *
 * <pre>{@code
 * RetrieveTarget.study("1.2.3");
 * RetrieveTarget.instance("1.2.3", "1.2.3.4", "1.2.3.4.5");
 * }</pre>
 *
 * @param level STUDY, SERIES or IMAGE
 * @param studyInstanceUid always required
 * @param seriesInstanceUid required at SERIES and IMAGE level, "" otherwise
 * @param sopInstanceUid required at IMAGE level, "" otherwise
 */
public record RetrieveTarget(QueryLevel level, String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid) {

  /** Checks that the UIDs needed by the level are there (and no others). */
  public RetrieveTarget {
    if (level == null) {
      throw new IllegalArgumentException("Retrieve level must not be null");
    }
    studyInstanceUid = studyInstanceUid == null ? "" : studyInstanceUid;
    seriesInstanceUid = seriesInstanceUid == null ? "" : seriesInstanceUid;
    sopInstanceUid = sopInstanceUid == null ? "" : sopInstanceUid;
    if (studyInstanceUid.isEmpty()) {
      throw new IllegalArgumentException("A retrieve needs a Study Instance UID");
    }
    boolean needSeries = level != QueryLevel.STUDY;
    if (needSeries == seriesInstanceUid.isEmpty()) {
      throw new IllegalArgumentException("Series Instance UID is " + (needSeries ? "required" : "not allowed")
          + " for a " + level + "-level retrieve of study " + studyInstanceUid);
    }
    boolean needSop = level == QueryLevel.IMAGE;
    if (needSop == sopInstanceUid.isEmpty()) {
      throw new IllegalArgumentException("SOP Instance UID is " + (needSop ? "required" : "not allowed")
          + " for a " + level + "-level retrieve of study " + studyInstanceUid);
    }
  }

  /** Every instance of a study. */
  public static RetrieveTarget study(String studyInstanceUid) {
    return new RetrieveTarget(QueryLevel.STUDY, studyInstanceUid, "", "");
  }

  /** Every instance of a series. */
  public static RetrieveTarget series(String studyInstanceUid, String seriesInstanceUid) {
    return new RetrieveTarget(QueryLevel.SERIES, studyInstanceUid, seriesInstanceUid, "");
  }

  /** One instance. */
  public static RetrieveTarget instance(String studyInstanceUid, String seriesInstanceUid, String sopInstanceUid) {
    return new RetrieveTarget(QueryLevel.IMAGE, studyInstanceUid, seriesInstanceUid, sopInstanceUid);
  }
}

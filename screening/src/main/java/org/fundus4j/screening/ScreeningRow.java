package org.fundus4j.screening;

import java.nio.file.Path;

/**
 * One input of a screening run and what became of it; every input gets exactly one row.
 *
 * @param file the input file
 * @param sopInstanceUid the image's SOP Instance UID, or empty when the file could not be read
 * @param status {@link Status#SCREENED}, {@link Status#DUPLICATE} or {@link Status#ERROR}
 * @param result the model's findings or vessel map; null unless screened
 * @param output the file written for the input: its DICOM SR (classifiers) or vessel mask PNG (segmentation);
 *     null unless screened
 * @param reason why the file failed or was skipped as a duplicate (naming both files), or null
 */
public record ScreeningRow(Path file, String sopInstanceUid, Status status, ScreeningResult result, Path output,
    String reason) {

  /** What happened to one input. */
  public enum Status {
    /** Screened; {@link #output()} holds what was written for it. */
    SCREENED,
    /** Not screened: an earlier input of the run has the same SOP Instance UID (the reason names it). */
    DUPLICATE,
    /** Not screened: the reason says why. */
    ERROR
  }

  public ScreeningRow {
    if (status != Status.SCREENED && (reason == null || reason.isBlank())) {
      throw new IllegalArgumentException("A " + status + " row needs a reason: " + file);
    }
    if (status == Status.SCREENED && (result == null || output == null)) {
      throw new IllegalArgumentException("A screened row needs its result and output file: " + file);
    }
    sopInstanceUid = sopInstanceUid == null ? "" : sopInstanceUid;
  }

  /** The first reported finding's probability (the abnormal-fundus probability of a binary model), else NaN. */
  public double probability() {
    return result == null || result.findings().isEmpty() ? Double.NaN : result.findings().get(0).probability();
  }

  static ScreeningRow error(Path file, String sopInstanceUid, String reason) {
    return new ScreeningRow(file, sopInstanceUid, Status.ERROR, null, null, reason);
  }
}

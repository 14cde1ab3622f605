package org.fundus4j.samples.screening;

import java.nio.file.Path;

/**
 * One input of a screening run and what became of it; every input gets exactly one row.
 *
 * @param file the input file
 * @param sopInstanceUid the image's SOP Instance UID, or empty when the file could not be read
 * @param status {@link Status#SCREENED} or {@link Status#ERROR}
 * @param probability the model's probability of an abnormal fundus, or NaN on error
 * @param srFile the Structured Report written for the image, or null on error
 * @param reason why the file failed, or null
 */
public record ScreeningRow(Path file, String sopInstanceUid, Status status, double probability, Path srFile,
    String reason) {

  /** What happened to one input. */
  public enum Status { SCREENED, ERROR }

  public ScreeningRow {
    if (status == Status.ERROR && (reason == null || reason.isBlank())) {
      throw new IllegalArgumentException("An error row needs a reason: " + file);
    }
    sopInstanceUid = sopInstanceUid == null ? "" : sopInstanceUid;
  }

  static ScreeningRow error(Path file, String sopInstanceUid, String reason) {
    return new ScreeningRow(file, sopInstanceUid, Status.ERROR, Double.NaN, null, reason);
  }
}

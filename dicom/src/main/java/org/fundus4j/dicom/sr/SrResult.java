package org.fundus4j.dicom.sr;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A structured report that was written: its SOP Instance UID and its file.
 *
 * @param sopInstanceUid SOP Instance UID (0008,0018) of the new SR
 * @param file where it was written
 */
public record SrResult(String sopInstanceUid, Path file) {

  /** Checks that both values are present and the UID is valid. */
  public SrResult {
    Objects.requireNonNull(file, "file");
    if (!UidGenerator.isValid(sopInstanceUid)) {
      throw new IllegalArgumentException("Not a valid UID: '" + sopInstanceUid + "'");
    }
  }
}

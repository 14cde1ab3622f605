package org.fundus4j.dicom.net;

import java.util.List;

/**
 * Outcome of a C-STORE or STOW-RS push.
 *
 * @param stored instances the peer accepted
 * @param failed instances refused or never answered
 * @param failures one short reason per failure (file name and a hash of the SOP Instance UID)
 */
public record StoreSummary(int stored, int failed, List<String> failures) {

  /** Checks counts and copies the list. */
  public StoreSummary {
    if (stored < 0 || failed < 0) {
      throw new IllegalArgumentException("Counts must be >= 0: stored " + stored + ", failed " + failed);
    }
    failures = List.copyOf(failures);
  }
}

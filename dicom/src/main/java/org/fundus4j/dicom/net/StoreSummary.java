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

  /**
   * This summary when the peer accepted all {@code files} instances sent; otherwise a {@link PacsException} saying
   * how many of them {@code peer} accepted and why the others were not.
   */
  public StoreSummary requireAll(int files, String peer) throws PacsException {
    if (stored != files || failed > 0) {
      throw new PacsException(peer + " accepted " + stored + " of " + files + " instance(s): " + failures, null);
    }
    return this;
  }
}

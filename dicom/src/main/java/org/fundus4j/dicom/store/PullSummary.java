package org.fundus4j.dicom.store;

import java.time.Duration;

/**
 * What one {@link StudyPuller#pull} run did.
 *
 * @param studyInstanceUid the study
 * @param method how instances were fetched
 * @param found instances the PACS listed
 * @param alreadyOnDisk of those, instances a previous run had stored
 * @param retrieved instances stored by this run
 * @param duplicates instances the PACS sent again and that were dropped
 * @param failed instances still missing after this run (recorded FAILED with a reason)
 * @param took wall-clock time
 */
public record PullSummary(String studyInstanceUid, RetrieveMethod method, int found, int alreadyOnDisk,
    int retrieved, int duplicates, int failed, Duration took) {

  /** Checks that counts are not negative. */
  public PullSummary {
    if (found < 0 || alreadyOnDisk < 0 || retrieved < 0 || duplicates < 0 || failed < 0) {
      throw new IllegalArgumentException("Pull counts must be >= 0");
    }
  }

  /** True when every listed instance is on disk. */
  public boolean complete() {
    return failed == 0;
  }
}

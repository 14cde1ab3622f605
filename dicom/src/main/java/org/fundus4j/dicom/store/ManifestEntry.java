package org.fundus4j.dicom.store;

import java.time.Instant;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.Uids;

/**
 * The latest known state of one SOP instance.
 *
 * @param sopInstanceUid key of the entry
 * @param studyInstanceUid study ("" if unknown)
 * @param seriesInstanceUid series ("" if unknown)
 * @param sopClassUid SOP class ("" if unknown)
 * @param state pipeline state
 * @param file path of the file relative to the store root, "" while not on disk
 * @param detail failure reason, algorithm id or SR UID depending on the state ("" if none)
 * @param updated when this state was recorded
 */
public record ManifestEntry(
    String sopInstanceUid,
    String studyInstanceUid,
    String seriesInstanceUid,
    String sopClassUid,
    InstanceState state,
    String file,
    String detail,
    Instant updated) {

  /**
   * Requires a valid SOP Instance UID (PS3.5 9.1, {@link Uids}), valid or empty other UIDs, a state and a
   * time; turns null strings into "" and flattens tabs and newlines in detail.
   *
   * @throws IllegalArgumentException naming the attribute and what is wrong with it
   */
  public ManifestEntry {
    Uids.require(sopInstanceUid, "SOP Instance UID");
    studyInstanceUid = Uids.requireOptional(studyInstanceUid, "Study Instance UID");
    seriesInstanceUid = Uids.requireOptional(seriesInstanceUid, "Series Instance UID");
    sopClassUid = Uids.requireOptional(sopClassUid, "SOP Class UID");
    if (state == null || updated == null) {
      throw new IllegalArgumentException("Manifest entry for " + LogSafe.shortHash(sopInstanceUid)
          + " needs a state and a time");
    }
    file = clean(file);
    detail = clean(detail);
  }

  private static String clean(String s) {
    return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
  }

  /** The same instance in another state. */
  public ManifestEntry with(InstanceState newState, String newFile, String newDetail) {
    return new ManifestEntry(sopInstanceUid, studyInstanceUid, seriesInstanceUid, sopClassUid, newState, newFile,
        newDetail, Instant.now());
  }
}

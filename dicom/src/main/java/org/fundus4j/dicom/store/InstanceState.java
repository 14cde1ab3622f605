package org.fundus4j.dicom.store;

/** Where one SOP instance is in the pull / screen / report pipeline, as recorded in the {@link Manifest}. */
public enum InstanceState {
  /** Listed by the PACS (C-FIND / QIDO-RS), not on disk yet. */
  FOUND,
  /** On disk, fsynced (pulled from a PACS or received by the node). */
  RETRIEVED,
  /** Screened by a model; the detail holds the algorithm name and version. */
  SCREENED,
  /** The SR for it was accepted by the destination; the detail holds the SR's SOP Instance UID. */
  SR_SENT,
  /** Gave up; the detail holds the reason. */
  FAILED;

  /** True when the instance's file is (or was) on disk: RETRIEVED, SCREENED or SR_SENT. */
  public boolean hasFile() {
    return this == RETRIEVED || this == SCREENED || this == SR_SENT;
  }
}

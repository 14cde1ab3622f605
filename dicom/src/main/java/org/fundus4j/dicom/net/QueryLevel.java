package org.fundus4j.dicom.net;

/** The Query/Retrieve level of a C-FIND, C-MOVE or C-GET (PS3.4 C.6.2, Study Root model). */
public enum QueryLevel {
  /** One match per study. */
  STUDY,
  /** One match per series; needs a Study Instance UID. */
  SERIES,
  /** One match per SOP instance; needs Study and Series Instance UIDs. */
  IMAGE
}

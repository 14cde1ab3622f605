package org.fundus4j.dicom.store;

/** How {@link StudyPuller} fetches instances. */
public enum RetrieveMethod {
  /** C-MOVE to our own AE title (the PACS must know our host and port). */
  C_MOVE,
  /** C-GET on the query association. */
  C_GET,
  /** DICOMweb WADO-RS with {@code transfer-syntax=*}. */
  WADO_RS
}

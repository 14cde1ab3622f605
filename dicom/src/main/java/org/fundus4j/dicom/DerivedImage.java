package org.fundus4j.dicom;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A derived image written by {@link DerivedImageWriter}: what an SR needs to reference it (PS3.3 C.17.2.3, the
 * evidence sequences; PS3.16 TID 1601, an IMAGE content item).
 *
 * @param sopClassUid Secondary Capture Image Storage
 * @param sopInstanceUid the new image's SOP Instance UID
 * @param seriesInstanceUid its (new) series
 * @param studyInstanceUid the source's study
 * @param file where it was written
 */
public record DerivedImage(String sopClassUid, String sopInstanceUid, String seriesInstanceUid,
    String studyInstanceUid, Path file) {
  public DerivedImage {
    Objects.requireNonNull(sopClassUid, "sopClassUid");
    Objects.requireNonNull(sopInstanceUid, "sopInstanceUid");
    Objects.requireNonNull(seriesInstanceUid, "seriesInstanceUid");
    Objects.requireNonNull(studyInstanceUid, "studyInstanceUid");
    Objects.requireNonNull(file, "file");
  }
}

package org.fundus4j.dicom.net;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.StoredFilePathStrategy;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;

/** Small helpers for DICOM Part 10 files as they arrive: header UIDs, names in the incoming folder. */
final class Part10 {

  private Part10() {
  }

  /** Reads the UIDs of a Part 10 file, stopping before the pixel data. */
  static ReceivedInstance describe(Path file, String sourceAe) throws IOException {
    AttributeList list = new AttributeList();
    try {
      list.read(file.toFile(), TagFromName.PixelData);
    } catch (DicomException e) {
      throw new IOException("Not a readable DICOM Part 10 file: " + file + ": " + e.getMessage(), e);
    }
    String sop = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SOPInstanceUID);
    if (sop.isEmpty()) {
      sop = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.MediaStorageSOPInstanceUID);
    }
    String sopClass = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SOPClassUID);
    if (sopClass.isEmpty()) {
      sopClass = Attribute.getSingleStringValueOrEmptyString(list, TagFromName.MediaStorageSOPClassUID);
    }
    return new ReceivedInstance(file, sopClass, sop,
        Attribute.getSingleStringValueOrEmptyString(list, TagFromName.StudyInstanceUID),
        Attribute.getSingleStringValueOrEmptyString(list, TagFromName.SeriesInstanceUID),
        Attribute.getSingleStringValueOrEmptyString(list, TagFromName.TransferSyntaxUID),
        sourceAe == null ? "" : sourceAe.strip());
  }

  /**
   * Where PixelMed writes an arriving object: a random name in the incoming folder, never one made from
   * the sender's SOP Instance UID, which may hold control characters or {@code ../} until it is checked.
   */
  static final StoredFilePathStrategy INCOMING = new StoredFilePathStrategy() {
    @Override
    public String makeStoredFilePath(String sopInstanceUid) {
      return "rx-" + UUID.randomUUID() + ".dcm";
    }

    @Override
    public File makeStoredFilePath(File folder, String sopInstanceUid) {
      return new File(folder, makeStoredFilePath(sopInstanceUid));
    }

    @Override
    public File makeReliableStoredFilePathWithFoldersCreated(File folder, String sopInstanceUid) {
      folder.mkdirs();
      return makeStoredFilePath(folder, sopInstanceUid);
    }

    @Override
    public File makeReliableStoredFilePathWithFoldersCreated(File folder, String sopInstanceUid, String sub) {
      return makeReliableStoredFilePathWithFoldersCreated(folder, sopInstanceUid);
    }
  };
}

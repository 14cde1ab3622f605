package org.fundus4j.dicom.net;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Small helpers for DICOM Part 10 files: header UIDs, fsync, durable rename. */
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

  /** Forces a file's bytes to the disk. */
  static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Forces a directory entry change (create, rename) to the disk; a no-op where directories cannot be opened. */
  static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms (Windows) cannot open directories; the rename is still atomic there.
    }
  }

  /** Fsyncs {@code source}, renames it atomically to {@code target} (replacing) and fsyncs the target directory. */
  static void durableMove(Path source, Path target) throws IOException {
    fsync(source);
    Files.createDirectories(target.getParent());
    Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(target.getParent());
  }
}

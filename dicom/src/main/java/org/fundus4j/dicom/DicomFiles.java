package org.fundus4j.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.TagFromName;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/** Parsing of DICOM Part 10 files with PixelMed, turning every failure into a {@link DicomReadException}. */
final class DicomFiles {
  private static final byte[] MAGIC = {'D', 'I', 'C', 'M'};
  private static final String DEFLATED = "1.2.840.10008.1.2.1.99";
  private static final java.util.Set<String> NATIVE_TRANSFER_SYNTAXES = java.util.Set.of(
      "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2");

  /**
   * PixelMed's AttributeList logs (through java.util.logging, with a stack trace) the end-of-file
   * errors it then swallows; {@link #checkComplete} detects and reports those itself, so only that
   * logger is silenced. Held in a field so that the level is not lost to garbage collection.
   */
  private static final java.util.logging.Logger PIXELMED_PARSER_LOG =
      java.util.logging.Logger.getLogger("com.pixelmed.dicom.AttributeList");

  static {
    PIXELMED_PARSER_LOG.setLevel(java.util.logging.Level.OFF);
  }

  private DicomFiles() {}

  /**
   * Parses {@code file}; with {@code withPixels} the Pixel Data is read and decompressed,
   * otherwise parsing stops at Pixel Data (7FE0,0010).
   */
  static AttributeList parse(Path file, boolean withPixels) throws DicomReadException {
    return parse(file, withPixels, true);
  }

  /**
   * Parses {@code file}; with {@code withPixels} the Pixel Data is read, and decompressed when
   * {@code decompress} (otherwise encapsulated frames stay as stored); without, parsing stops at Pixel Data.
   */
  static AttributeList parse(Path file, boolean withPixels, boolean decompress) throws DicomReadException {
    checkPart10(file);
    AttributeList list = new AttributeList();
    long end;
    try {
      if (withPixels) {
        list.setDecompressPixelData(decompress);
        end = list.read(file.toString());
      } else {
        list.setDecompressPixelData(false);
        end = list.read(file.toString(), TagFromName.PixelData);
      }
    } catch (EOFException e) {
      throw new DicomReadException(file, "truncated: the file ends inside a data element"
          + (withPixels ? " (possibly inside Pixel Data (7FE0,0010))" : ""), e);
    } catch (DicomException | IOException e) {
      throw new DicomReadException(file, "cannot be parsed as DICOM: " + describe(e), e);
    } catch (RuntimeException e) {
      // PixelMed's decoders signal corrupt or unsupported data with unchecked exceptions.
      throw new DicomReadException(file, "cannot be parsed or decoded: " + describe(e), e);
    }
    checkComplete(file, list, end, withPixels);
    return list;
  }

  /**
   * PixelMed logs and swallows some end-of-file errors; the offset where its parse stopped tells:
   * a complete file ends exactly there, or (header only) Pixel Data (7FE0,0010) starts there.
   */
  private static void checkComplete(Path file, AttributeList list, long end, boolean withPixels) throws DicomReadException {
    long size;
    try {
      size = Files.size(file);
    } catch (IOException e) {
      throw new DicomReadException(file, "cannot be read: " + describe(e), e);
    }
    if (end == size) {
      return;
    }
    if (DEFLATED.equals(Attribute.getSingleStringValueOrEmptyString(list, TagFromName.TransferSyntaxUID))) {
      return; // PixelMed counts offsets in the inflated data set, which is longer than the file
    }
    boolean nativeTs = NATIVE_TRANSFER_SYNTAXES.contains(
        Attribute.getSingleStringValueOrEmptyString(list, TagFromName.TransferSyntaxUID));
    if (end > size && nativeTs) {
      throw new DicomReadException(file, "truncated: data elements declare " + end + " bytes but the file has "
          + size + (withPixels ? " (the cut is inside Pixel Data (7FE0,0010))" : ""));
    }
    if (end > size) {
      return; // PixelMed over-counts some encapsulated (e.g. RLE) Pixel Data; only a short parse is telling
    }
    // PixelMed stops after reading the tag of Pixel Data when told to stop there.
    if (!withPixels && (startsWithPixelDataTag(file, end - 4) || startsWithPixelDataTag(file, end))) {
      return;
    }
    throw new DicomReadException(file, "truncated or corrupt: parsing stopped at byte " + end + " of " + size);
  }

  private static boolean startsWithPixelDataTag(Path file, long offset) throws DicomReadException {
    byte[] tag = new byte[4];
    try (var channel = Files.newByteChannel(file)) {
      if (offset < 0) {
        return false;
      }
      channel.position(offset);
      java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(tag);
      while (buffer.hasRemaining() && channel.read(buffer) > 0) {
        // fill
      }
      if (buffer.hasRemaining()) {
        return false;
      }
    } catch (IOException e) {
      throw new DicomReadException(file, "cannot be read: " + describe(e), e);
    }
    // (7FE0,0010) in little endian; big endian data sets are not expected for fundus photographs
    return (tag[0] & 0xFF) == 0xE0 && (tag[1] & 0xFF) == 0x7F && tag[2] == 0x10 && tag[3] == 0x00
        || (tag[0] & 0xFF) == 0x7F && (tag[1] & 0xFF) == 0xE0 && tag[2] == 0x00 && tag[3] == 0x10;
  }

  /** Rejects missing, empty and non-Part-10 files with a plain reason before PixelMed sees them. */
  static void checkPart10(Path file) throws DicomReadException {
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new DicomReadException(file, "no such file", e);
    } catch (IOException e) {
      throw new DicomReadException(file, "cannot be read: " + describe(e), e);
    }
    if (Files.isDirectory(file)) {
      throw new DicomReadException(file, "is a directory, not a file");
    }
    if (size == 0) {
      throw new DicomReadException(file, "empty file (0 bytes)");
    }
    byte[] head = new byte[132];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    } catch (IOException e) {
      throw new DicomReadException(file, "cannot be read: " + describe(e), e);
    }
    if (n < head.length || !Arrays.equals(Arrays.copyOfRange(head, 128, 132), MAGIC)) {
      throw new DicomReadException(file, "not a DICOM Part 10 file: no 'DICM' marker at byte 128"
          + " (file is " + size + " bytes)");
    }
  }

  /** Builds the header record, failing with the name of a missing required attribute. */
  static InstanceInfo info(AttributeList list, Path file) throws DicomReadException {
    String sopClass = first(list, TagFromName.SOPClassUID);
    if (sopClass.isEmpty()) {
      sopClass = first(list, TagFromName.MediaStorageSOPClassUID);
    }
    String sopInstance = first(list, TagFromName.SOPInstanceUID);
    if (sopInstance.isEmpty()) {
      sopInstance = first(list, TagFromName.MediaStorageSOPInstanceUID);
    }
    if (sopClass.isEmpty()) {
      throw new DicomReadException(file, "missing SOP Class UID (0008,0016)");
    }
    if (sopInstance.isEmpty()) {
      throw new DicomReadException(file, "missing SOP Instance UID (0008,0018)");
    }
    java.util.Optional<String> bad = Uids.problem(sopInstance);
    if (bad.isPresent()) {
      // it would name the SR and enter the node's journals: refused here, once, for check and screening alike
      throw new DicomReadException(file, "SOP Instance UID (0008,0018) " + LogSafe.shortHash(sopInstance)
          + " is not a valid DICOM UID: it " + bad.get());
    }
    String laterality = first(list, TagFromName.ImageLaterality);
    if (laterality.isEmpty()) {
      laterality = first(list, TagFromName.Laterality);
    }
    laterality = laterality.toUpperCase(Locale.ROOT);
    if (!(laterality.equals("R") || laterality.equals("L") || laterality.equals("B"))) {
      laterality = "";
    }
    int rows = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Rows, 0);
    int columns = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.Columns, 0);
    int samples = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.SamplesPerPixel, 0);
    if (rows < 0 || columns < 0 || samples < 0) {
      throw new DicomReadException(file, "negative Rows (0028,0010), Columns (0028,0011) or"
          + " Samples per Pixel (0028,0002): " + rows + ", " + columns + ", " + samples);
    }
    return new InstanceInfo(sopClass, sopInstance,
        first(list, TagFromName.StudyInstanceUID),
        first(list, TagFromName.SeriesInstanceUID),
        first(list, TagFromName.TransferSyntaxUID),
        first(list, TagFromName.Modality),
        laterality, rows, columns, samples,
        first(list, TagFromName.PhotometricInterpretation));
  }

  /** Returns the first value of an attribute, trimmed, or "" when absent or empty. */
  static String first(AttributeList list, com.pixelmed.dicom.AttributeTag tag) {
    return Attribute.getSingleStringValueOrEmptyString(list, tag).trim();
  }

  static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : " (" + message + ")");
  }
}

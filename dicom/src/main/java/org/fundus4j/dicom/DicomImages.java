package org.fundus4j.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.TagFromName;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads DICOM fundus photographs into 8-bit RGB images and header records.
 *
 * <p>Handles Ophthalmic Photography 8 Bit, VL Photographic and Secondary Capture images (any
 * SOP class with Pixel Data) stored uncompressed (implicit/explicit VR), deflated, as JPEG
 * baseline/extended, JPEG lossless, RLE or JPEG 2000. Grey images become three equal channels
 * and YBR colour spaces become RGB; the rules are in the class comment of the converter and
 * in {@link #read(Path)}. Multi-frame images yield their first frame. Not decoded: JPEG-LS,
 * 12-bit JPEG, colour deeper than 8 bits, PALETTE COLOR. Only DICOM Part 10 files (with the
 * 128-byte preamble and {@code DICM} marker) are accepted.
 *
 * <pre>{@code
 * FundusImage image = DicomImages.read(Path.of("eye.dcm"));
 * int rgb = image.rgb().getRGB(700, 700);
 * String eye = image.info().laterality();   // "R", "L", "B" or ""
 * }</pre>
 */
public final class DicomImages {
  private static final Logger LOG = LoggerFactory.getLogger(DicomImages.class);
  /** JPEG baseline (process 1) and extended (processes 2 and 4; 8-bit only is passed on). */
  private static final Set<String> JPEG_TRANSFER_SYNTAXES = Set.of("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51");
  /** Implicit VR Little Endian, Explicit VR Little Endian, Explicit VR Big Endian: pixels stored as they are. */
  private static final Set<String> NATIVE_TRANSFER_SYNTAXES = Set.of("1.2.840.10008.1.2", "1.2.840.10008.1.2.1",
      "1.2.840.10008.1.2.2");

  private DicomImages() {}

  /**
   * Reads the header and decodes the first frame of {@code file} to {@code TYPE_INT_RGB}.
   *
   * <p>MONOCHROME1/2 images are mapped to 0-255 by the first VOI window when one is present
   * (after Rescale Slope/Intercept), kept as stored when 8-bit unsigned without window, and
   * min-max stretched otherwise; MONOCHROME1 is inverted. YBR_FULL and YBR_FULL_422 are
   * converted to RGB with the equations of PS3.3 C.7.6.3.1.2 (for JPEG lossy and JPEG 2000 the
   * codec does it).
   *
   * @param file a DICOM Part 10 file
   * @return the header and the pixels
   * @throws DicomReadException naming the file and the reason: empty, truncated, not DICOM,
   *     no Pixel Data (for example an SR), a header the pixels contradict, a JPEG frame that libjpeg would
   *     decode only in part, or pixels that cannot be decoded ({@link PixelDataCheck}: decode in full or refuse)
   */
  public static FundusImage read(Path file) throws DicomReadException {
    Objects.requireNonNull(file, "file");
    AttributeList stored = DicomFiles.parse(file, true, false);
    InstanceInfo storedInfo = DicomFiles.info(stored, file);
    requireImage(stored, storedInfo, file);
    PixelDataCheck.verify(stored, storedInfo, file);
    return uncompressed(stored, storedInfo) ? convert(stored, storedInfo, file) : decode(file);
  }

  /**
   * Whether {@code list}, parsed with Pixel Data but without decompressing, holds native (uncompressed) pixels:
   * parsing with decompression would give the same list, so it is converted as it is, and the file is read once.
   */
  private static boolean uncompressed(AttributeList list, InstanceInfo info) {
    return NATIVE_TRANSFER_SYNTAXES.contains(info.transferSyntaxUid())
        && !(list.get(TagFromName.PixelData) instanceof OtherByteAttributeMultipleCompressedFrames);
  }

  /** Parses (decompressing) and decodes a file that passed {@link PixelDataCheck}. */
  private static FundusImage decode(Path file) throws DicomReadException {
    AttributeList list = DicomFiles.parse(file, true);
    InstanceInfo info = DicomFiles.info(list, file);
    requireImage(list, info, file);
    return convert(list, info, file);
  }

  /** The first frame of a parsed and checked image as RGB. */
  private static FundusImage convert(AttributeList list, InstanceInfo info, Path file) throws DicomReadException {
    BufferedImage rgb = PixelConverter.toRgb(list, info, file);
    if (LOG.isDebugEnabled()) {
      LOG.debug("decoded {} {}x{} {} ts {}", LogSafe.shortHash(info.sopInstanceUid()), info.columns(),
          info.rows(), info.photometricInterpretation(), info.transferSyntaxUid());
    }
    return new FundusImage(info, rgb);
  }

  /**
   * Reads the header and the first frame of {@code file}, leaving a JPEG frame compressed when a JPEG
   * library can decode it to exactly the pixels of {@link #read(Path)}.
   *
   * <p>Returns a {@link JpegFrame} for single-frame JPEG baseline or 8-bit extended images in colour, or in
   * 8-bit MONOCHROME2 without VOI window or rescaling, whose JPEG frame header agrees with the DICOM header
   * and leaves no doubt about the colour space (the conditions are in {@link JpegFrame}); this is what fundus
   * cameras and PACS usually store, and the caller can decode it faster (libjpeg-turbo, reduced-size DCT
   * decoding) than PixelMed does. Any other image is decoded as {@link #read(Path)} does and returned as a
   * {@link FundusImage}.
   *
   * @param file a DICOM Part 10 file
   * @return a {@link JpegFrame} or a {@link FundusImage}, with the same header {@link #read(Path)} gives
   * @throws DicomReadException naming the file and the reason, as {@link #read(Path)} does
   */
  public static FirstFrame readFirstFrame(Path file) throws DicomReadException {
    Objects.requireNonNull(file, "file");
    AttributeList list = DicomFiles.parse(file, true, false);
    InstanceInfo info = DicomFiles.info(list, file);
    requireImage(list, info, file);
    PixelDataCheck.verify(list, info, file);
    if (uncompressed(list, info)) {
      return convert(list, info, file);
    }
    byte[] jpeg = JPEG_TRANSFER_SYNTAXES.contains(info.transferSyntaxUid()) ? decodableJpeg(list, info) : null;
    if (jpeg == null) {
      return decode(file);
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("kept JPEG frame of {} {}x{} {} ts {} ({} bytes)", LogSafe.shortHash(info.sopInstanceUid()),
          info.columns(), info.rows(), info.photometricInterpretation(), info.transferSyntaxUid(), jpeg.length);
    }
    return new JpegFrame(info, jpeg);
  }

  /** The first frame's bitstream when it meets the conditions of {@link JpegFrame}, else null. */
  private static byte[] decodableJpeg(AttributeList list, InstanceInfo info) {
    int samples = info.samplesPerPixel();
    String pi = info.photometricInterpretation();
    if (Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0) != 8
        || Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsStored, 8) != 8
        || Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1) != 1) {
      return null;
    }
    boolean colour = samples == 3 && (pi.equals("RGB") || pi.equals("YBR_FULL") || pi.equals("YBR_FULL_422"));
    boolean grey = samples == 1 && pi.equals("MONOCHROME2") && isStoredGreyLevel(list);
    if (!(colour || grey) || !(list.get(TagFromName.PixelData) instanceof OtherByteAttributeMultipleCompressedFrames frames)) {
      return null;
    }
    byte[] jpeg;
    try {
      if (frames.getNumberOfFrames() != 1) {
        return null;
      }
      jpeg = frames.getByteValuesForSelectedFrame(0);
    } catch (DicomException | RuntimeException e) {
      return null;   // read() reports the problem with its own message
    }
    JpegHeader header = jpeg == null ? null : JpegHeader.parse(jpeg);
    if (header == null || !header.isEightBitSequential() || header.componentIds().length != samples
        || header.width() != info.columns() || header.height() != info.rows() || !header.colourSpaceIsUnambiguous()) {
      return null;
    }
    return jpeg;
  }

  /** Whether 8-bit grey values are shown as stored: unsigned, no VOI window, no rescaling (see PixelConverter). */
  private static boolean isStoredGreyLevel(AttributeList list) {
    return Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PixelRepresentation, 0) == 0
        && list.get(TagFromName.WindowCenter) == null && list.get(TagFromName.WindowWidth) == null
        && Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleSlope, 1.0) == 1.0
        && Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleIntercept, 0.0) == 0.0;
  }

  /**
   * Reads only the header of {@code file}: parsing stops at Pixel Data, nothing is decoded.
   *
   * @param file a DICOM Part 10 file
   * @return the header record; for non-images rows, columns and samples are 0
   * @throws DicomReadException naming the file and the reason: empty, truncated header, not
   *     DICOM, or a missing SOP Class/Instance UID
   */
  public static InstanceInfo readInfo(Path file) throws DicomReadException {
    Objects.requireNonNull(file, "file");
    return DicomFiles.info(DicomFiles.parse(file, false), file);
  }

  /**
   * Reads Patient ID (0010,0020) and Issuer of Patient ID (0010,0021) from the header of {@code file}.
   *
   * @throws DicomReadException naming the file when it cannot be parsed
   */
  public static PatientRef readPatient(Path file) throws DicomReadException {
    Objects.requireNonNull(file, "file");
    AttributeList list = DicomFiles.parse(file, false);
    return new PatientRef(Attribute.getSingleStringValueOrEmptyString(list, TagFromName.PatientID),
        Attribute.getSingleStringValueOrEmptyString(list, TagFromName.IssuerOfPatientID));
  }

  private static void requireImage(AttributeList list, InstanceInfo info, Path file)
      throws DicomReadException {
    if (list.get(TagFromName.PixelData) == null && info.isImage()) {
      throw new DicomReadException(file, "no Pixel Data (7FE0,0010) although Rows (0028,0010) x Columns"
          + " (0028,0011) describe a " + info.columns() + "x" + info.rows() + " image");
    }
    if (list.get(TagFromName.PixelData) == null) {
      throw new DicomReadException(file, "no Pixel Data (7FE0,0010): not an image (SOP Class UID "
          + info.sopClassUid() + describeSopClass(info.sopClassUid()) + ")");
    }
    if (!info.isImage()) {
      throw new DicomReadException(file, "Rows (0028,0010), Columns (0028,0011) and Samples per Pixel"
          + " (0028,0002) must be positive, got " + info.rows() + ", " + info.columns() + ", "
          + info.samplesPerPixel());
    }
  }

  private static String describeSopClass(String uid) {
    return uid.startsWith("1.2.840.10008.5.1.4.1.1.88.") ? ", a structured report" : "";
  }
}

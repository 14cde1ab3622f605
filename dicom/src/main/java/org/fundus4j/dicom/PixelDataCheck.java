package org.fundus4j.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttributeMultipleCompressedFrames;
import com.pixelmed.dicom.TagFromName;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Decode in full or refuse: the checks every image passes before any pixel is allocated or decoded, on the
 * one path that {@code dicom check}, screening and training share ({@link DicomImages}).
 *
 * <ul>
 *   <li>Rows x Columns at most {@link #MAX_PIXELS} (16384 x 16384);</li>
 *   <li>native Pixel Data at least Rows x Columns x Samples x Bits Allocated / 8 x Number of Frames bytes;</li>
 *   <li>a JPEG frame (transfer syntaxes 1.2.840.10008.1.2.4.50, .51, .57, .70) must be a JPEG bitstream whose
 *       frame header agrees with Rows, Columns and Samples per Pixel; 12-bit JPEG is refused by name; an
 *       8-bit sequential frame is walked to its end ({@link JpegScan}) and refused when libjpeg would warn
 *       that it is truncated or corrupt;</li>
 *   <li>JPEG-LS is refused by name.</li>
 * </ul>
 */
final class PixelDataCheck {
  /** The most pixels (Rows x Columns) fundus4j decodes: 16384 x 16384; fundus cameras give up to about 24 MP. */
  static final long MAX_PIXELS = 16384L * 16384L;
  private static final Set<String> JPEG = Set.of("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
      "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70");
  private static final Set<String> JPEG_LS = Set.of("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81");
  private static final Set<String> NATIVE = Set.of("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2",
      "1.2.840.10008.1.2.1.99");

  private PixelDataCheck() {}

  /**
   * Refuses what cannot be decoded in full; {@code list} was parsed with Pixel Data, not decompressed.
   *
   * @throws DicomReadException naming the file, the attribute or marker, and what is wrong
   */
  static void verify(AttributeList list, InstanceInfo info, Path file) throws DicomReadException {
    long pixels = (long) info.rows() * info.columns();
    if (pixels > MAX_PIXELS) {
      throw new DicomReadException(file, String.format(Locale.ROOT, "Rows (0028,0010) x Columns (0028,0011) = %d x %d"
          + " is %,d pixels, more than the %,d (16384 x 16384) fundus4j decodes", info.rows(), info.columns(), pixels,
          MAX_PIXELS));
    }
    String ts = info.transferSyntaxUid();
    if (JPEG_LS.contains(ts)) {
      throw new DicomReadException(file, "JPEG-LS (transfer syntax " + ts + ") is not decoded; convert it with "
          + "dcmdjpls first");
    }
    Attribute pixelData = list.get(TagFromName.PixelData);
    if (NATIVE.contains(ts) && !(pixelData instanceof OtherByteAttributeMultipleCompressedFrames)) {
      int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 8);
      long frames = Math.max(1, Attribute.getSingleIntegerValueOrDefault(list, TagFromName.NumberOfFrames, 1));
      long needed = bitsAllocated == 1 ? (pixels * info.samplesPerPixel() * frames + 7) / 8
          : pixels * info.samplesPerPixel() * ((bitsAllocated + 7) / 8) * frames;
      if ("YBR_FULL_422".equals(info.photometricInterpretation()) && bitsAllocated == 8) {
        needed = pixels * 2 * frames;
      }
      long held = pixelData == null ? 0 : pixelData.getVL();
      if (held < needed) {
        throw new DicomReadException(file, String.format(Locale.ROOT, "Pixel Data (7FE0,0010) holds %,d bytes, "
            + "but %d x %d x %d samples x %d bits x %d frame(s) need %,d: truncated or a false header", held,
            info.columns(), info.rows(), info.samplesPerPixel(), bitsAllocated, frames, needed));
      }
      return;
    }
    if (JPEG.contains(ts) && pixelData instanceof OtherByteAttributeMultipleCompressedFrames frames) {
      byte[] jpeg;
      try {
        jpeg = frames.getNumberOfFrames() < 1 ? null : frames.getByteValuesForSelectedFrame(0);
      } catch (DicomException | RuntimeException e) {
        throw new DicomReadException(file, "the first JPEG frame of Pixel Data (7FE0,0010) cannot be read: "
            + DicomFiles.describe(e), e);
      }
      verifyJpeg(jpeg == null ? new byte[0] : jpeg, info, file);
    }
  }

  private static void verifyJpeg(byte[] jpeg, InstanceInfo info, Path file) throws DicomReadException {
    String ts = info.transferSyntaxUid();
    JpegHeader header = JpegHeader.parse(jpeg);
    if (header == null) {
      throw new DicomReadException(file, "the first frame of Pixel Data (7FE0,0010) is not a JPEG bitstream with a "
          + "frame header (transfer syntax " + ts + ")");
    }
    if (header.precision() > 8 && header.sofMarker() != 0xC3) {
      throw new DicomReadException(file, header.precision() + "-bit JPEG (JPEG Extended, SOF"
          + (header.sofMarker() - 0xC0) + ", transfer syntax " + ts + ") is not decoded; only 8-bit JPEG is");
    }
    if (header.width() != info.columns() || header.height() != info.rows()
        || header.componentIds().length != info.samplesPerPixel()) {
      throw new DicomReadException(file, String.format(Locale.ROOT, "the JPEG frame header says %d x %d with %d "
          + "component(s) but Columns (0028,0011) x Rows (0028,0010) and Samples per Pixel (0028,0002) say %d x %d "
          + "with %d", header.width(), header.height(), header.componentIds().length, info.columns(), info.rows(),
          info.samplesPerPixel()));
    }
    if (header.isEightBitSequential()) {
      Optional<String> problem = JpegScan.problem(jpeg);
      if (problem.isPresent()) {
        throw new DicomReadException(file, "the JPEG frame cannot be decoded in full: " + problem.get());
      }
    }
  }
}

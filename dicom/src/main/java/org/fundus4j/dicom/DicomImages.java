package org.fundus4j.dicom;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.TagFromName;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Objects;
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
   *     no Pixel Data (for example an SR), or pixels that cannot be decoded
   */
  public static FundusImage read(Path file) throws DicomReadException {
    Objects.requireNonNull(file, "file");
    AttributeList list = DicomFiles.parse(file, true);
    InstanceInfo info = DicomFiles.info(list, file);
    requireImage(list, info, file);
    BufferedImage rgb = PixelConverter.toRgb(list, info, file);
    if (LOG.isDebugEnabled()) {
      LOG.debug("decoded {} {}x{} {} ts {}", LogSafe.shortHash(info.sopInstanceUid()), info.columns(),
          info.rows(), info.photometricInterpretation(), info.transferSyntaxUid());
    }
    return new FundusImage(info, rgb);
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

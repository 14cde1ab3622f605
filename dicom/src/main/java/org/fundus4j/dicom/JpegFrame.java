package org.fundus4j.dicom;

import java.util.Objects;

/**
 * The first frame of a DICOM image as the JPEG bitstream stored in its encapsulated Pixel Data.
 *
 * <p>{@link DicomImages#readFirstFrame} returns one only when any standard JPEG decoder (IJG libjpeg,
 * libjpeg-turbo as in OpenCV's {@code imdecode}, the JDK's ImageIO reader) turns {@code jpeg} into exactly
 * the RGB pixels {@link DicomImages#read} returns: a single-frame 8-bit Huffman sequential DCT image (JPEG
 * baseline 1.2.840.10008.1.2.4.50 or extended 1.2.840.10008.1.2.4.51) whose frame header agrees with Rows,
 * Columns and Samples per Pixel, in colour (RGB, YBR_FULL or YBR_FULL_422, with markers that leave no
 * doubt about its colour space, see PS3.5 8.2.1) or 8-bit MONOCHROME2 without VOI window or rescaling.
 * Decoders may then also decode it at reduced size (libjpeg's DCT scaling), which is much faster.
 *
 * @param info header of the instance; {@code info.columns() x info.rows()} is the frame's size
 * @param jpeg the complete JPEG interchange-format bitstream of frame 1, from SOI to EOI (fragments joined,
 *     any trailing padding kept); the caller must not modify it
 */
public record JpegFrame(InstanceInfo info, byte[] jpeg) implements FirstFrame {

  /** Checks that the bitstream starts with the SOI marker. */
  public JpegFrame {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(jpeg, "jpeg");
    if (jpeg.length < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != 0xD8) {
      throw new IllegalArgumentException("A JPEG bitstream starts with the SOI marker FF D8; got "
          + jpeg.length + " bytes" + (jpeg.length >= 2 ? String.format(" starting %02X %02X", jpeg[0], jpeg[1]) : ""));
    }
  }

  @Override
  public String toString() {
    return "JpegFrame[" + info.columns() + "x" + info.rows() + "x" + info.samplesPerPixel() + ", " + jpeg.length
        + " bytes, transfer syntax " + info.transferSyntaxUid() + "]";
  }
}

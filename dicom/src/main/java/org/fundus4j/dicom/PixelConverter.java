package org.fundus4j.dicom;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.OtherWordAttribute;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.display.SourceImage;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.nio.file.Path;
import java.util.Set;

/**
 * Turns PixelMed's decoded first frame into 8-bit {@code TYPE_INT_RGB}.
 *
 * <p>Colour: RGB is copied; YBR_FULL and YBR_FULL_422 stored uncompressed, in RLE or in JPEG
 * lossless are converted with the equations of DICOM PS3.3 C.7.6.3.1.2; for JPEG lossy and
 * JPEG 2000 the codec has already produced RGB. Grey (MONOCHROME1/2): stored values are
 * masked to Bits Stored, sign-extended when Pixel Representation is 1, rescaled by Rescale
 * Slope/Intercept, then mapped to 0-255 by the first VOI window (PS3.3 C.11.2.1.2.1, linear)
 * when present, unchanged when 8-bit unsigned, and by min-max otherwise; MONOCHROME1 is
 * inverted. The result has three equal channels.
 */
final class PixelConverter {
  /** Transfer syntaxes whose decoders (JPEG lossy, JPEG 2000) deliver RGB for YBR colour data. */
  private static final Set<String> CODEC_OUTPUTS_RGB = Set.of(
      "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
      "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
      "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93");
  /** Native (not encapsulated) transfer syntaxes. */
  private static final Set<String> NATIVE = Set.of(
      "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99");

  private PixelConverter() {}

  static BufferedImage toRgb(AttributeList list, InstanceInfo info, Path file) throws DicomReadException {
    int rows = info.rows();
    int columns = info.columns();
    int samples = info.samplesPerPixel();
    String pi = info.photometricInterpretation();
    int bitsAllocated = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsAllocated, 0);
    if (bitsAllocated <= 0) {
      throw new DicomReadException(file, "missing Bits Allocated (0028,0100)");
    }
    if (samples == 3 && bitsAllocated != 8) {
      throw new DicomReadException(file, "unsupported colour depth: Bits Allocated (0028,0100) is "
          + bitsAllocated + ", only 8-bit colour is decoded");
    }
    if (samples == 3 && pi.equals("YBR_FULL_422") && NATIVE.contains(info.transferSyntaxUid())) {
      return ybrFull422Native(list, rows, columns, file);
    }
    int[] samplesArray = NATIVE.contains(info.transferSyntaxUid()) && bitsAllocated == 8
        ? nativeBytes(list, rows, columns, samples, file)
        : decodedSamples(list, info, file);
    if (samples == 1 && (pi.equals("MONOCHROME2") || pi.equals("MONOCHROME1"))) {
      return grey(list, samplesArray, rows, columns, pi.equals("MONOCHROME1"), bitsAllocated);
    }
    if (samples == 3) {
      boolean ybr = pi.equals("YBR_FULL") || pi.equals("YBR_FULL_422");
      if (pi.equals("RGB") || (ybr && CODEC_OUTPUTS_RGB.contains(info.transferSyntaxUid()))
          || pi.equals("YBR_ICT") || pi.equals("YBR_RCT")) {
        return colour(samplesArray, rows, columns, false);
      }
      if (pi.equals("YBR_FULL")) {
        return colour(samplesArray, rows, columns, true);
      }
    }
    throw new DicomReadException(file, "unsupported Photometric Interpretation (0028,0004) '" + pi
        + "' with Samples per Pixel (0028,0002) " + samples + " in transfer syntax "
        + info.transferSyntaxUid());
  }

  private static BufferedImage colour(int[] samples, int rows, int columns, boolean ybrFull) {
    BufferedImage out = new BufferedImage(columns, rows, BufferedImage.TYPE_INT_RGB);
    int[] target = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < rows * columns; i++) {
      int a = samples[3 * i] & 0xFF;
      int b = samples[3 * i + 1] & 0xFF;
      int c = samples[3 * i + 2] & 0xFF;
      target[i] = ybrFull ? ybrToRgb(a, b, c) : (a << 16) | (b << 8) | c;
    }
    return out;
  }

  /**
   * First frame of native 8-bit Pixel Data as pixel-interleaved samples, read from the bytes
   * (PixelMed 20220618 drops the last byte of odd-length 8-bit data stored as OW).
   */
  private static int[] nativeBytes(AttributeList list, int rows, int columns, int samples, Path file)
      throws DicomReadException {
    byte[] data = pixelBytes(list, file);
    int count = rows * columns * samples;
    if (data.length < count) {
      throw new DicomReadException(file, "Pixel Data (7FE0,0010) holds " + data.length + " bytes, "
          + columns + "x" + rows + "x" + samples + " 8-bit samples need " + count + ": the file is truncated");
    }
    boolean planar = samples > 1
        && Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PlanarConfiguration, 0) == 1;
    int pixels = rows * columns;
    int[] out = new int[count];
    for (int i = 0; i < pixels; i++) {
      for (int s = 0; s < samples; s++) {
        out[i * samples + s] = data[planar ? s * pixels + i : i * samples + s] & 0xFF;
      }
    }
    return out;
  }

  /** First frame decoded by PixelMed, as pixel-interleaved samples. */
  private static int[] decodedSamples(AttributeList list, InstanceInfo info, Path file) throws DicomReadException {
    BufferedImage decoded;
    try {
      decoded = new SourceImage(list).getBufferedImage(0);
    } catch (DicomException | RuntimeException e) {
      throw new DicomReadException(file, "Pixel Data (7FE0,0010) could not be decoded ("
          + info.photometricInterpretation() + ", transfer syntax " + info.transferSyntaxUid() + "): "
          + DicomFiles.describe(e), e);
    }
    if (decoded == null) {
      throw new DicomReadException(file, "Pixel Data (7FE0,0010) could not be decoded (transfer syntax "
          + info.transferSyntaxUid() + ")");
    }
    if (decoded.getWidth() != info.columns() || decoded.getHeight() != info.rows()) {
      throw new DicomReadException(file, "decoded frame is " + decoded.getWidth() + "x" + decoded.getHeight()
          + " but Columns (0028,0011) x Rows (0028,0010) say " + info.columns() + "x" + info.rows());
    }
    Raster raster = decoded.getRaster();
    if (raster.getNumBands() != info.samplesPerPixel()) {
      throw new DicomReadException(file, "decoder returned " + raster.getNumBands()
          + " bands but Samples per Pixel (0028,0002) is " + info.samplesPerPixel() + " ("
          + info.photometricInterpretation() + ", transfer syntax " + info.transferSyntaxUid() + ")");
    }
    return raster.getPixels(0, 0, info.columns(), info.rows(), (int[]) null);
  }

  private static byte[] pixelBytes(AttributeList list, Path file) throws DicomReadException {
    try {
      Attribute pixelData = list.get(TagFromName.PixelData);
      if (pixelData instanceof OtherByteAttribute ob) {
        return ob.getByteValues();
      }
      if (pixelData instanceof OtherWordAttribute ow) {
        return ow.getByteValues(false);
      }
      throw new DicomReadException(file, "no Pixel Data (7FE0,0010) of VR OB or OW");
    } catch (DicomException e) {
      throw new DicomReadException(file, "Pixel Data (7FE0,0010) unreadable: " + DicomFiles.describe(e), e);
    }
  }

  /** YBR_FULL_422 stored natively: each pair of pixels is Y1 Y2 Cb Cr (PS3.3 C.7.6.3.1.2). */
  private static BufferedImage ybrFull422Native(AttributeList list, int rows, int columns, Path file)
      throws DicomReadException {
    if (columns % 2 != 0) {
      throw new DicomReadException(file, "YBR_FULL_422 needs an even number of Columns (0028,0011), got "
          + columns);
    }
    byte[] data = pixelBytes(list, file);
    int needed = rows * columns * 2;
    if (data == null || data.length < needed) {
      throw new DicomReadException(file, "Pixel Data (7FE0,0010) holds " + (data == null ? 0 : data.length)
          + " bytes, YBR_FULL_422 " + columns + "x" + rows + " needs " + needed);
    }
    BufferedImage out = new BufferedImage(columns, rows, BufferedImage.TYPE_INT_RGB);
    int[] target = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    int p = 0;
    for (int i = 0; i < rows * columns; i += 2) {
      int y1 = data[p] & 0xFF;
      int y2 = data[p + 1] & 0xFF;
      int cb = data[p + 2] & 0xFF;
      int cr = data[p + 3] & 0xFF;
      p += 4;
      target[i] = ybrToRgb(y1, cb, cr);
      target[i + 1] = ybrToRgb(y2, cb, cr);
    }
    return out;
  }

  /** YBR_FULL to RGB as in DICOM PS3.3 C.7.6.3.1.2 (ITU-R BT.601 full range), rounded and clamped. */
  static int ybrToRgb(int y, int cb, int cr) {
    double r = y + 1.402 * (cr - 128);
    double g = y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128);
    double b = y + 1.772 * (cb - 128);
    return (clamp(r) << 16) | (clamp(g) << 8) | clamp(b);
  }

  private static int clamp(double v) {
    long rounded = Math.round(v);
    return (int) Math.max(0, Math.min(255, rounded));
  }

  private static BufferedImage grey(AttributeList list, int[] samples, int rows, int columns,
      boolean invert, int bitsAllocated) {
    int bitsStored = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.BitsStored, bitsAllocated);
    bitsStored = Math.max(1, Math.min(bitsStored, 31));
    boolean signed = Attribute.getSingleIntegerValueOrDefault(list, TagFromName.PixelRepresentation, 0) == 1;
    double slope = Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleSlope, 1.0);
    double intercept = Attribute.getSingleDoubleValueOrDefault(list, TagFromName.RescaleIntercept, 0.0);
    double[] centers = doubles(list, TagFromName.WindowCenter);
    double[] widths = doubles(list, TagFromName.WindowWidth);
    boolean window = centers.length > 0 && widths.length > 0 && widths[0] >= 1;
    int mask = (1 << bitsStored) - 1;
    int signBit = 1 << (bitsStored - 1);
    double[] values = new double[rows * columns];
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < values.length; i++) {
      int v = samples[i] & mask;
      if (signed && (v & signBit) != 0) {
        v -= 1 << bitsStored;
      }
      double value = v * slope + intercept;
      values[i] = value;
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    boolean identity = !window && bitsStored <= 8 && !signed && slope == 1.0 && intercept == 0.0;
    BufferedImage out = new BufferedImage(columns, rows, BufferedImage.TYPE_INT_RGB);
    int[] target = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
    for (int i = 0; i < values.length; i++) {
      double x = values[i];
      int g;
      if (window) {
        g = windowLinear(x, centers[0], widths[0]);
      } else if (identity) {
        g = (int) x;
      } else {
        g = max > min ? (int) Math.round((x - min) * 255.0 / (max - min)) : 0;
      }
      if (invert) {
        g = 255 - g;
      }
      target[i] = (g << 16) | (g << 8) | g;
    }
    return out;
  }

  /** The linear VOI LUT function of PS3.3 C.11.2.1.2.1 with output range 0-255, rounded. */
  static int windowLinear(double x, double center, double width) {
    double low = center - 0.5 - (width - 1) / 2;
    double high = center - 0.5 + (width - 1) / 2;
    if (x <= low) {
      return 0;
    }
    if (x > high) {
      return 255;
    }
    double v = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255.0;
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  private static double[] doubles(AttributeList list, com.pixelmed.dicom.AttributeTag tag) {
    Attribute a = list.get(tag);
    if (a == null || a.getVM() == 0) {
      return new double[0];
    }
    try {
      return a.getDoubleValues();
    } catch (DicomException | RuntimeException e) {
      return new double[0];
    }
  }
}

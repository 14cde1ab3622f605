package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Decoding of real fundus DICOM files made by dcmtk (see src/test/fixtures/README.md). */
class DicomImagesTests {
  private static final String OP_8BIT = "1.2.840.10008.5.1.4.1.1.77.1.5.1";

  @Test
  void jpegBaselineOpDecodesToExactlyTheJpegsOwnPixels() throws Exception {
    FundusImage image = DicomImages.read(Fixtures.committed("op-jpeg-baseline.dcm"));
    BufferedImage jpeg = ImageIO.read(Fixtures.CC0_JPEG.toFile());

    assertEquals(1411, jpeg.getWidth());
    assertEquals(0, countDifferingPixels(jpeg, image.rgb()), "pixels differing from the JPEG");
    assertEquals(BufferedImage.TYPE_INT_RGB, image.rgb().getType());
  }

  @Test
  void jpegBaselineOpHasTheHeaderImg2dcmWrote() throws Exception {
    InstanceInfo info = DicomImages.read(Fixtures.committed("op-jpeg-baseline.dcm")).info();

    assertEquals(new InstanceInfo(OP_8BIT, Fixtures.SOP_INSTANCE_UID, Fixtures.STUDY_UID, Fixtures.SERIES_UID,
        "1.2.840.10008.1.2.4.50", "OP", "L", 1411, 1411, 3, "YBR_FULL_422"), info);
  }

  @Test
  void decodedPixelsAtFixedCoordinatesMatchDcmtk() throws Exception {
    // Values from dcmtk: dcmj2pnm +op op-jpeg-baseline.dcm (identical to Pillow's decode of the JPEG).
    BufferedImage rgb = DicomImages.read(Fixtures.committed("op-jpeg-baseline.dcm")).rgb();

    assertEquals(0x020001, rgb.getRGB(100, 100) & 0xFFFFFF);   // dark corner outside the fundus
    assertEquals(0xBB2E1A, rgb.getRGB(705, 705) & 0xFFFFFF);   // centre
    assertEquals(0xFE9051, rgb.getRGB(300, 700) & 0xFFFFFF);   // bright optic disc region
    assertEquals(0xE14B33, rgb.getRGB(1000, 650) & 0xFFFFFF);
  }

  @Test
  void jpegLosslessAndRleCopiesDecodeIdenticalToTheUncompressedCopy() throws Exception {
    BufferedImage uncompressed = DicomImages.read(Fixtures.derived("op-uncompressed.dcm")).rgb();
    FundusImage lossless = DicomImages.read(Fixtures.derived("op-jpeg-lossless.dcm"));
    FundusImage rle = DicomImages.read(Fixtures.derived("op-rle.dcm"));

    assertEquals("1.2.840.10008.1.2.4.70", lossless.info().transferSyntaxUid());
    assertEquals("1.2.840.10008.1.2.5", rle.info().transferSyntaxUid());
    assertEquals(0, countDifferingPixels(uncompressed, lossless.rgb()), "JPEG lossless vs uncompressed");
    assertEquals(0, countDifferingPixels(uncompressed, rle.rgb()), "RLE vs uncompressed");
  }

  @Test
  void uncompressedCopyMadeByDcmdjpegEqualsTheJpeg() throws Exception {
    FundusImage uncompressed = DicomImages.read(Fixtures.derived("op-uncompressed.dcm"));

    assertEquals("1.2.840.10008.1.2.1", uncompressed.info().transferSyntaxUid());
    assertEquals("RGB", uncompressed.info().photometricInterpretation());
    assertEquals(0, countDifferingPixels(ImageIO.read(Fixtures.CC0_JPEG.toFile()), uncompressed.rgb()));
  }

  @Test
  void ybrFullIsConvertedToRgbLikeDcmtk() throws Exception {
    FundusImage ybr = DicomImages.read(Fixtures.derived("op-ybr-full.dcm"));
    int[] dcmtk = Fixtures.readPnm(Fixtures.derived("op-ybr-full.ppm"));   // dcm2pnm's own conversion

    assertEquals("YBR_FULL", ybr.info().photometricInterpretation());
    // dcmtk rounds its fixed-point conversion differently: up to 2 levels apart.
    assertTrue(maxChannelDifference(ybr.rgb(), dcmtk) <= 2,
        "max channel difference to dcm2pnm: " + maxChannelDifference(ybr.rgb(), dcmtk));
    // Stored (Y, Cb, Cr) = (170, 78, 188) at (300, 700) (pydicom), by PS3.3 C.7.6.3.1.2:
    // R = 170 + 1.402 * 60 = 254.1, G = 170 + 0.344136 * 50 - 0.714136 * 60 = 144.4, B = 170 - 1.772 * 50 = 81.4
    assertEquals(0xFE9051, ybr.rgb().getRGB(300, 700) & 0xFFFFFF);
    // libjpeg's own YCbCr -> RGB (dcmdjpeg without +cn) differs from dcm2pnm's by up to 2 as well.
    BufferedImage libjpeg = DicomImages.read(Fixtures.derived("op-uncompressed.dcm")).rgb();
    int[] libjpegPixels = libjpeg.getRGB(0, 0, 1411, 1411, null, 0, 1411);
    assertTrue(maxChannelDifference(ybr.rgb(), libjpegPixels) <= 2,
        "max channel difference to libjpeg: " + maxChannelDifference(ybr.rgb(), libjpegPixels));
  }

  @Test
  void ybrFull422UncompressedIsUpsampledAndConverted() throws Exception {
    FundusImage image = DicomImages.read(Fixtures.committed("sc-ybr-full-422-uncompressed.dcm"));
    BufferedImage rgb = image.rgb();

    assertEquals("YBR_FULL_422", image.info().photometricInterpretation());
    assertEquals(100, rgb.getWidth());
    // Reference: pydicom 2.3 pixel_array + convert_color_space(arr, "YBR_FULL", "RGB"), as (x, y) -> RGB.
    assertClose(0xFE0000, rgb.getRGB(0, 0), 1);
    assertClose(0xFE0000, rgb.getRGB(50, 5), 1);
    assertClose(0x7D82FF, rgb.getRGB(50, 50), 1);
    assertClose(0xFFFFFF, rgb.getRGB(99, 99), 1);
    assertClose(0x00FF05, rgb.getRGB(75, 25), 1);
    assertClose(0xC0C0C0, rgb.getRGB(10, 80), 1);
  }

  @Test
  void greyBecomesThreeEqualChannelsWithDcmtksValues() throws Exception {
    FundusImage grey = DicomImages.read(Fixtures.derived("op-grey.dcm"));
    int[] dcmtk = Fixtures.readPnm(Fixtures.derived("op-grey.pgm"));

    assertEquals("MONOCHROME2", grey.info().photometricInterpretation());
    assertEquals(1, grey.info().samplesPerPixel());
    int unequal = 0;
    for (int y = 0; y < 1411; y++) {
      for (int x = 0; x < 1411; x++) {
        int v = grey.rgb().getRGB(x, y);
        if (((v >> 16) & 0xFF) != (v & 0xFF) || ((v >> 8) & 0xFF) != (v & 0xFF)) {
          unequal++;
        }
      }
    }
    assertEquals(0, unequal, "pixels whose three channels differ");
    assertEquals(0, maxChannelDifference(grey.rgb(), dcmtk), "8-bit grey must be kept as stored");
  }

  @Test
  void greyJpegBaselineDecodesLikeDcmtk() throws Exception {
    FundusImage greyJpeg = DicomImages.read(Fixtures.derived("op-grey-jpeg.dcm"));
    BufferedImage decodedByDcmtk = DicomImages.read(Fixtures.derived("op-grey.dcm")).rgb();

    assertEquals("1.2.840.10008.1.2.4.50", greyJpeg.info().transferSyntaxUid());
    assertEquals(0, countDifferingPixels(decodedByDcmtk, greyJpeg.rgb()));
  }

  @Test
  void jpeg2000LosslessDecodesIdenticalToItsUncompressedOriginal() throws Exception {
    FundusImage j2k = DicomImages.read(Fixtures.committed("mr-small-j2k-lossless.dcm"));
    FundusImage raw = DicomImages.read(Fixtures.committed("mr-small-uncompressed.dcm"));

    assertEquals("1.2.840.10008.1.2.4.90", j2k.info().transferSyntaxUid());
    assertEquals(0, countDifferingPixels(raw.rgb(), j2k.rgb()));
    // Stored value 862 at (63, 63) (pydicom), window 600/1600, PS3.3 C.11.2.1.2.1:
    // ((862 - 599.5) / 1599 + 0.5) * 255 = 169.36 -> 169.
    assertEquals(0xA9A9A9, j2k.rgb().getRGB(63, 63) & 0xFFFFFF);
  }

  @Test
  void vlPhotographicAndSecondaryCaptureReadToo() throws Exception {
    FundusImage vlp = DicomImages.read(Fixtures.derived("vl-photographic.dcm"));
    FundusImage sc = DicomImages.read(Fixtures.derived("secondary-capture.dcm"));
    BufferedImage jpeg = ImageIO.read(Fixtures.CC0_JPEG.toFile());

    assertEquals("1.2.840.10008.5.1.4.1.1.77.1.4", vlp.info().sopClassUid());
    assertEquals("XC", vlp.info().modality());
    assertEquals("1.2.840.10008.5.1.4.1.1.7", sc.info().sopClassUid());
    assertEquals("", sc.info().laterality());
    assertEquals(0, countDifferingPixels(jpeg, vlp.rgb()));
    assertEquals(0, countDifferingPixels(jpeg, sc.rgb()));
  }

  @Test
  void readInfoStopsBeforePixelData() throws Exception {
    // The header of the truncated file is intact; only its Pixel Data is cut off.
    InstanceInfo info = DicomImages.readInfo(Fixtures.derived("truncated-uncompressed.dcm"));

    assertEquals(Fixtures.SOP_INSTANCE_UID, info.sopInstanceUid());
    assertEquals("1.2.840.10008.1.2.1", info.transferSyntaxUid());
    assertEquals(1411, info.rows());
  }

  static int countDifferingPixels(BufferedImage expected, BufferedImage actual) {
    assertEquals(expected.getWidth(), actual.getWidth(), "width");
    assertEquals(expected.getHeight(), actual.getHeight(), "height");
    int n = 0;
    for (int y = 0; y < expected.getHeight(); y++) {
      for (int x = 0; x < expected.getWidth(); x++) {
        if ((expected.getRGB(x, y) & 0xFFFFFF) != (actual.getRGB(x, y) & 0xFFFFFF)) {
          n++;
        }
      }
    }
    return n;
  }

  static int maxChannelDifference(BufferedImage image, int[] reference) {
    int w = image.getWidth();
    assertEquals(w * image.getHeight(), reference.length, "pixel count");
    int max = 0;
    for (int i = 0; i < reference.length; i++) {
      int a = image.getRGB(i % w, i / w);
      int b = reference[i];
      for (int shift = 0; shift <= 16; shift += 8) {
        max = Math.max(max, Math.abs(((a >> shift) & 0xFF) - ((b >> shift) & 0xFF)));
      }
    }
    return max;
  }

  private static void assertClose(int expectedRgb, int actualArgb, int tolerance) {
    for (int shift = 0; shift <= 16; shift += 8) {
      int e = (expectedRgb >> shift) & 0xFF;
      int a = (actualArgb >> shift) & 0xFF;
      assertTrue(Math.abs(e - a) <= tolerance, String.format("expected %06X, got %06X", expectedRgb,
          actualArgb & 0xFFFFFF));
    }
  }
}

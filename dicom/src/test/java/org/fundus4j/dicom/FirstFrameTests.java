package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** {@link DicomImages#readFirstFrame}: JPEG frames handed over as stored, everything else decoded as read() does. */
class FirstFrameTests {

  @Test
  void jpegBaselineFrameIsTheBitstreamImg2dcmWrapped() throws Exception {
    Path file = Fixtures.committed("op-jpeg-baseline.dcm");

    JpegFrame frame = assertInstanceOf(JpegFrame.class, DicomImages.readFirstFrame(file));

    // img2dcm drops APPn segments (its default): the frame is the JPEG file without its 18-byte JFIF APP0.
    byte[] original = Files.readAllBytes(Fixtures.CC0_JPEG);
    assertEquals(0xE0, original[3] & 0xFF);
    assertEquals(16, original[5]);
    byte[] withoutApp0 = new byte[original.length - 18];
    System.arraycopy(original, 0, withoutApp0, 0, 2);
    System.arraycopy(original, 20, withoutApp0, 2, original.length - 20);
    assertArrayEquals(withoutApp0, frame.jpeg());
    assertEquals(DicomImages.read(file).info(), frame.info());
  }

  @ParameterizedTest
  @ValueSource(strings = {"op-jpeg-fragmented.dcm", "op-jpeg-extended.dcm", "vl-photographic.dcm",
      "secondary-capture.dcm", "op-grey-jpeg.dcm"})
  void jpegFramesDecodeToExactlyThePixelsOfRead(String name) throws Exception {
    Path file = Fixtures.derived(name);
    FundusImage expected = DicomImages.read(file);

    JpegFrame frame = assertInstanceOf(JpegFrame.class, DicomImages.readFirstFrame(file));
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(frame.jpeg()));

    assertEquals(expected.info(), frame.info());
    assertEquals(0, differingSamples(decoded.getRaster(), expected.rgb()), "samples differing from read()");
  }

  @ParameterizedTest
  @ValueSource(strings = {"op-uncompressed.dcm", "op-jpeg-lossless.dcm", "op-rle.dcm", "op-ybr-full.dcm",
      "op-grey.dcm"})
  void otherEncodingsAreDecodedAsReadDoes(String name) throws Exception {
    Path file = Fixtures.derived(name);
    FundusImage expected = DicomImages.read(file);

    FundusImage image = assertInstanceOf(FundusImage.class, DicomImages.readFirstFrame(file));

    assertEquals(expected.info(), image.info());
    assertEquals(0, differingSamples(image.rgb().getRaster(), expected.rgb()));
  }

  @Test
  void jpeg2000AndWindowedGreyAreDecodedAsReadDoes() throws Exception {
    Path file = Fixtures.committed("mr-small-j2k-lossless.dcm");

    FundusImage image = assertInstanceOf(FundusImage.class, DicomImages.readFirstFrame(file));

    assertEquals(0xA9A9A9, image.rgb().getRGB(63, 63) & 0xFFFFFF);   // window 600/1600, as in DicomImagesTests
  }

  @Test
  void badFilesFailWithTheMessagesOfRead() throws Exception {
    Path truncated = Fixtures.derived("truncated-jpeg.dcm");
    Path sr = Fixtures.committed("comprehensive-sr.dcm");

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.readFirstFrame(truncated));
    DicomReadException noPixels = assertThrows(DicomReadException.class, () -> DicomImages.readFirstFrame(sr));

    assertEquals(truncated + ": truncated or corrupt: parsing stopped at byte 1340 of 100000", e.getMessage());
    assertEquals(assertThrows(DicomReadException.class, () -> DicomImages.read(sr)).getMessage(),
        noPixels.getMessage());
  }

  /** Samples of {@code decoded} (1 or 3 bands) that differ from the RGB of {@code rgb}; grey compares to each channel. */
  private static int differingSamples(Raster decoded, BufferedImage rgb) {
    assertEquals(rgb.getWidth(), decoded.getWidth(), "width");
    assertEquals(rgb.getHeight(), decoded.getHeight(), "height");
    int bands = decoded.getNumBands();
    int n = 0;
    for (int y = 0; y < rgb.getHeight(); y++) {
      for (int x = 0; x < rgb.getWidth(); x++) {
        int v = rgb.getRGB(x, y);
        for (int c = 0; c < 3; c++) {
          int expected = (v >> (16 - 8 * c)) & 0xFF;
          if (decoded.getSample(x, y, bands == 1 ? 0 : c) != expected) {
            n++;
          }
        }
      }
    }
    return n;
  }
}

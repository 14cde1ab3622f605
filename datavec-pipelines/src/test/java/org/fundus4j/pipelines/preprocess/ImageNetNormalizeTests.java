package org.fundus4j.pipelines.preprocess;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The OpenCV-native conversions: int RGB to BGR Mat, and BGR Mat straight into the normalised tensor. */
class ImageNetNormalizeTests {

  @Test
  void writeChwEqualsTheJavaLoopAndTorchvisionsFormula() {
    Random rnd = new Random(7);
    byte[] px = new byte[37 * 23 * 3];
    rnd.nextBytes(px);
    Mat bgr = new Mat(23, 37, CV_8UC3);
    bgr.data().put(px);

    INDArray x = Nd4j.createUninitialized(DataType.FLOAT, 1, 3, 23, 37);
    ImageNetNormalize.writeChw(bgr, x);
    float[] loop = ImageNetNormalize.toChw(bgr);

    assertArrayEquals(loop, x.data().asFloat(), 1e-5f);
    // pixel (x 5, y 2) in torchvision's words: (v / 255 - mean) / std, R from the third BGR byte
    int i = 3 * (2 * 37 + 5);
    assertEquals(((px[i + 2] & 0xFF) / 255f - 0.485f) / 0.229f, x.getFloat(0, 0, 2, 5), 1e-5);
    assertEquals(((px[i + 1] & 0xFF) / 255f - 0.456f) / 0.224f, x.getFloat(0, 1, 2, 5), 1e-5);
    assertEquals(((px[i] & 0xFF) / 255f - 0.406f) / 0.225f, x.getFloat(0, 2, 2, 5), 1e-5);
  }

  @Test
  void writeChwRefusesATensorOfTheWrongShape() {
    Mat bgr = new Mat(8, 8, CV_8UC3);
    INDArray wrong = Nd4j.createUninitialized(DataType.FLOAT, 1, 3, 8, 9);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImageNetNormalize.writeChw(bgr, wrong));

    assertEquals("Expected a c-ordered FLOAT tensor [N, 3, 8, 8] that is not a view and a row in [0, N), got FLOAT"
        + " [1, 3, 8, 9] order c, row 0", e.getMessage());
  }

  @Test
  void writeChwFillsOneRowOfABatchAndLeavesTheOthers() {
    Mat bgr = new Mat(4, 5, CV_8UC3);
    byte[] px = new byte[4 * 5 * 3];
    java.util.Arrays.fill(px, (byte) 255);
    bgr.data().put(px);
    INDArray batch = Nd4j.zeros(DataType.FLOAT, 3, 3, 4, 5);

    ImageNetNormalize.writeChw(bgr, batch, 1);

    assertEquals(0f, batch.getFloat(0, 2, 3, 4));
    assertEquals((1 - 0.485f) / 0.229f, batch.getFloat(1, 0, 0, 0), 1e-5);
    assertEquals((1 - 0.406f) / 0.225f, batch.getFloat(1, 2, 3, 4), 1e-5);
    assertEquals(0f, batch.getFloat(2, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> ImageNetNormalize.writeChw(bgr, batch, 3));
  }

  @Test
  void toBgrOfIntRgbPutsBlueFirst() {
    BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    img.setRGB(0, 0, 0x102030);
    img.setRGB(2, 1, 0xA0B0C0);

    byte[] bgr = OpenCvImages.bytes(OpenCvImages.toBgr(img));

    assertArrayEquals(new byte[] {0x30, 0x20, 0x10}, java.util.Arrays.copyOfRange(bgr, 0, 3));
    assertArrayEquals(new byte[] {(byte) 0xC0, (byte) 0xB0, (byte) 0xA0}, java.util.Arrays.copyOfRange(bgr, 15, 18));
  }
}

package org.fundus4j.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import org.bytedeco.opencv.opencv_core.Rect;
import org.fundus4j.pipelines.preprocess.BorderCrop;
import org.fundus4j.pipelines.preprocess.OpenCvImages;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class PipelinesTests {

  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  private static float norm(int v, int c) {
    return (v / 255f - MEAN[c]) / STD[c];
  }

  @Test
  void evaluationPadsToSquareAndNormalisesLikeTorchvision() {
    // 300x200 uniform colour, no border to crop: padding adds 50 black rows above and below.
    BufferedImage img = new BufferedImage(300, 200, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(new Color(200, 100, 50));
    g.fillRect(0, 0, 300, 200);
    g.dispose();
    INDArray x = Pipelines.evaluation(60).apply(img);
    assertArrayEquals(new long[] {1, 3, 60, 60}, x.shape());
    int[] rgb = {200, 100, 50};
    for (int c = 0; c < 3; c++) {
      assertEquals(norm(rgb[c], c), x.getFloat(0, c, 30, 30), 1e-5, "centre, channel " + c);
      assertEquals(norm(0, c), x.getFloat(0, c, 2, 30), 1e-5, "padding, channel " + c);
      assertEquals(norm(0, c), x.getFloat(0, c, 57, 30), 1e-5, "padding, channel " + c);
    }
  }

  @Test
  void borderCropFindsTheDiscAndIgnoresIsolatedBrightPixels() {
    BufferedImage img = TestImages.disc(1);
    img.setRGB(3, 3, 0xffffff);
    img.setRGB(316, 236, 0x808080);
    Rect r = new BorderCrop().discBounds(OpenCvImages.toBgr(img));
    // fillOval(70, 20, 200, 200) covers x 70..269, y 20..219; rows/columns need >= 3 bright pixels.
    assertTrue(r.x() >= 70 && r.x() <= 72, "x " + r.x());
    assertTrue(r.y() >= 20 && r.y() <= 22, "y " + r.y());
    assertTrue(r.width() >= 196 && r.width() <= 200, "width " + r.width());
    assertTrue(r.height() >= 196 && r.height() <= 200, "height " + r.height());
  }

  @Test
  void evaluationIsDeterministicAndNeverAugments() {
    FundusPipeline eval = Pipelines.evaluation(64);
    BufferedImage img = TestImages.disc(2);
    INDArray a = eval.apply(img, 0);
    for (long draw = 1; draw < 20; draw++) {
      assertEquals(a, eval.apply(img, draw));
    }
    assertFalse(eval.augments());
  }

  @Test
  void trainingWithoutAugmentationEqualsEvaluation() {
    BufferedImage img = TestImages.disc(3);
    FundusPipeline none = Pipelines.training(64, 1, new Augmentations(0, 0, 0, 0));
    assertEquals(Pipelines.evaluation(64).apply(img, 0), none.apply(img, 5));
  }

  @Test
  void everyAugmentationChangesTheImageAndRepeatsForTheSameDraw() {
    BufferedImage img = TestImages.disc(4);
    INDArray eval = Pipelines.evaluation(64).apply(img, 0);
    Augmentations[] each = {new Augmentations(1, 0, 0, 0), new Augmentations(0, 1, 0, 0),
        new Augmentations(0, 0, 1, 0), new Augmentations(0, 0, 0, 1)};
    for (Augmentations aug : each) {
      FundusPipeline train = Pipelines.training(64, 7, aug);
      INDArray x = train.apply(img, 3);
      assertNotEquals(eval, x, aug.toString());
      assertEquals(x, Pipelines.training(64, 7, aug).apply(img, 3), "same seed and draw: " + aug);
    }
  }

  @Test
  void flipMirrorsExactly() {
    BufferedImage img = TestImages.disc(5);
    INDArray eval = Pipelines.evaluation(64).apply(img, 0);
    INDArray flipped = Pipelines.training(64, 7, new Augmentations(1, 0, 0, 0)).apply(img, 0);
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < 64; y += 7) {
        for (int x = 0; x < 64; x++) {
          assertEquals(eval.getFloat(0, c, y, x), flipped.getFloat(0, c, y, 63 - x), 0f);
        }
      }
    }
  }

  @Test
  void grayscaleMakesTheChannelsEqualBeforeNormalisation() {
    INDArray x = Pipelines.training(32, 7, new Augmentations(0, 1, 0, 0)).apply(TestImages.disc(6), 0);
    for (int y = 0; y < 32; y++) {
      for (int xx = 0; xx < 32; xx++) {
        float r = x.getFloat(0, 0, y, xx) * STD[0] + MEAN[0];
        float g = x.getFloat(0, 1, y, xx) * STD[1] + MEAN[1];
        float b = x.getFloat(0, 2, y, xx) * STD[2] + MEAN[2];
        assertEquals(r, g, 1e-5);
        assertEquals(r, b, 1e-5);
      }
    }
  }

  @Test
  void maskStaysAlignedWithTheImageAfterCropPadResizeAndFlip() {
    BufferedImage img = TestImages.discWithBlueRectangle();
    BufferedImage mask = TestImages.blueRectangleMask();
    for (boolean flip : new boolean[] {false, true}) {
      FundusPipeline p = Pipelines.training(50, 3, new Augmentations(flip ? 1 : 0, 0, 0, 0));
      ImageAndMask out = p.apply(img, mask, 0);
      assertArrayEquals(new long[] {1, 1, 50, 50}, out.mask().shape());
      int both = 0;
      int either = 0;
      double sumX = 0;
      int inMask = 0;
      for (int y = 0; y < 50; y++) {
        for (int x = 0; x < 50; x++) {
          boolean blue = out.image().getFloat(0, 2, y, x) > 1.5f && out.image().getFloat(0, 0, y, x) < -1f;
          boolean m = out.mask().getFloat(0, 0, y, x) == 1f;
          both += blue && m ? 1 : 0;
          either += blue || m ? 1 : 0;
          if (m) {
            sumX += x;
            inMask++;
          }
        }
      }
      double iou = (double) both / either;
      assertTrue(iou > 0.85, "IoU of blue pixels and mask " + iou + " (flip " + flip + ")");
      // Rectangle x 110..149 inside the disc's crop 70..269 (200 px -> 50 px): centre x (130-70)/4 = 15.
      double centreX = sumX / inMask;
      assertEquals(flip ? 49 - 15 : 15, centreX, 1.5, "mask centre x (flip " + flip + ")");
      // 40x30 px -> about 10x7.5 = 75 pixels.
      assertEquals(75, inMask, 12);
    }
  }
}

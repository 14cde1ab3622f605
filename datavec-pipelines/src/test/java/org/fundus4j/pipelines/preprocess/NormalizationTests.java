package org.fundus4j.pipelines.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link Normalization#toImage} undoes the normalisation; values worked by hand. */
class NormalizationTests {

  @Test
  void toImageUndoesTheNormalisationOfTheChosenRowAndClamps() {
    Normalization n = new Normalization(new double[] {0.5, 0.25, 0.0}, new double[] {0.25, 0.5, 1.0});
    INDArray input = Nd4j.zeros(DataType.FLOAT, 2, 3, 2, 3);
    // row 1, pixel (y 1, x 2): R 1.0 -> 0.75 -> 191.25 -> 191; G -1.0 -> -0.25 -> 0; B 0.4 -> 0.4 -> 102
    input.putScalar(new long[] {1, 0, 1, 2}, 1.0);
    input.putScalar(new long[] {1, 1, 1, 2}, -1.0);
    input.putScalar(new long[] {1, 2, 1, 2}, 0.4);
    // row 1, pixel (0, 0): R 3.0 -> 1.25 clamps to 255; G 0 -> 0.25 -> 63.75 -> 64; B 0 -> 0
    input.putScalar(new long[] {1, 0, 0, 0}, 3.0);

    BufferedImage image = n.toImage(input, 1);

    assertEquals(3, image.getWidth());
    assertEquals(2, image.getHeight());
    assertEquals((191 << 16) | (0 << 8) | 102, image.getRGB(2, 1) & 0xffffff);
    assertEquals((255 << 16) | (64 << 8), image.getRGB(0, 0) & 0xffffff);
    // untouched pixel: R 0.5 -> 127.5 -> 128, G 0.25 -> 64, B 0
    assertEquals((128 << 16) | (64 << 8), image.getRGB(1, 0) & 0xffffff);
  }
}

package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.fundus4j.networks.onnx.ActivationRanges;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link FakeQuantization}: the export's uint8 rounding, worked by hand, and its straight-through gradient. */
class FakeQuantizationTests {

  private static float[] apply(FakeQuantization f, float... x) {
    return f.getActivation(Nd4j.createFromArray(x), false).toFloatVector();
  }

  @Test
  void aReluRangeRoundsToStepsOfItsScaleWithTiesToEvenAndClipsAboveIt() {
    // [0, 63.75]: scale 63.75 / 255 = 0.25 (exact in float32), zero point 0
    FakeQuantization f = new FakeQuantization(new ActivationRanges.Range(0f, 63.75f));
    assertEquals(0.25f, f.scale(), 0f);
    assertEquals(0, f.zeroPoint());
    // 0.4 steps -> 0; the ties 1.5 and 2.5 steps both go to the even 2 (rint, as QuantizeLinear; half-up would give
    // 0.75 for the second); 123.6 steps -> 124; 280 steps clip at 255; below 0 clips at 0
    assertArrayEquals(new float[] {0f, 0.5f, 0.5f, 31f, 63.75f, 0f},
        apply(f, 0.1f, 0.375f, 0.625f, 30.9f, 70f, -1f), 0f);
  }

  @Test
  void anAsymmetricRangeHasItsZeroOnTheGrid() {
    // [-32, 31.75]: scale 0.25, zero point 32 / 0.25 = 128; the grid holds -128 * 0.25 to 127 * 0.25, and 0
    FakeQuantization f = new FakeQuantization(new ActivationRanges.Range(-32f, 31.75f));
    assertEquals(128, f.zeroPoint());
    assertEquals(-32f, f.lowest(), 0f);
    assertEquals(31.75f, f.highest(), 0f);
    assertArrayEquals(new float[] {0f, 31.75f, -32f, 0.25f, -0.25f}, apply(f, 0f, 40f, -40f, 0.3f, -0.3f), 0f);
  }

  @Test
  void theGradientPassesInsideTheRangeAndStopsWhereTheValueWasClipped() {
    FakeQuantization f = new FakeQuantization(new ActivationRanges.Range(0f, 63.75f));
    INDArray x = Nd4j.createFromArray(-0.1f, 0f, 12.3f, 63.75f, 64f);
    INDArray eps = Nd4j.createFromArray(1f, 2f, 3f, 4f, 5f);
    assertArrayEquals(new float[] {0f, 2f, 3f, 4f, 0f}, f.backprop(x, eps).getFirst().toFloatVector(), 0f);
  }

  @Test
  void aRangeOfOnlyZerosAndBadParametersAreRefused() {
    // the export quantises [0, 0] with scale 1 (ActivationRanges.Range.uint8Scale): everything in 0..255 survives
    assertArrayEquals(new float[] {0f, 3f}, apply(new FakeQuantization(new ActivationRanges.Range(0f, 0f)), 0.2f,
        3.4f), 0f);
    assertThrows(IllegalArgumentException.class, () -> new FakeQuantization(0f, 0));
    assertThrows(IllegalArgumentException.class, () -> new FakeQuantization(1f, 256));
  }
}

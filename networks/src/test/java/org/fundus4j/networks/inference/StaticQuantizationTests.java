package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.fundus4j.networks.onnx.ActivationRanges;
import org.junit.jupiter.api.Test;

/** Percentile and mean-squared-error ranges from a histogram, worked by hand on 8 bins of width 1. */
class StaticQuantizationTests {
  private static final ActivationRanges.Range FULL = new ActivationRanges.Range(0, 8);

  @Test
  void aFlatHistogramLosesOneBinAtEachEndAt75Percent() {
    // 8 values, 12.5 % clipped at each end = 1 value: bin 0 and bin 7 go
    assertEquals(new ActivationRanges.Range(1, 7),
        StaticQuantization.clipped(FULL, new long[] {1, 1, 1, 1, 1, 1, 1, 1}, 75));
  }

  @Test
  void noBinIsCutThatHoldsMoreThanTheTail() {
    // 6 values, tail 0.6 at 80 %: the lone top value (1 > 0.6) stays, so the range stays whole
    long[] outlier = {5, 0, 0, 0, 0, 0, 0, 1};
    assertEquals(FULL, StaticQuantization.clipped(FULL, outlier, 80));
    // at 60 % the tail is 1.2: the outlier and the empty bins below it go, down to the upper edge of bin 0
    assertEquals(new ActivationRanges.Range(0, 1), StaticQuantization.clipped(FULL, outlier, 60));
  }

  @Test
  void aHundredPercentIsTheMinMaxRange() {
    assertEquals(FULL, StaticQuantization.clipped(FULL, new long[] {3, 0, 1, 0, 0, 0, 2, 1}, 100));
  }

  @Test
  void theSquaredErrorRangeClipsAnOutlierWhenRoundingTheBulkCostsMore() {
    // 10^6 values at 1.5 and one at 7.5 over [0, 8]. Up to b: rounding 10^6 (b / 255)^2 / 12 plus clipping
    // (7.5 - b)^2: b = 8: 82.01; b = 5: 32.04 + 6.25 = 38.29; b = 4: 20.51 + 12.25 = 32.76; b = 3: 11.53 + 20.25
    // = 31.78 (the smallest); b = 2: 5.13 + 30.25 = 35.38.
    assertEquals(new ActivationRanges.Range(0, 3),
        StaticQuantization.meanSquaredError(FULL, new long[] {0, 1_000_000, 0, 0, 0, 0, 0, 1}));
    // one value at 1.5 instead: rounding is cheap, clipping is not, so nothing is clipped
    assertEquals(FULL, StaticQuantization.meanSquaredError(FULL, new long[] {0, 1, 0, 0, 0, 0, 0, 1}));
  }

  @Test
  void theZerosOfAReluCostNothingAndSoDoNotShrinkTheRange() {
    // 10^6 exact zeros (bin 0 of a range starting at 0) and one value in each of bins 1 and 7: the zeros are held
    // exactly whatever the step, so the two others decide (clipping 7.5 costs more than rounding two values)
    assertEquals(FULL, StaticQuantization.meanSquaredError(FULL, new long[] {1_000_000, 1, 0, 0, 0, 0, 0, 1}));
  }

  @Test
  void aSignedTensorIsClippedAtBothEndsButNotPastZero() {
    ActivationRanges.Range signed = new ActivationRanges.Range(-4, 4);
    // 10^6 values at -0.5 and at 0.5, one at -3.5 and one at 3.5: [-1, 1] costs 2e6 (2/255)^2/12 + 2 x 2.5^2 =
    // 10.25 + 12.5 = 22.75; [-4, 4] 164.04; [-2, 2] 41.01 + 2 x 1.5^2 = 45.51; [-1, 2] 23.07 + 6.25 + 2.25 = 31.57
    assertEquals(new ActivationRanges.Range(-1, 1), StaticQuantization.meanSquaredError(signed,
        new long[] {1, 0, 0, 1_000_000, 1_000_000, 0, 0, 1}));
    // values only above 2: the lower end stays (the export's range reaches 0 anyway), the outlier is clipped
    ActivationRanges.Range positive = new ActivationRanges.Range(2, 10);
    assertEquals(new ActivationRanges.Range(2, 4), StaticQuantization.meanSquaredError(positive,
        new long[] {0, 1_000_000, 0, 0, 0, 0, 0, 1}));
  }

  @Test
  void theMethodNameIsWhatTheModelCardRecords() {
    assertEquals("mse", StaticQuantization.Calibration.meanSquaredError().method());
    assertEquals("minmax", StaticQuantization.Calibration.minMax().method());
    assertEquals("minmax", StaticQuantization.Calibration.percentile(100).method());
    assertEquals("percentile-99.99", StaticQuantization.Calibration.percentile(99.99).method());
    assertEquals("percentile-99.999", StaticQuantization.Calibration.percentile(99.999).method());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StaticQuantization.Calibration.percentile(50));
    assertEquals("Calibration percentile must be in (50, 100], got 50.0", e.getMessage());
  }
}

package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.fundus4j.networks.onnx.ActivationRanges;
import org.junit.jupiter.api.Test;

/** Percentile ranges from a histogram, worked by hand on 8 bins of width 1 over [0, 8]. */
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
  void theMethodNameIsWhatTheModelCardRecords() {
    assertEquals("minmax", StaticQuantization.Calibration.minMax().method());
    assertEquals("minmax", StaticQuantization.Calibration.percentile(100).method());
    assertEquals("percentile-99.99", StaticQuantization.Calibration.percentile(99.99).method());
    assertEquals("percentile-99.999", StaticQuantization.Calibration.percentile(99.999).method());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StaticQuantization.Calibration.percentile(50));
    assertEquals("Calibration percentile must be in (50, 100], got 50.0", e.getMessage());
  }
}

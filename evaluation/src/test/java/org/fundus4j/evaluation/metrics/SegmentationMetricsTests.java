package org.fundus4j.evaluation.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SegmentationMetricsTests {
  @Test
  void countsAndScoresWorkedOutByHand() {
    // image 0 (2x3): pred 1 1 0 / 0 0 0 (probabilities), mask 1 0 0 / 1 0 0
    // TP=1 FP=1 FN=1 TN=3 -> dice 2/4, iou 1/3, sens 1/2, spec 3/4
    // image 1: both empty -> dice 1, iou 1, sens NaN, spec 1
    INDArray pred = Nd4j.createFromArray(new double[] {0.9, 0.6, 0.4, 0.1, 0.0, 0.2,
        0.1, 0.1, 0.1, 0.1, 0.1, 0.1}).reshape(2, 1, 2, 3);
    INDArray mask = Nd4j.createFromArray(new double[] {1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
        .reshape(2, 1, 2, 3);
    SegmentationMetrics.Result r = SegmentationMetrics.compute(pred, mask, 0.5);
    SegmentationMetrics.Scores s0 = r.perImage().get(0);
    assertEquals(1, s0.truePositives());
    assertEquals(1, s0.falsePositives());
    assertEquals(1, s0.falseNegatives());
    assertEquals(3, s0.trueNegatives());
    assertEquals(0.5, s0.dice());
    assertEquals(1.0 / 3, s0.iou(), 1e-15);
    assertEquals(0.5, s0.sensitivity());
    assertEquals(0.75, s0.specificity());
    SegmentationMetrics.Scores s1 = r.perImage().get(1);
    assertEquals(1.0, s1.dice());
    assertEquals(1.0, s1.iou());
    assertTrue(Double.isNaN(s1.sensitivity()));
    assertEquals(1.0, s1.specificity());
    assertEquals(0.75, r.mean().dice());
    assertEquals(0.5, r.mean().sensitivity());
    assertEquals(0.875, r.mean().specificity());
    assertEquals(0.5, r.pooled().dice());
    assertEquals(9.0 / 10, r.pooled().specificity());
  }

  @Test
  void rejectsShapeMismatch() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> SegmentationMetrics.compute(Nd4j.zeros(1, 1, 4, 4), Nd4j.zeros(1, 1, 4, 5), 0.5));
    assertEquals("prediction [1, 1, 4, 4] and mask [1, 1, 4, 5] differ in shape", e.getMessage());
  }
}

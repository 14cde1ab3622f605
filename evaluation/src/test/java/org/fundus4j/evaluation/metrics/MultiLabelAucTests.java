package org.fundus4j.evaluation.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class MultiLabelAucTests {
  // Columns: label 0 perfect, label 1 fully inverted, label 2 one class only.
  private static final double[][] SCORES = {{0.9, 0.9, 0.1}, {0.8, 0.7, 0.2}, {0.2, 0.1, 0.3},
      {0.1, 0.3, 0.4}};
  private static final int[][] LABELS = {{1, 0, 1}, {1, 0, 1}, {0, 1, 1}, {0, 1, 1}};

  @Test
  void perLabelGivesEachColumnsAucAndNanForOneClass() {
    double[] auc = MultiLabelAuc.perLabel(SCORES, LABELS);
    assertEquals(1.0, auc[0]);
    assertEquals(0.0, auc[1]);
    assertTrue(Double.isNaN(auc[2]));
  }

  @Test
  void macroSkipsOneClassLabels() {
    assertEquals(0.5, MultiLabelAuc.macro(SCORES, LABELS));
    assertEquals(0.5, MultiLabelAuc.macro(Nd4j.createFromArray(SCORES),
        Nd4j.createFromArray(LABELS).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT)));
    assertTrue(Double.isNaN(MultiLabelAuc.macro(new double[] {Double.NaN})));
  }

  @Test
  void perLabelOfIndArrayEqualsArrays() {
    assertArrayEquals(MultiLabelAuc.perLabel(SCORES, LABELS),
        MultiLabelAuc.perLabel(Nd4j.createFromArray(SCORES), Nd4j.createFromArray(LABELS)));
  }
}

package org.fundus4j.evaluation.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

class RocAucTests {
  @Test
  void computeEqualsScikitLearnOnFixtures() {
    List<String> rows = Fixtures.lines("sklearn.csv");
    assertEquals(11, rows.size());
    for (String row : rows.subList(1, rows.size())) {
      String[] f = row.split(",");
      Fixtures.Data d = Fixtures.data(f[0]);
      double[] s = f[1].equals("a") ? d.a() : d.b();
      assertEquals(Double.parseDouble(f[2]), RocAuc.compute(s, d.labels()), 1e-12, row);
    }
  }

  @Test
  void computeCountsTiesOneHalfByHand() {
    // pairs (case, control): (0.35,0.1)=1 (0.35,0.4)=0 (0.8,*)=1,1 -> 3/4
    assertEquals(0.75, RocAuc.compute(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1}));
    // one tie between a case and a control: 1 + 0.5 + 1 + 1 = 3.5 / 4
    assertEquals(0.875, RocAuc.compute(new double[] {0.1, 0.4, 0.4, 0.8}, new int[] {0, 0, 1, 1}));
    // all scores equal -> 0.5
    assertEquals(0.5, RocAuc.compute(new double[] {2, 2, 2}, new int[] {0, 1, 1}));
  }

  @Test
  void computeReturnsNanWhenAllLabelsEqual() {
    Fixtures.Data d = Fixtures.data("oneclass");
    assertTrue(Double.isNaN(RocAuc.compute(d.a(), d.labels())));
    assertTrue(Double.isNaN(RocAuc.compute(new double[] {0.3, 0.2}, new int[] {0, 0})));
  }

  @Test
  void computeRejectsBadInputWithMessage() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> RocAuc.compute(new double[] {0.1, 0.2}, new int[] {0, 2}));
    assertEquals("labels must be 0 (control) or 1 (case), got 2 at index 1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RocAuc.compute(new double[] {0.1}, new int[] {0, 1}));
    assertEquals("scores and labels differ in length: 1 scores, 2 labels", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> RocAuc.compute(new double[] {Double.NaN, 1}, new int[] {0, 1}));
  }

  @Test
  void curveEqualsScikitLearnRocCurveWithTies() {
    Fixtures.Data d = Fixtures.data("ties");
    RocCurve c = RocAuc.curve(d.a(), d.labels());
    List<String> rows = Fixtures.lines("roc-curve-ties-a.csv");
    assertEquals(rows.size() - 1, c.size());
    for (int i = 1; i < rows.size(); i++) {
      String[] f = rows.get(i).split(",");
      assertEquals(Double.parseDouble(f[0]), c.fpr()[i - 1], 1e-15, "fpr " + i);
      assertEquals(Double.parseDouble(f[1]), c.tpr()[i - 1], 1e-15, "tpr " + i);
      if (i > 1) {
        assertEquals(Double.parseDouble(f[2]), c.thresholds()[i - 1], 0.0, "threshold " + i);
      }
    }
    assertEquals(Double.POSITIVE_INFINITY, c.thresholds()[0]);
    assertEquals(RocAuc.compute(d.a(), d.labels()), c.area(), 1e-12);
  }

  @Test
  void accumulatorOverBatchesEqualsCompute() {
    Fixtures.Data d = Fixtures.data("ties");
    RocAuc.Accumulator acc = new RocAuc.Accumulator();
    int half = d.labels().length / 2;
    double[] s1 = java.util.Arrays.copyOfRange(d.a(), 0, half);
    double[] l1 = new double[half];
    for (int i = 0; i < half; i++) {
      l1[i] = d.labels()[i];
    }
    acc.add(Nd4j.createFromArray(s1).reshape(half, 1), Nd4j.createFromArray(l1).reshape(half, 1));
    for (int i = half; i < d.labels().length; i++) {
      acc.add(d.a()[i], d.labels()[i]);
    }
    assertEquals(d.labels().length, acc.size());
    assertEquals(0.70116824980893111, acc.result(), 1e-12);
    acc.reset();
    assertEquals(0, acc.size());
    assertTrue(Double.isNaN(acc.result()));
    assertThrows(IllegalArgumentException.class,
        () -> acc.add(Nd4j.rand(4, 2), Nd4j.zeros(4, 2)));
  }

  @Test
  void rocCurveRecordCopiesArrays() {
    double[] f = {0, 1};
    RocCurve c = new RocCurve(f, new double[] {0, 1}, new double[] {Double.POSITIVE_INFINITY, 0});
    f[1] = 5;
    assertArrayEquals(new double[] {0, 1}, c.fpr());
    assertThrows(IllegalArgumentException.class,
        () -> new RocCurve(new double[] {0}, new double[] {0, 1}, new double[] {1}));
  }
}

package org.fundus4j.evaluation.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeLongTests {
  private static final double TOL = 1e-9;
  private static final Map<String, Double> PROC = Fixtures.expected();

  private static double proc(String caseName, String key) {
    Double v = PROC.get(caseName + "/" + key);
    if (v == null) {
      throw new AssertionError("no pROC value for " + caseName + "/" + key);
    }
    return v;
  }

  private static void assertSingle(String caseName, String col, DeLongResult r) {
    assertEquals(proc(caseName, col + ".auc"), r.auc(), TOL, caseName + " " + col + " auc");
    assertEquals(proc(caseName, col + ".var"), r.variance(), TOL, caseName + " " + col + " var");
    assertEquals(proc(caseName, col + ".ci.lower"), r.ciLower(), TOL, caseName + " " + col + " ci");
    assertEquals(proc(caseName, col + ".ci.upper"), r.ciUpper(), TOL, caseName + " " + col + " ci");
  }

  @ParameterizedTest
  @ValueSource(strings = {"continuous", "ties", "small", "identical"})
  void pairedEqualsProcRocTest(String caseName) {
    Fixtures.Data d = Fixtures.data(caseName);
    PairedTestResult t = DeLong.paired(d.a(), d.b(), d.labels());
    assertSingle(caseName, "a", t.a());
    assertSingle(caseName, "b", t.b());
    assertSingle(caseName, "a", DeLong.single(d.a(), d.labels()));
    assertEquals(proc(caseName, "paired.cov"), t.covariance(), TOL, "cov");
    assertEquals(proc(caseName, "paired.z"), t.z(), TOL, "z");
    assertEquals(proc(caseName, "paired.p"), t.p(), TOL, "p");
    assertEquals(proc(caseName, "paired.ci.lower"), t.diffCiLower(), TOL, "diff ci lower");
    assertEquals(proc(caseName, "paired.ci.upper"), t.diffCiUpper(), TOL, "diff ci upper");
  }

  @Test
  void identicalModelsGiveZeroZAndPOne() {
    Fixtures.Data d = Fixtures.data("identical");
    PairedTestResult t = DeLong.paired(d.a(), d.a(), d.labels());
    assertEquals(0.0, t.z());
    assertEquals(1.0, t.p());
  }

  @Test
  void unpairedEqualsProcRocTest() {
    Fixtures.Data d1 = Fixtures.data("unpaired1");
    Fixtures.Data d2 = Fixtures.data("unpaired2");
    UnpairedTestResult t = DeLong.unpaired(d1.a(), d1.labels(), d2.a(), d2.labels());
    assertSingle("unpaired1", "a", t.a());
    assertSingle("unpaired2", "a", t.b());
    assertEquals(proc("unpaired", "t"), t.t(), TOL, "t");
    assertEquals(proc("unpaired", "df"), t.degreesOfFreedom(), TOL, "df");
    assertEquals(proc("unpaired", "p"), t.p(), TOL, "p");
  }

  @Test
  void oneClassIsRejectedWithCounts() {
    // pROC itself refuses: see fixtures/delong/oneclass-proc-error.txt ("No control observation.")
    assertEquals("No control observation.", Fixtures.lines("oneclass-proc-error.txt").get(0));
    Fixtures.Data d = Fixtures.data("oneclass");
    var e = assertThrows(IllegalArgumentException.class, () -> DeLong.single(d.a(), d.labels()));
    assertEquals("DeLong's variance needs at least 2 cases (label 1) and 2 controls (label 0), got 3"
        + " cases and 0 controls", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DeLong.paired(d.a(), d.b(), d.labels()));
  }

  @Test
  void fastPlacementsEqualQuadraticDefinitionOnRandomTiedCases() {
    Random rnd = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      int n = 4 + rnd.nextInt(300);
      int levels = 1 + rnd.nextInt(12); // few distinct values: many ties
      double[] s = new double[n];
      int[] y = new int[n];
      for (int i = 0; i < n; i++) {
        y[i] = i < 2 ? 1 : i < 4 ? 0 : rnd.nextInt(2);
        s[i] = rnd.nextInt(levels) / (double) levels + (trial % 2 == 0 ? 0 : rnd.nextGaussian() * 1e-3);
      }
      assertSamePlacements(s, y);
    }
  }

  @Test
  void fastPlacementsEqualQuadraticDefinitionAtHundredThousand() {
    Random rnd = new Random(11);
    int n = 100_000;
    double[] s = new double[n];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextDouble() < 0.1 ? 1 : 0;
      s[i] = Math.round((y[i] * 0.7 + rnd.nextGaussian()) * 50) / 50.0; // ties
    }
    assertSamePlacements(s, y);
    DeLongResult r = DeLong.single(s, y);
    assertEquals(RocAuc.compute(s, y), r.auc(), 1e-12);
    assertTrue(r.variance() > 0 && r.variance() < 1e-4, "variance " + r.variance());
    double[] other = new double[n];
    for (int i = 0; i < n; i++) {
      other[i] = Math.round((s[i] + rnd.nextGaussian()) * 20) / 20.0;
    }
    PairedTestResult t = DeLong.paired(s, other, y);
    assertEquals(RocAuc.compute(other, y), t.b().auc(), 1e-12);
    assertTrue(t.covariance() > 0 && t.z() > 5, "cov " + t.covariance() + ", z " + t.z());
  }

  private static void assertSamePlacements(double[] s, int[] y) {
    DeLong.Placements fast = DeLong.Placements.of(s, y);
    DeLong.Placements slow = DeLong.Placements.quadratic(s, y);
    assertEquals(slow.theta, fast.theta, 1e-12);
    for (int i = 0; i < fast.v10.length; i++) {
      assertEquals(slow.v10[i], fast.v10[i], 1e-12);
    }
    for (int j = 0; j < fast.v01.length; j++) {
      assertEquals(slow.v01[j], fast.v01[j], 1e-12);
    }
    assertEquals(slow.variance(), fast.variance(), 1e-12);
  }
}

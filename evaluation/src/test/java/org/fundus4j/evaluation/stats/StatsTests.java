package org.fundus4j.evaluation.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fundus4j.evaluation.metrics.DeLong;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.junit.jupiter.api.Test;

class StatsTests {
  private static final Fold F1 = new Fold(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1});
  private static final Fold F2 = new Fold(new double[] {0.2, 0.9, 0.6, 0.3}, new int[] {0, 1, 1, 0});
  private static final Fold F3 = new Fold(new double[] {0.5, 0.5, 0.2, 0.7}, new int[] {0, 1, 0, 1});

  @Test
  void crossValidationSummaryByHand() {
    CrossValidationSummary s = CrossValidationSummary.of(List.of(F1, F2, F3));
    // fold AUCs: 0.75, 1.0, 0.875 (one tie) -> mean 0.875, SD 0.125
    assertEquals(0.75, s.foldAucs()[0]);
    assertEquals(1.0, s.foldAucs()[1]);
    assertEquals(0.875, s.foldAucs()[2]);
    assertEquals(0.875, s.mean(), 1e-15);
    assertEquals(0.125, s.standardDeviation(), 1e-15);
    assertEquals("0.875 \u00b1 0.125", s.meanAndSd());
    double[] all = {0.1, 0.4, 0.35, 0.8, 0.2, 0.9, 0.6, 0.3, 0.5, 0.5, 0.2, 0.7};
    int[] y = {0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1};
    assertEquals(RocAuc.compute(all, y), s.pooledAuc());
    assertEquals(DeLong.single(all, y).variance(), s.pooled().variance(), 1e-15);
    assertEquals(s.pooledAuc(), s.pooled().auc(), 1e-12);
  }

  @Test
  void table1PairsCellsOnTheSameCasesAndFormatsRows() {
    Random rnd = new Random(3);
    int n = 200;
    int[] y = new int[n];
    double[] weak = new double[n];
    double[] strong = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(2);
      double common = rnd.nextGaussian();
      weak[i] = common + 0.3 * y[i] + rnd.nextGaussian();
      strong[i] = common + 1.5 * y[i] + rnd.nextGaussian();
    }
    Table1.Key base = new Table1.Key("ImageNet", 224, Table1.Protocol.FINE_TUNE);
    Table1.Key better = new Table1.Key("Fundus", 224, Table1.Protocol.FINE_TUNE);
    Table1.Key lp = new Table1.Key("Fundus", 224, Table1.Protocol.LINEAR_PROBE);
    Table1 t = Table1.of(List.of(
        new Table1.Entry(base, folds(weak, y)),
        new Table1.Entry(better, folds(strong, y)),
        new Table1.Entry(lp, List.of(new Fold(java.util.Arrays.copyOf(strong, 150), java.util.Arrays.copyOf(y, 150))))),
        base);
    Table1.Cell c = t.cell(better);
    assertTrue(c.paired());
    assertEquals(DeLong.paired(strong, weak, y).p(), c.pValue(), 1e-15);
    assertTrue(c.pValue() < 0.001);
    assertFalse(t.cell(lp).paired(), "different cases -> unpaired test");
    assertTrue(Double.isNaN(t.cell(base).pValue()));
    assertEquals(List.of("Start", "Resolution", "LP AUC (mean \u00b1 SD)", "LP p vs baseline",
        "FT AUC (mean \u00b1 SD)", "FT p vs baseline"), t.header());
    List<List<String>> rows = t.rows();
    assertEquals(2, rows.size());
    assertEquals(List.of("ImageNet", "224", "-", "-"), rows.get(0).subList(0, 4));
    assertEquals("baseline", rows.get(0).get(5));
    assertEquals("< 0.001", rows.get(1).get(5));
    assertTrue(t.toMarkdown().startsWith("| Start | Resolution |"));
    var e = assertThrows(IllegalArgumentException.class, () -> Table1.of(List.of(new Table1.Entry(base,
        folds(weak, y))), better));
    assertTrue(e.getMessage().startsWith("baseline Key[start=Fundus"), e.getMessage());
  }

  private static List<Fold> folds(double[] s, int[] y) {
    int k = s.length / 5;
    List<Fold> out = new java.util.ArrayList<>();
    for (int f = 0; f < 5; f++) {
      out.add(new Fold(java.util.Arrays.copyOfRange(s, f * k, (f + 1) * k),
          java.util.Arrays.copyOfRange(y, f * k, (f + 1) * k)));
    }
    return out;
  }

  @Test
  void rocStatisticsDelongMatchesProcFixture() throws Exception {
    // the "small" pROC fixture of src/test/fixtures/delong (see make_fixtures.R)
    int[] y = {0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0, 1};
    double[] a = {1, 2, 2, 3, 2, 3, 3, 1, 4, 2, 0, 3};
    double[] b = {0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1};
    Map<String, Object> json = RocStatistics.delong(y, "a", a, "b", b);
    assertEquals(6, json.get("cases"));
    assertEquals(1.7733018082480732, (double) json.get("z"), 1e-9);
    assertEquals(0.076178709597955363, (double) json.get("p"), 1e-9);
    assertEquals(0.0039351851851851848, (double) json.get("covariance"), 1e-9);
    @SuppressWarnings("unchecked")
    Map<String, Object> ja = (Map<String, Object>) json.get("a");
    assertEquals("a", ja.get("column"));
    assertEquals(0.84722222222222221, (double) ja.get("auc"), 1e-9);
    Map<String, double[]> cols = new LinkedHashMap<>();
    cols.put("a", a);
    cols.put("b", b);
    Map<String, Object> auc = RocStatistics.auc(y, cols);
    assertEquals(2, ((List<?>) auc.get("columns")).size());
    String text = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(json);
    assertTrue(text.contains("\"difference_ci_upper\""), text);
  }

  @Test
  void parseTruthAcceptsCommonSpellingsAndNamesTheBadRow() {
    assertEquals(List.of(1, 0, 1, 0, 1, 0),
        java.util.Arrays.stream(RocStatistics.parseTruth(List.of("1", "0", "TRUE", "false", "yes", "0.0"))).boxed().toList());
    var e = assertThrows(IllegalArgumentException.class, () -> RocStatistics.parseTruth(List.of("1", "2")));
    assertEquals("truth value '2' in row 2 is not 0/1, true/false or yes/no", e.getMessage());
  }
}

package org.fundus4j.evaluation.stats;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fundus4j.evaluation.metrics.DeLong;
import org.fundus4j.evaluation.metrics.DeLongResult;
import org.fundus4j.evaluation.metrics.PairedTestResult;

/**
 * AUCs and DeLong's test from plain columns, as JSON-ready maps (the {@code fundus stats auc|delong}
 * command prints these), for researchers who want pROC's {@code roc.test} on the JVM.
 *
 * <pre>{@code
 * Map<String, Object> json = RocStatistics.delong(truth, "model_a", a, "model_b", b);
 * new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(System.out, json);
 * }</pre>
 *
 * <p>Maps keep insertion order; values are numbers, strings, lists and maps only.
 */
public final class RocStatistics {
  private RocStatistics() {}

  /**
   * Returns {@code {"cases", "controls", "confidence_level", "columns": [{"column", "auc",
   * "variance", "ci_lower", "ci_upper"}...]}} for every score column.
   */
  public static Map<String, Object> auc(int[] truth, Map<String, double[]> scoreColumns) {
    if (scoreColumns.isEmpty()) {
      throw new IllegalArgumentException("no score column given");
    }
    List<Object> columns = new ArrayList<>();
    DeLongResult first = null;
    for (var e : scoreColumns.entrySet()) {
      DeLongResult r = DeLong.single(e.getValue(), truth);
      first = first == null ? r : first;
      Map<String, Object> c = describe(r);
      c.put("column", e.getKey());
      columns.add(reorder(c, "column"));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("cases", first.cases());
    out.put("controls", first.controls());
    out.put("confidence_level", first.confidenceLevel());
    out.put("columns", columns);
    return out;
  }

  /**
   * Returns pROC's paired DeLong test as {@code {"cases", "controls", "a": {...}, "b": {...},
   * "covariance", "difference", "z", "p", "difference_ci_lower", "difference_ci_upper",
   * "method"}}.
   */
  public static Map<String, Object> delong(int[] truth, String nameA, double[] scoresA, String nameB,
      double[] scoresB) {
    PairedTestResult t = DeLong.paired(scoresA, scoresB, truth);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("method", "DeLong's test for two correlated ROC curves (two-sided)");
    out.put("cases", t.a().cases());
    out.put("controls", t.a().controls());
    Map<String, Object> a = describe(t.a());
    a.put("column", nameA);
    Map<String, Object> b = describe(t.b());
    b.put("column", nameB);
    out.put("a", reorder(a, "column"));
    out.put("b", reorder(b, "column"));
    out.put("covariance", t.covariance());
    out.put("difference", t.difference());
    out.put("z", t.z());
    out.put("p", t.p());
    out.put("difference_ci_lower", t.diffCiLower());
    out.put("difference_ci_upper", t.diffCiUpper());
    out.put("confidence_level", t.a().confidenceLevel());
    return out;
  }

  /**
   * Parses a truth column: "1"/"0", "true"/"false", "yes"/"no" (case-insensitive), or numbers 1.0/0.0.
   *
   * @throws IllegalArgumentException naming the row of the first value that is none of these
   */
  public static int[] parseTruth(List<String> column) {
    int[] out = new int[column.size()];
    for (int i = 0; i < out.length; i++) {
      String v = column.get(i).trim().toLowerCase(java.util.Locale.ROOT);
      switch (v) {
        case "1", "1.0", "true", "yes" -> out[i] = 1;
        case "0", "0.0", "false", "no" -> out[i] = 0;
        default -> throw new IllegalArgumentException("truth value '" + column.get(i) + "' in row "
            + (i + 1) + " is not 0/1, true/false or yes/no");
      }
    }
    return out;
  }

  private static Map<String, Object> describe(DeLongResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("auc", r.auc());
    m.put("variance", r.variance());
    m.put("ci_lower", r.ciLower());
    m.put("ci_upper", r.ciUpper());
    return m;
  }

  private static Map<String, Object> reorder(Map<String, Object> m, String firstKey) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put(firstKey, m.get(firstKey));
    m.forEach((k, v) -> {
      if (!k.equals(firstKey)) {
        out.put(k, v);
      }
    });
    return out;
  }
}

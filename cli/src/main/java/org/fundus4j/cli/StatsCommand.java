package org.fundus4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fundus4j.evaluation.stats.RocStatistics;
import org.fundus4j.pipelines.Csv;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fundus stats}: pROC-style AUC statistics from a CSV file, printed as JSON. */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = "AUC, DeLong variance and CI, and DeLong's paired test, as pROC's ci.auc()/roc.test(), as JSON.",
    subcommands = {StatsCommand.Auc.class, StatsCommand.Delong.class})
final class StatsCommand {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Options shared by both statistics. */
  static class Columns {
    @Option(names = "--csv", required = true, description = "CSV file with a header row")
    Path csv;

    @Option(names = "--truth", required = true, description = "Column of true labels (0/1)")
    String truth;

    @Option(names = "--scores", required = true, split = ",", description = "Score column(s), comma-separated")
    List<String> scores;

    /** Reads the truth column and each score column; rows with an empty cell in any of them fail. */
    Table read() throws IOException {
      List<String> truthColumn = new ArrayList<>();
      Map<String, List<Double>> values = new LinkedHashMap<>();
      scores.forEach(s -> values.put(s, new ArrayList<>()));
      Csv.Table t = Csv.read(csv); // the project's one CSV reader: RFC 4180, UTF-8 BOM stripped
      int truthAt = t.requireColumn(truth);
      Map<String, Integer> scoreAt = new LinkedHashMap<>();
      scores.forEach(s -> scoreAt.put(s, t.requireColumn(s)));
      for (int r = 0; r < t.rows().size(); r++) {
        List<String> row = t.rows().get(r);
        truthColumn.add(row.get(truthAt));
        for (String s : scores) {
          values.get(s).add(number(row.get(scoreAt.get(s)), s, t.lines().get(r)));
        }
      }
      Map<String, double[]> arrays = new LinkedHashMap<>();
      values.forEach((k, v) -> arrays.put(k, v.stream().mapToDouble(Double::doubleValue).toArray()));
      return new Table(RocStatistics.parseTruth(truthColumn), arrays);
    }

    private double number(String text, String column, long row) {
      try {
        return Double.parseDouble(text.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            csv + " line " + row + ": score '" + text + "' in column '" + column + "' is not a number");
      }
    }

    private static List<String> concat(String first, List<String> rest) {
      List<String> all = new ArrayList<>(List.of(first));
      all.addAll(rest);
      return all;
    }
  }

  record Table(int[] labels, Map<String, double[]> scores) {}

  /** {@code fundus stats auc}: AUC with DeLong variance and CI per score column. */
  @Command(name = "auc", mixinStandardHelpOptions = true,
      description = "Per score column: AUC, DeLong variance and 95% CI (pROC ci.auc, method delong).")
  static final class Auc extends Columns implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      Table table = read();
      System.out.println(JSON.writeValueAsString(RocStatistics.auc(table.labels(), table.scores())));
      return 0;
    }
  }

  /** {@code fundus stats delong}: DeLong's paired test of two score columns on the same cases. */
  @Command(name = "delong", mixinStandardHelpOptions = true,
      description = "DeLong's test for two correlated AUCs (pROC roc.test, method delong, paired).")
  static final class Delong extends Columns implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
      if (scores.size() != 2) {
        throw new IllegalArgumentException("delong compares exactly two score columns, got " + scores);
      }
      Table table = read();
      String a = scores.get(0);
      String b = scores.get(1);
      System.out.println(JSON.writeValueAsString(RocStatistics.delong(table.labels(), a, table.scores().get(a), b,
          table.scores().get(b))));
      return 0;
    }
  }
}

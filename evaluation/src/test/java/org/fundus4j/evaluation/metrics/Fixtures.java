package org.fundus4j.evaluation.metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads the CSV fixtures made by src/test/fixtures/delong/make_fixtures.R and make_sklearn.py. */
final class Fixtures {
  static final Path DIR = Path.of("src", "test", "fixtures", "delong");

  private Fixtures() {}

  /** One data file: labels and score columns a (and b). */
  record Data(int[] labels, double[] a, double[] b) {}

  static Data data(String name) {
    List<String> lines = lines(name + ".csv");
    String[] header = lines.get(0).split(",");
    int n = lines.size() - 1;
    int[] labels = new int[n];
    double[] a = new double[n];
    double[] b = header.length > 2 ? new double[n] : null;
    for (int i = 0; i < n; i++) {
      String[] f = lines.get(i + 1).split(",");
      labels[i] = (int) Double.parseDouble(f[0]);
      a[i] = Double.parseDouble(f[1]);
      if (b != null) {
        b[i] = Double.parseDouble(f[2]);
      }
    }
    return new Data(labels, a, b);
  }

  /** expected.csv as "case/key" -> value. */
  static Map<String, Double> expected() {
    Map<String, Double> out = new HashMap<>();
    for (String line : lines("expected.csv").subList(1, lines("expected.csv").size())) {
      String[] f = line.split(",");
      out.put(f[0] + "/" + f[1], Double.parseDouble(f[2]));
    }
    return out;
  }

  static List<String> lines(String file) {
    try {
      return Files.readAllLines(DIR.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package org.fundus4j.evaluation.visualize;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.fundus4j.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import smile.manifold.TSNE;
import smile.math.MathEx;

/**
 * t-SNE embeddings of backbone features (van der Maaten and Hinton 2008) with Smile 2.6.0's
 * {@code smile.manifold.TSNE} (Apache-2.0; Smile 3+ is GPL-3.0 and must not be used), saved as a
 * PNG scatter coloured by label and as CSV.
 *
 * <pre>{@code
 * double[][] xy = Tsne.embed(features, 42);                  // features [N][2048] -> [N][2]
 * Tsne.writePng(Path.of("tsne.png"), xy, labels, List.of("normal", "glaucoma"), "Backbone features");
 * Tsne.writeCsv(Path.of("tsne.csv"), xy, labels);
 * }</pre>
 */
public final class Tsne {
  /** Default number of gradient-descent iterations. */
  public static final int DEFAULT_ITERATIONS = 1000;
  /** Default learning rate, Smile's and scikit-learn's 200. */
  public static final double DEFAULT_LEARNING_RATE = 200;

  private Tsne() {}

  /**
   * Embeds the rows of {@code x} in 2-D with perplexity min(30, (N - 1) / 3) and 1000 iterations.
   *
   * @param x {@code [N][D]} features, N >= 4
   * @param seed seeds Smile's random generator (for this thread) so the result is repeatable
   * @return {@code [N][2]} coordinates
   */
  public static double[][] embed(double[][] x, long seed) {
    double perplexity = Math.min(30, (x.length - 1) / 3.0);
    return embed(x, seed, perplexity, DEFAULT_ITERATIONS);
  }

  /**
   * Embeds the rows of {@code x} in 2-D.
   *
   * @param perplexity effective number of neighbours, must be below (N - 1) / 3 + epsilon
   * @param iterations gradient-descent iterations, >= 250
   */
  public static double[][] embed(double[][] x, long seed, double perplexity, int iterations) {
    if (x.length < 4) {
      throw new IllegalArgumentException("t-SNE needs at least 4 points, got " + x.length);
    }
    int d = x[0].length;
    for (int i = 0; i < x.length; i++) {
      if (x[i].length != d) {
        throw new IllegalArgumentException("row " + i + " has " + x[i].length + " features, row 0 has " + d);
      }
    }
    if (!(perplexity > 0) || perplexity * 3 > x.length - 1 + 1e-9) {
      throw new IllegalArgumentException("perplexity must be in (0, (N-1)/3] = (0, "
          + (x.length - 1) / 3.0 + "], got " + perplexity);
    }
    if (iterations < 250) {
      throw new IllegalArgumentException("iterations must be >= 250 (early exaggeration), got " + iterations);
    }
    // Smile treats a square input as a distance matrix, so always pass squared distances.
    int n = x.length;
    double[][] d2 = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        double s = 0;
        for (int k = 0; k < d; k++) {
          double t = x[i][k] - x[j][k];
          s += t * t;
        }
        d2[i][j] = s;
        d2[j][i] = s;
      }
    }
    MathEx.setSeed(seed);
    TSNE tsne = new TSNE(d2, 2, perplexity, DEFAULT_LEARNING_RATE, iterations);
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      out[i] = tsne.coordinates[i].clone();
    }
    return out;
  }

  /** Writes {@code x,y,label} rows with a header. */
  public static void writeCsv(Path file, double[][] coordinates, int[] labels) throws IOException {
    checkLabels(coordinates, labels);
    StringBuilder sb = new StringBuilder("x,y,label\n");
    for (int i = 0; i < coordinates.length; i++) {
      sb.append(String.format(Locale.ROOT, "%.17g,%.17g,%d%n", coordinates[i][0], coordinates[i][1],
          labels[i]));
    }
    AtomicFiles.writeString(file, sb.toString());
  }

  /**
   * Writes an 800 x 700 PNG scatter of the coordinates, one colour per label.
   *
   * @param labelNames name of label k at index k; a label without a name is shown as its number
   */
  public static void writePng(Path file, double[][] coordinates, int[] labels, List<String> labelNames,
      String title) throws IOException {
    checkLabels(coordinates, labels);
    TreeMap<Integer, List<double[]>> byLabel = new TreeMap<>();
    for (int i = 0; i < labels.length; i++) {
      byLabel.computeIfAbsent(labels[i], k -> new ArrayList<>()).add(coordinates[i]);
    }
    XYChart chart = new XYChartBuilder().width(800).height(700).title(title)
        .xAxisTitle("t-SNE 1").yAxisTitle("t-SNE 2").build();
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    chart.getStyler().setMarkerSize(7);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesStroke(new BasicStroke(0.5f));
    for (var e : byLabel.entrySet()) {
      List<double[]> pts = e.getValue();
      double[] xs = new double[pts.size()];
      double[] ys = new double[pts.size()];
      for (int i = 0; i < xs.length; i++) {
        xs[i] = pts.get(i)[0];
        ys[i] = pts.get(i)[1];
      }
      int k = e.getKey();
      String name = k >= 0 && k < labelNames.size() ? labelNames.get(k) : "label " + k;
      XYSeries s = chart.addSeries(name + " (n=" + xs.length + ")", xs, ys);
      s.setMarker(SeriesMarkers.CIRCLE);
    }
    createParent(file);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static void checkLabels(double[][] coordinates, int[] labels) {
    if (coordinates.length != labels.length) {
      throw new IllegalArgumentException(coordinates.length + " points but " + labels.length + " labels");
    }
    for (int i = 0; i < coordinates.length; i++) {
      if (coordinates[i].length != 2) {
        throw new IllegalArgumentException("point " + i + " has " + coordinates[i].length
            + " coordinates, expected 2");
      }
    }
  }

  static void createParent(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
  }
}

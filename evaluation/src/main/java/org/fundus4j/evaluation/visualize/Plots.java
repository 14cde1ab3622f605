package org.fundus4j.evaluation.visualize;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fundus4j.evaluation.metrics.RocCurve;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG charts for the paper's figures, drawn with XChart: ROC curves, AUC against input resolution
 * (Jang et al. Fig. 2A), AUC against the fraction of training data (Fig. 2C), training curves and trade-offs.
 *
 * <pre>{@code
 * Plots.rocCurves(Path.of("roc.png"), "Glaucoma", Map.of("Fundus FT 512", curve));
 * Plots.aucVsResolution(Path.of("fig2a.png"), "AUC vs resolution",
 *     List.of(new Plots.Series("ImageNet+Fundus FT", new double[] {224, 512}, auc, sd)));
 * }</pre>
 *
 * <p>Each method writes an 800 x 600 PNG (creating parent folders) and returns its path.
 */
public final class Plots {
  private static final int WIDTH = 800;
  private static final int HEIGHT = 600;
  private static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73),
      new Color(0xCC79A7), new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000), new Color(0xF0E442)};

  private Plots() {}

  /**
   * One line of a chart.
   *
   * @param name legend text
   * @param x x values
   * @param y y values, same length
   * @param yError half-length of error bars (e.g. SD over folds), same length, or null for none
   */
  public record Series(String name, double[] x, double[] y, double[] yError) {
    /** Checks lengths and copies the arrays. */
    public Series {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("series name must not be blank");
      }
      if (x.length != y.length || x.length == 0 || (yError != null && yError.length != y.length)) {
        throw new IllegalArgumentException("series '" + name + "' needs equal non-zero lengths, got x "
            + x.length + ", y " + y.length + (yError == null ? "" : ", error " + yError.length));
      }
      x = x.clone();
      y = y.clone();
      yError = yError == null ? null : yError.clone();
    }

    /** A series without error bars. */
    public Series(String name, double[] x, double[] y) {
      this(name, x, y, null);
    }
  }

  /** Draws ROC curves with the chance diagonal; the legend shows each curve's AUC. */
  public static Path rocCurves(Path file, String title, Map<String, RocCurve> curves) throws IOException {
    if (curves.isEmpty()) {
      throw new IllegalArgumentException("no ROC curve to draw");
    }
    XYChart chart = chart(title, "False-positive rate (1 - specificity)", "True-positive rate (sensitivity)");
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    XYSeries chance = chart.addSeries("chance", new double[] {0, 1}, new double[] {0, 1});
    chance.setLineColor(Color.GRAY);
    chance.setMarker(SeriesMarkers.NONE);
    int i = 0;
    for (var e : curves.entrySet()) {
      RocCurve c = e.getValue();
      XYSeries s = chart.addSeries(String.format(Locale.ROOT, "%s (AUC %.3f)", e.getKey(), c.area()),
          c.fpr(), c.tpr());
      s.setMarker(SeriesMarkers.NONE);
      colour(s, i++);
    }
    return save(chart, file);
  }

  /** AUC (y) against input resolution in pixels (x), one series per model, as the paper's Fig. 2A. */
  public static Path aucVsResolution(Path file, String title, List<Series> series) throws IOException {
    return lines(file, title, "Input resolution (pixels)", "AUC", series);
  }

  /** AUC (y) against the fraction of training data used in % (x), as the paper's Fig. 2C. */
  public static Path aucVsFraction(Path file, String title, List<Series> series) throws IOException {
    return lines(file, title, "Training data used (%)", "AUC", series);
  }

  /**
   * A trade-off: one labelled point (or group of points) per series, not joined, with grey lines at two targets, at
   * least {@code xTarget} and at most {@code yTarget}, so the points that meet both lie right of and below the
   * lines (e.g. int8 speed-up against the largest probability difference).
   */
  public static Path tradeOff(Path file, String title, String xLabel, String yLabel, List<Series> points,
      double xTarget, double yTarget) throws IOException {
    if (points.isEmpty()) {
      throw new IllegalArgumentException("no point to draw in '" + title + "'");
    }
    double xMin = xTarget;
    double xMax = xTarget;
    double yMax = yTarget;
    for (Series s : points) {
      for (int k = 0; k < s.x().length; k++) {
        xMin = Math.min(xMin, s.x()[k]);
        xMax = Math.max(xMax, s.x()[k]);
        yMax = Math.max(yMax, s.y()[k]);
      }
    }
    double xPad = 0.05 * (xMax - xMin) + 1e-9;
    double yTop = 1.15 * yMax;
    XYChart chart = chart(title, xLabel, yLabel);
    chart.getStyler().setXAxisMin(xMin - xPad).setXAxisMax(xMax + xPad).setYAxisMin(0.0).setYAxisMax(yTop);
    // top left: slow and far is where trade-offs leave no point (the target corner is bottom right)
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    for (XYSeries target : List.of(
        chart.addSeries(String.format(Locale.ROOT, "target: at least %.3g", xTarget), new double[] {xTarget, xTarget},
            new double[] {0, yTop}),
        chart.addSeries(String.format(Locale.ROOT, "target: at most %.3g", yTarget),
            new double[] {xMin - xPad, xMax + xPad}, new double[] {yTarget, yTarget}))) {
      target.setLineColor(Color.GRAY);
      target.setMarker(SeriesMarkers.NONE);
    }
    int i = 0;
    for (Series s : points) {
      XYSeries xy = chart.addSeries(s.name(), s.x(), s.y());
      xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      xy.setMarker(SeriesMarkers.CIRCLE);
      colour(xy, i++);
    }
    return save(chart, file);
  }

  /** Loss or metric (y) against epoch (x), e.g. one series for training and one for validation. */
  public static Path trainingCurves(Path file, String title, String yLabel, List<Series> series)
      throws IOException {
    return lines(file, title, "Epoch", yLabel, series);
  }

  private static Path lines(Path file, String title, String xLabel, String yLabel, List<Series> series)
      throws IOException {
    if (series.isEmpty()) {
      throw new IllegalArgumentException("no series to draw in '" + title + "'");
    }
    XYChart chart = chart(title, xLabel, yLabel);
    int i = 0;
    for (Series s : series) {
      XYSeries xy = s.yError() == null ? chart.addSeries(s.name(), s.x(), s.y())
          : chart.addSeries(s.name(), s.x(), s.y(), s.yError());
      xy.setMarker(SeriesMarkers.CIRCLE);
      colour(xy, i++);
    }
    return save(chart, file);
  }

  /**
   * The n-th data series of every chart gets the n-th colour (Okabe-Ito, readable with colour-blindness), so
   * a model drawn in the same position keeps its colour from chart to chart; the ROC chance line is grey and
   * takes no slot.
   */
  private static void colour(XYSeries series, int index) {
    Color c = PALETTE[index % PALETTE.length];
    series.setLineColor(c);
    series.setMarkerColor(c);
    series.setFillColor(c);
  }

  private static XYChart chart(String title, String xLabel, String yLabel) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xLabel)
        .yAxisTitle(yLabel).build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    return chart;
  }

  private static Path save(XYChart chart, Path file) throws IOException {
    Tsne.createParent(file);
    String name = file.toString();
    String base = name.toLowerCase(Locale.ROOT).endsWith(".png") ? name.substring(0, name.length() - 4) : name;
    BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
    return Path.of(base + ".png");
  }
}

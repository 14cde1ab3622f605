package org.fundus4j.samples.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.metrics.RocCurve;
import org.fundus4j.evaluation.report.HtmlReport;
import org.fundus4j.evaluation.stats.CrossValidationSummary;
import org.fundus4j.evaluation.stats.Fold;
import org.fundus4j.evaluation.stats.Table1;
import org.fundus4j.evaluation.visualize.Plots;
import org.fundus4j.evaluation.visualize.Tsne;

/**
 * The HTML report of an experiment grid: the Table-1 grid with DeLong p-values against the baseline,
 * AUC vs resolution (the paper's Fig. 2A), AUC vs data fraction (Fig. 2C), pooled ROC curves, training
 * curves, t-SNE of backbone embeddings per start and the Grad-CAM gallery.
 *
 * <pre>{@code
 * Path index = ExperimentReport.write(grid, results, outDir.resolve("report"), outDir.resolve("cells"));
 * }</pre>
 */
public final class ExperimentReport {

  private ExperimentReport() {}

  /** Writes the report folder and returns the path of its {@code index.html}. */
  public static Path write(GridSpec grid, List<CellResult> results, Path reportDir, Path cellsDir)
      throws IOException {
    Files.createDirectories(reportDir);
    Path figures = Files.createDirectories(reportDir.resolve("figures"));
    double fullFraction = grid.fractions().stream().mapToDouble(Double::doubleValue).max().orElse(1.0);
    int topResolution = grid.resolutions().stream().mapToInt(Integer::intValue).max().orElseThrow();
    Map<String, List<CellResult>> configs = ExperimentRunner.byConfiguration(results);

    List<Table1.Entry> entries = new ArrayList<>();
    Table1.Key baseline = null;
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction) {
        continue;
      }
      Table1.Key key = new Table1.Key(first.start(), first.resolution(),
          first.mode().equals("LP") ? Table1.Protocol.LINEAR_PROBE : Table1.Protocol.FINE_TUNE);
      entries.add(new Table1.Entry(key, folds(folds)));
      if (first.configuration().equalsIgnoreCase(grid.baseline())) {
        baseline = key;
      }
    }
    if (baseline == null) {
      baseline = entries.get(0).key();
    }
    Table1 table = Table1.of(entries, baseline);

    HtmlReport.Builder html = HtmlReport.builder("fundus4j experiment: " + grid.name())
        .syntheticData(grid.data().synthetic())
        .addText("What this is", String.format(Locale.ROOT, "%d cells: starts %s, resolutions %s px, modes %s, "
            + "data fractions %s, %d-fold patient-level cross-validation. AUC is exact (ties count 1/2); "
            + "p-values are DeLong's paired test on the pooled out-of-fold predictions against the baseline "
            + "%s %d px %s.", results.size(), startLabels(grid), grid.resolutions(), grid.modes(),
            grid.fractions(), grid.folds(), baseline.start(), baseline.resolution(),
            baseline.protocol().abbreviation()))
        .addTable(table);

    html.addImage("AUC vs resolution (cf. the paper's Fig. 2A); error bars: SD over folds",
        Plots.aucVsResolution(figures.resolve("auc-vs-resolution.png"), "AUC vs input resolution",
            series(configs, fullFraction, -1)));
    if (grid.fractions().size() > 1) {
      html.addImage("AUC vs training-data fraction (cf. the paper's Fig. 2C)",
          Plots.aucVsFraction(figures.resolve("auc-vs-fraction.png"), "AUC vs data fraction (" + topResolution
              + " px)", series(configs, -1, topResolution)));
    }
    Map<String, RocCurve> curves = new LinkedHashMap<>();
    Map<String, double[]> x = new LinkedHashMap<>();
    List<Plots.Series> losses = new ArrayList<>();
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction || first.resolution() != topResolution) {
        continue;
      }
      CrossValidationSummary s = CrossValidationSummary.of(folds(folds));
      curves.put(first.start() + " " + first.mode(), RocAuc.curve(s.pooledScores(), s.pooledLabels()));
      double[] epochs = new double[first.trainLosses().size()];
      for (int i = 0; i < epochs.length; i++) {
        epochs[i] = i + 1;
      }
      if (epochs.length > 0) {
        losses.add(new Plots.Series(first.start() + " " + first.mode() + " (fold 0)", epochs,
            first.trainLosses().stream().mapToDouble(Double::doubleValue).toArray()));
      }
    }
    html.addImage("Pooled out-of-fold ROC curves at " + topResolution + " px",
        Plots.rocCurves(figures.resolve("roc.png"), "ROC, pooled over folds", curves));
    if (!losses.isEmpty()) {
      html.addImage("Training loss per epoch",
          Plots.trainingCurves(figures.resolve("training.png"), "Training loss", "mean loss", losses));
    }
    addTsne(html, results, cellsDir, figures, topResolution, fullFraction);
    addGradCams(html, results, cellsDir, reportDir);
    return html.build().write(reportDir);
  }

  private static List<String> startLabels(GridSpec grid) {
    return grid.starts().stream().map(s -> org.fundus4j.transfer.Start.valueOf(s).label()).toList();
  }

  private static List<Fold> folds(List<CellResult> cells) {
    return cells.stream().sorted(Comparator.comparingInt(CellResult::fold))
        .map(c -> new Fold(c.scores(), c.labels())).toList();
  }

  /** One series per start and mode: x is the resolution (fraction fixed) or the fraction in % (resolution fixed). */
  private static List<Plots.Series> series(Map<String, List<CellResult>> configs, double fraction, int resolution) {
    Map<String, List<double[]>> points = new LinkedHashMap<>();
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      boolean byResolution = resolution < 0;
      if (byResolution ? first.fraction() != fraction : first.resolution() != resolution) {
        continue;
      }
      CrossValidationSummary s = CrossValidationSummary.of(folds(folds));
      double xValue = byResolution ? first.resolution() : first.fraction() * 100;
      double sd = Double.isNaN(s.standardDeviation()) ? 0 : s.standardDeviation();
      points.computeIfAbsent(first.start() + " " + first.mode(), k -> new ArrayList<>())
          .add(new double[] {xValue, s.mean(), sd});
    }
    List<Plots.Series> series = new ArrayList<>();
    points.forEach((name, list) -> {
      list.sort(Comparator.comparingDouble(p -> p[0]));
      series.add(new Plots.Series(name, list.stream().mapToDouble(p -> p[0]).toArray(),
          list.stream().mapToDouble(p -> p[1]).toArray(), list.stream().mapToDouble(p -> p[2]).toArray()));
    });
    return series;
  }

  private static void addTsne(HtmlReport.Builder html, List<CellResult> results, Path cellsDir, Path figures,
      int resolution, double fraction) throws IOException {
    for (CellResult r : results) {
      Path csv = cellsDir.resolve(r.cell()).resolve(ExperimentRunner.EMBEDDINGS);
      if (r.fold() != 0 || r.resolution() != resolution || r.fraction() != fraction || !Files.exists(csv)) {
        continue;
      }
      List<String> lines = Files.readAllLines(csv);
      double[][] features = new double[lines.size()][];
      int[] labels = new int[lines.size()];
      for (int i = 0; i < lines.size(); i++) {
        String[] parts = lines.get(i).split(",");
        labels[i] = Integer.parseInt(parts[0]);
        features[i] = Stream.of(parts).skip(1).mapToDouble(Double::parseDouble).toArray();
      }
      if (features.length < 5) {
        continue;
      }
      double[][] xy = Tsne.embed(features, 1, Math.min(30, (features.length - 1) / 3.0), 500);
      Path png = figures.resolve("tsne-" + r.cell() + ".png");
      Tsne.writePng(png, xy, labels, List.of("normal", "abnormal"), "t-SNE, " + r.start() + " " + r.mode());
      Tsne.writeCsv(figures.resolve("tsne-" + r.cell() + ".csv"), xy, labels);
      html.tsne("t-SNE of held-out embeddings (fold 0): " + r.start() + ", " + r.mode() + ", " + r.resolution()
          + " px", png);
    }
  }

  private static void addGradCams(HtmlReport.Builder html, List<CellResult> results, Path cellsDir, Path reportDir)
      throws IOException {
    for (CellResult r : results) {
      Path dir = cellsDir.resolve(r.cell()).resolve(ExperimentRunner.GRADCAM);
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.list(dir)) {
        for (Path png : files.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
          html.addGradCam(r.start() + " " + r.mode() + ": " + png.getFileName(), png);
        }
      }
    }
  }
}

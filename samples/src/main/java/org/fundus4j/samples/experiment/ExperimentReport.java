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
import org.fundus4j.evaluation.metrics.DeLong;
import org.fundus4j.evaluation.metrics.MultiLabelAuc;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.metrics.RocCurve;
import org.fundus4j.evaluation.report.HtmlReport;
import org.fundus4j.evaluation.stats.CrossValidationSummary;
import org.fundus4j.evaluation.stats.Fold;
import org.fundus4j.evaluation.stats.Table1;
import org.fundus4j.evaluation.visualize.Plots;
import org.fundus4j.evaluation.visualize.Tsne;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;

/**
 * The HTML report of an experiment grid: per task its Table 1 (binary: AUC with DeLong p-values against the
 * baseline; multi-label: macro and per-label AUC; segmentation: Dice), the external-validation table (per
 * external set: the score of each start and mode, DeLong p against the baseline), the score vs resolution (the
 * paper's Fig. 2A) and vs data fraction (Fig. 2C), pooled ROC curves, training curves, t-SNE of backbone
 * embeddings and the Grad-CAM gallery.
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

    HtmlReport.Builder html = HtmlReport.builder("fundus4j experiment: " + grid.name())
        .syntheticData(grid.synthetic())
        .addText("What this is", String.format(Locale.ROOT, "%d cells: tasks %s, starts %s, resolutions %s px, "
            + "modes %s, data fractions %s, %d-fold patient-level cross-validation; every cell trained as "
            + "'fundus transfer' trains (early stopping on a patient-level validation split of its training "
            + "part). AUC is exact (ties count 1/2); p-values are DeLong's paired test on the pooled out-of-fold "
            + "predictions against the baseline %s. External sets: %s, each predicted by every fold's model; a "
            + "configuration's external score uses the mean probability of its folds' models per image.",
            results.size(), grid.tasks(), startLabels(grid), grid.resolutions(), grid.modes(), grid.fractions(),
            grid.folds(), grid.baseline(), grid.external().isEmpty() ? "none"
                : grid.external().stream().map(e -> e.name() + " (" + e.task() + ")").toList()));

    for (Task task : grid.taskList()) {
      List<CellResult> cells = results.stream().filter(r -> r.task().equals(task.word())).toList();
      if (cells.isEmpty()) {
        continue;
      }
      Map<String, List<CellResult>> configs = ExperimentRunner.byConfiguration(cells);
      String metric = task.metric();
      switch (task) {
        case BINARY -> html.addTable(binaryTable(configs, fullFraction, grid.baselineConfiguration()));
        case MULTILABEL -> multiLabelTable(html, configs, fullFraction);
        case SEGMENTATION -> segmentationTable(html, configs, fullFraction);
      }
      String slug = task.word();
      html.addImage(cap(task) + ": " + metric + " vs resolution (cf. the paper's Fig. 2A); error bars: SD over folds",
          Plots.aucVsResolution(figures.resolve(slug + "-vs-resolution.png"), cap(task) + ": " + metric
              + " vs input resolution", series(configs, fullFraction, -1)));
      if (grid.fractions().size() > 1) {
        html.addImage(cap(task) + ": " + metric + " vs training-data fraction (cf. the paper's Fig. 2C)",
            Plots.aucVsFraction(figures.resolve(slug + "-vs-fraction.png"), cap(task) + ": " + metric
                + " vs data fraction (" + topResolution + " px)", series(configs, -1, topResolution)));
      }
      if (task == Task.BINARY) {
        rocCurves(html, configs, fullFraction, topResolution, figures);
      }
      trainingCurves(html, task, configs, fullFraction, topResolution, figures);
    }
    externalTables(html, grid, results, fullFraction, topResolution);
    addTsne(html, results, cellsDir, figures, topResolution, fullFraction);
    addGradCams(html, results, cellsDir);
    return html.build().write(reportDir);
  }

  private static String cap(Task task) {
    return switch (task) {
      case BINARY -> "Binary abnormality";
      case MULTILABEL -> "Multi-label diseases";
      case SEGMENTATION -> "Vessel segmentation";
    };
  }

  private static Table1 binaryTable(Map<String, List<CellResult>> configs, double fullFraction, String baseline) {
    List<Table1.Entry> entries = new ArrayList<>();
    Table1.Key baselineKey = null;
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction) {
        continue;
      }
      Table1.Key key = key(first);
      entries.add(new Table1.Entry(key, folds(folds)));
      if (first.configuration().equalsIgnoreCase(baseline)) {
        baselineKey = key;
      }
    }
    return Table1.of(entries, baselineKey != null ? baselineKey : entries.get(0).key());
  }

  private static Table1.Key key(CellResult r) {
    return new Table1.Key(r.start(), r.resolution(),
        r.mode().equals("LP") ? Table1.Protocol.LINEAR_PROBE : Table1.Protocol.FINE_TUNE);
  }

  /** Multi-label Table 1: macro AUC (mean +- SD over folds) and each label's pooled out-of-fold AUC. */
  private static void multiLabelTable(HtmlReport.Builder html, Map<String, List<CellResult>> configs,
      double fullFraction) {
    List<String> labels = configs.values().iterator().next().get(0).labelNames();
    List<String> header = new ArrayList<>(List.of("start", "resolution", "protocol", "macro AUC (mean ± SD)"));
    labels.forEach(l -> header.add(l + " AUC"));
    List<List<String>> rows = new ArrayList<>();
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction) {
        continue;
      }
      double[] perFold = folds.stream().mapToDouble(CellResult::score).toArray();
      List<String> row = new ArrayList<>(List.of(first.start(), first.resolution() + " px", first.mode(),
          meanSd(perFold)));
      double[] pooled = MultiLabelAuc.perLabel(pooledScores(folds), pooledLabels(folds));
      for (double auc : pooled) {
        row.add(fmt(auc));
      }
      rows.add(row);
    }
    html.addTable("Multi-label diseases: macro AUC over the labels, and per-label AUC pooled over folds", header,
        rows);
  }

  private static void segmentationTable(HtmlReport.Builder html, Map<String, List<CellResult>> configs,
      double fullFraction) {
    List<List<String>> rows = new ArrayList<>();
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction) {
        continue;
      }
      rows.add(List.of(first.start(), first.resolution() + " px", first.mode(),
          meanSd(folds.stream().mapToDouble(CellResult::score).toArray())));
    }
    html.addTable("Vessel segmentation: mean per-image Dice at threshold 0.5 (mean ± SD over folds)",
        List.of("start", "resolution", "protocol", "Dice (mean ± SD)"), rows);
  }

  /**
   * Per external set, the fold-ensemble score of every start and mode at the top resolution and full data, and
   * (binary) DeLong's paired p against the baseline's ensemble on the same images.
   */
  private static void externalTables(HtmlReport.Builder html, GridSpec grid, List<CellResult> results,
      double fullFraction, int topResolution) {
    for (GridSpec.ExternalSpec e : grid.external()) {
      Task task = Task.parse(e.task());
      Map<String, TransferRun.HeldOut> ensembles = new LinkedHashMap<>();
      Map<String, CellResult> firsts = new LinkedHashMap<>();
      for (List<CellResult> folds : ExperimentRunner.byConfiguration(results).values()) {
        CellResult first = folds.get(0);
        if (!first.task().equals(task.word()) || first.fraction() != fullFraction
            || first.resolution() != topResolution || !first.external().containsKey(e.name())) {
          continue;
        }
        ensembles.put(first.configuration(), ensemble(folds, e.name()));
        firsts.put(first.configuration(), first);
      }
      if (ensembles.isEmpty()) {
        continue;
      }
      String baseline = ensembles.keySet().stream().filter(c -> c.equalsIgnoreCase(grid.baselineConfiguration()))
          .findFirst().orElse(ensembles.keySet().iterator().next());
      List<List<String>> rows = new ArrayList<>();
      for (Map.Entry<String, TransferRun.HeldOut> c : ensembles.entrySet()) {
        CellResult first = firsts.get(c.getKey());
        TransferRun.HeldOut p = c.getValue();
        String score;
        String pValue;
        if (task == Task.BINARY) {
          score = fmt(RocAuc.compute(p.scores(0), p.labels(0)));
          pValue = c.getKey().equals(baseline) ? "baseline" : Table1.formatP(DeLong.paired(p.scores(0),
              ensembles.get(baseline).scores(0), p.labels(0)).p());
        } else if (task == Task.MULTILABEL) {
          score = fmt(MultiLabelAuc.macro(p.scores(), p.labels()));
          pValue = c.getKey().equals(baseline) ? "baseline" : "-";
        } else {
          score = fmt(Stream.of(p.scores()).mapToDouble(r -> r[0]).average().orElse(Double.NaN));
          pValue = c.getKey().equals(baseline) ? "baseline" : "-";
        }
        rows.add(List.of(first.start(), first.mode(), Integer.toString(p.images().size()), score, pValue));
      }
      html.addTable("External validation on " + e.name() + " (" + cap(task) + ", " + topResolution
              + " px): fold-ensemble " + task.metric() + ", DeLong p vs " + baseline,
          List.of("start", "protocol", "images", task.metric(), "p vs baseline"), rows);
    }
  }

  /** The mean of the folds' probabilities per external image. */
  private static TransferRun.HeldOut ensemble(List<CellResult> folds, String external) {
    TransferRun.HeldOut first = folds.get(0).external().get(external);
    double[][] mean = new double[first.scores().length][];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = new double[first.scores()[i].length];
      for (CellResult f : folds) {
        double[] s = f.external().get(external).scores()[i];
        for (int j = 0; j < s.length; j++) {
          mean[i][j] += s[j] / folds.size();
        }
      }
    }
    return new TransferRun.HeldOut(first.images(), first.labels(), mean, first.unreadable());
  }

  private static void rocCurves(HtmlReport.Builder html, Map<String, List<CellResult>> configs, double fullFraction,
      int topResolution, Path figures) throws IOException {
    Map<String, RocCurve> curves = new LinkedHashMap<>();
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction || first.resolution() != topResolution) {
        continue;
      }
      CrossValidationSummary s = CrossValidationSummary.of(folds(folds));
      curves.put(first.start() + " " + first.mode(), RocAuc.curve(s.pooledScores(), s.pooledLabels()));
    }
    html.addImage("Binary abnormality: pooled out-of-fold ROC curves at " + topResolution + " px",
        Plots.rocCurves(figures.resolve("roc.png"), "ROC, pooled over folds", curves));
  }

  private static void trainingCurves(HtmlReport.Builder html, Task task, Map<String, List<CellResult>> configs,
      double fullFraction, int topResolution, Path figures) throws IOException {
    List<Plots.Series> losses = new ArrayList<>();
    for (List<CellResult> folds : configs.values()) {
      CellResult first = folds.get(0);
      if (first.fraction() != fullFraction || first.resolution() != topResolution || first.trainLosses().isEmpty()) {
        continue;
      }
      double[] epochs = new double[first.trainLosses().size()];
      for (int i = 0; i < epochs.length; i++) {
        epochs[i] = i + 1;
      }
      losses.add(new Plots.Series(first.start() + " " + first.mode() + " (fold 0)", epochs,
          first.trainLosses().stream().mapToDouble(Double::doubleValue).toArray()));
    }
    if (!losses.isEmpty()) {
      html.addImage(cap(task) + ": training loss per epoch", Plots.trainingCurves(
          figures.resolve(task.word() + "-training.png"), cap(task) + ": training loss", "mean loss", losses));
    }
  }

  private static List<String> startLabels(GridSpec grid) {
    return grid.starts().stream().map(s -> org.fundus4j.transfer.Start.valueOf(s).label()).toList();
  }

  /** Binary folds: the held-out P(abnormal) and labels of each fold, in fold order. */
  private static List<Fold> folds(List<CellResult> cells) {
    return cells.stream().sorted(Comparator.comparingInt(CellResult::fold))
        .map(c -> new Fold(c.heldOut().scores(0), c.heldOut().labels(0))).toList();
  }

  private static double[][] pooledScores(List<CellResult> folds) {
    return folds.stream().flatMap(f -> Stream.of(f.heldOut().scores())).toArray(double[][]::new);
  }

  private static int[][] pooledLabels(List<CellResult> folds) {
    return folds.stream().flatMap(f -> Stream.of(f.heldOut().labels())).toArray(int[][]::new);
  }

  private static String meanSd(double[] values) {
    double mean = java.util.Arrays.stream(values).average().orElse(Double.NaN);
    double sd = Math.sqrt(java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum()
        / Math.max(1, values.length - 1));
    return String.format(Locale.ROOT, "%.3f ± %.3f", mean, sd);
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.3f", v);
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
      double[] perFold = folds.stream().mapToDouble(CellResult::score).toArray();
      double mean = java.util.Arrays.stream(perFold).average().orElse(Double.NaN);
      double sd = perFold.length < 2 ? 0 : Math.sqrt(java.util.Arrays.stream(perFold)
          .map(v -> (v - mean) * (v - mean)).sum() / (perFold.length - 1));
      double xValue = byResolution ? first.resolution() : first.fraction() * 100;
      points.computeIfAbsent(first.start() + " " + first.mode(), k -> new ArrayList<>())
          .add(new double[] {xValue, mean, Double.isNaN(sd) ? 0 : sd});
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
      List<String> names = r.task().equals(Task.BINARY.word()) ? List.of("normal", "abnormal")
          : List.of("no finding", "any finding");
      Tsne.writePng(png, xy, labels, names, "t-SNE, " + r.task() + ", " + r.start() + " " + r.mode());
      Tsne.writeCsv(figures.resolve("tsne-" + r.cell() + ".csv"), xy, labels);
      html.tsne("t-SNE of held-out embeddings (" + r.task() + ", fold 0): " + r.start() + ", " + r.mode() + ", "
          + r.resolution() + " px", png);
    }
  }

  private static void addGradCams(HtmlReport.Builder html, List<CellResult> results, Path cellsDir)
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

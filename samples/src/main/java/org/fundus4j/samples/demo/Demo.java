package org.fundus4j.samples.demo;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.fundus4j.pipelines.SkipReport;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.dicom.ImageIdentity;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.splits.Fold;
import org.fundus4j.pipelines.splits.PatientKFold;
import org.fundus4j.samples.Cc0Photograph;
import org.fundus4j.transfer.Progress;
import org.fundus4j.samples.experiment.Experiment;
import org.fundus4j.samples.experiment.GridSpec;
import org.fundus4j.screening.BatchScreening;
import org.fundus4j.screening.ScreeningRow;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import org.fundus4j.pipelines.sources.LabelledSet;

/**
 * The end-to-end demo behind {@code ./fundus demo}: synthetic DICOM data in, DICOM SRs out.
 *
 * <p>It writes a seeded synthetic fundus data set as DICOM Ophthalmic Photography files and converts the
 * bundled real CC0 photograph to DICOM; runs the demo experiment grid (Scratch and an upstream-trained
 * Fundus start, each by linear probing (LP) and full fine-tuning (FT), 2 patient-level folds, low
 * resolution) with its HTML report; trains the screening model (LP of a torchvision-layout ResNet-50) on
 * a patient-level split and prints its held-out AUC; and screens every DICOM file, writing one Structured
 * Report per image and a summary CSV. The data are synthetic and the model is for demonstration only.
 *
 * <pre>{@code
 * Demo.Result result = Demo.run(Demo.Options.defaults(Path.of("demo-out")), System.out, Progress.NONE);
 * }</pre>
 */
public final class Demo {

  /** The name the demo model signs its SRs with (TID 4019 Algorithm Name). */
  public static final String ALGORITHM = "fundus4j demo ResNet-50 (synthetic data, not for clinical use)";

  /**
   * Settings of one demo run.
   *
   * @param outDir where data, model, SRs and summary go
   * @param images number of synthetic images
   * @param size input side in pixels (a multiple of 32)
   * @param lpEpochs epochs of head training on cached features
   * @param ftEpochs epochs of fine-tuning in the grid
   * @param batchSize mini-batch size
   * @param seed seeds the data, the split and the weights
   */
  public record Options(Path outDir, int images, int size, int gridResolution, int lpEpochs, int ftEpochs,
      int batchSize, long seed) {
    public Options {
      if (images < 16) {
        throw new IllegalArgumentException("The demo needs at least 16 images, got " + images);
      }
      if (size < 64 || size % 32 != 0 || gridResolution < 64 || gridResolution % 32 != 0) {
        throw new IllegalArgumentException("Demo sizes must be multiples of 32 and >= 64, got " + size + " and "
            + gridResolution);
      }
    }

    /**
     * The settings {@code ./fundus demo} uses: 120 images, the grid at 64 px, the screening model at 128 px;
     * under 10 minutes on 2 cores.
     */
    public static Options defaults(Path outDir) {
      return new Options(outDir, 120, 128, 64, 30, 2, 16, 20240816L);
    }
  }

  /**
   * What the demo produced.
   *
   * @param report the experiment grid's HTML report
   * @param lpAuc held-out AUC of the screening model (linear probe)
   * @param modelDir the saved screening model
   * @param rows one row per screened DICOM file
   * @param summaryCsv the screening summary
   */
  public record Result(Path report, double lpAuc, Path modelDir, List<ScreeningRow> rows,
      Path summaryCsv) {}

  private Demo() {}

  /** Runs the whole demo, printing what it does to {@code out}. */
  public static Result run(Options options, PrintStream out, Progress.Factory progress) throws IOException {
    Path outDir = options.outDir();
    out.println("== fundus4j demo: ALL IMAGES ARE SYNTHETIC (plus one real CC0 photograph); "
        + "the model is a demonstration, not a medical device ==");

    out.printf(Locale.ROOT, "1/5 Writing %d synthetic fundus images as DICOM OP files ...%n", options.images());
    Path dataDir = outDir.resolve("data");
    Path labels = SyntheticDataset.writeDicom(dataDir.resolve("synthetic"), options.images(), 2 * options.size(),
        options.seed());
    Path real = writeRealPhotograph(dataDir.resolve("real"));
    out.println("    labels: " + labels + "; real CC0 photograph: " + real);

    out.printf(Locale.ROOT, "2/5 Experiment grid (Scratch vs Fundus start x LP/FT x 2 patient-level folds, %d px) ...%n",
        options.gridResolution());
    Path report = runGrid(options, labels, outDir.resolve("experiment"), out, progress);
    out.println("    report: " + report);

    List<Sample> all = DicomFolder.read(labels).samples();
    List<Fold> folds = PatientKFold.split(all, 4, options.seed());
    Fold heldOut = folds.get(0);
    out.printf(Locale.ROOT, "3/5 Patient-level split: %d training images, %d held-out images%n",
        heldOut.train().size(), heldOut.test().size());

    out.println("4/5 Screening model: linear probe at " + options.size() + " px (frozen Scratch backbone, BatchNorm "
        + "statistics re-estimated), trained as 'fundus transfer' trains ...");
    Path modelDir = outDir.resolve("model");
    TransferRun.Plan plan = new TransferRun.Plan(Task.BINARY, Mode.LP, Start.SCRATCH, null, options.size(),
        options.lpEpochs(), options.lpEpochs(), options.batchSize(), 1e-3, options.seed(), 0.25);
    TransferRun.Result trained;
    try (Progress bar = progress.start("LP epochs", options.lpEpochs())) {
      TransferRun.Listener epochs = new TransferRun.Listener() {
        @Override
        public void epochDone(int epoch, double meanLoss) {
          bar.stepTo(epoch + 1L);
        }
      };
      trained = TransferRun.run(plan, new LabelledSet("demo", heldOut.train(), List.of("normal", "abnormal"),
          LabelKind.BINARY), Map.of("demo", "synthetic", "images", Integer.toString(options.images())), modelDir,
          Files.exists(modelDir.resolve("run.json")), TransferRun.Settings.defaults().withSyntheticData(true)
              .withName(ALGORITHM).withListener(epochs));
    }
    TransferRun.HeldOut test = trained.predict(heldOut.test());
    double lpAuc = RocAuc.compute(test.scores(0), test.labels(0));
    out.printf(Locale.ROOT, "    LP held-out AUC = %.3f%n", lpAuc);
    if (!test.unreadable().isEmpty()) {
      out.printf(Locale.ROOT, "    %d held-out files skipped: %s%n", test.unreadable().size(), test.unreadable());
    }
    ModelCard card = trained.model().card().withMetric("heldOutAuc", lpAuc);
    SavedModel.writeCard(modelDir, card);
    ComputationGraph probe = trained.model().graph();
    // Static int8 quantisation for `fundus screen --precision int8`, calibrated on >= 64 training images
    // (what `fundus quantize` does; the all-int8 model is only measured).
    card = SavedModel.quantize(modelDir, new SavedModel(probe, card), Math.min(64, card.training().trainingImages()),
        2, new SkipReport());
    out.printf(Locale.ROOT, "    int8 model for --precision int8: %s (calibrated on %d training images; max |P int8 - "
        + "P fp32| on them %.3f, bound %.2f)%n", modelDir.resolve(SavedModel.INT8),
        card.quantization().calibrationImages(), card.quantization().maxDifference(), card.quantization().bound());

    out.printf(Locale.ROOT, "5/5 Screening every DICOM file with the LP model (%d px), one SR per image ...%n", options.size());
    List<Path> files = BatchScreening.expand(List.of(dataDir));
    files.removeIf(f -> !f.getFileName().toString().endsWith(".dcm"));
    Path screenDir = outDir.resolve("screening");
    List<ScreeningRow> rows;
    Path summary = screenDir.resolve("summary.csv");
    try (BatchScreening screening = new BatchScreening(new SavedModel(probe, card),
        UidGenerator.uuidDerived()); Progress bar = progress.start("screening", files.size())) {
      out.println("    inference engine: " + screening.engine());
      rows = screening.run(files, screenDir, bar::stepTo);
      BatchScreening.writeCsv(rows, screening.outputs(), summary);
    }
    printTable(rows, outDir, out);
    out.printf(Locale.ROOT, "Done: screening model LP AUC %.3f (held-out, synthetic); LP/FT per start in the report. "
        + "%d SRs in %s, summary %s%n", lpAuc, rows.stream().filter(r -> r.status() == ScreeningRow.Status.SCREENED).count(),
        screenDir.resolve("sr"), summary);
    out.println("Open the report: " + report.toAbsolutePath());
    out.println("== Reminder: synthetic data; these numbers say the pipeline works, not that a model is good ==");
    return new Result(report, lpAuc, modelDir, rows, summary);
  }

  /** Writes the demo grid for the generated data set and runs it (resumably) into {@code dir}. */
  private static Path runGrid(Options options, Path labels, Path dir, PrintStream out, Progress.Factory progress)
      throws IOException {
    Files.createDirectories(dir);
    GridSpec grid = GridSpec.binary("demo grid on SYNTHETIC DATA", GridSpec.DataSpec.dicom(
        dir.toAbsolutePath().relativize(labels.toAbsolutePath()).toString(), 0, true),
        List.of("scratch", "fundus"), Map.of(), new GridSpec.UpstreamSpec(64, 2, 3e-4),
        List.of(options.gridResolution()), List.of("LP", "FT"), List.of(1.0), 2,
        new GridSpec.TrainingSpec(options.lpEpochs(), options.ftEpochs(), 1e-3, 3e-4, options.batchSize()),
        "scratch/" + options.gridResolution() + "px/FT/100pct", options.seed());
    Path file = dir.resolve("grid.json");
    GridSpec.write(grid, file);
    return Experiment.run(file, dir, out, progress).report();
  }

  /** Converts the bundled CC0 photograph (normal left eye, Häggström 2014) to a DICOM OP file. */
  static Path writeRealPhotograph(Path dir) throws IOException {
    Files.createDirectories(dir);
    BufferedImage photo = Cc0Photograph.normalLeftEye();
    UidGenerator uids = UidGenerator.uuidDerived();
    ImageIdentity id = new ImageIdentity("CC0-DEMO-0001", "CC0^Demo Subject", uids.next(), uids.next(), uids.next(),
        "L", LocalDate.of(2014, 1, 1));
    Path file = dir.resolve("retina-normal-left.dcm");
    OphthalmicPhotoWriter.write(photo, id, file);
    return file;
  }

  private static void printTable(List<ScreeningRow> rows, Path base, PrintStream out) {
    out.println("    file                                              status    P(abnormal)");
    for (ScreeningRow row : rows) {
      String file = row.file().startsWith(base) ? base.relativize(row.file()).toString() : row.file().toString();
      out.printf(Locale.ROOT, "    %-49s %-9s %s%n", file, row.status().name().toLowerCase(Locale.ROOT),
          row.status() == ScreeningRow.Status.SCREENED ? String.format(Locale.ROOT, "%.3f", row.probability())
              : row.reason());
    }
  }
}

package org.fundus4j.samples.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.fundus4j.evaluation.metrics.MultiLabelAuc;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.sources.TaskData;
import org.fundus4j.pipelines.splits.DataFractions;
import org.fundus4j.pipelines.splits.Fold;
import org.fundus4j.pipelines.splits.PatientKFold;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.fundus4j.samples.Cc0Photograph;
import org.fundus4j.transfer.Progress;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Runs an experiment grid cell by cell, resumably: the paper's downstream protocol on the JVM, every cell trained
 * by {@link TransferRun} exactly as {@code fundus transfer} trains it.
 *
 * <p>Layout of the output folder: {@code data/} (synthetic sets, when the grid asks for them),
 * {@code splits/<task>/} (the patient-level folds and nested fractions, written once and reused),
 * {@code upstream/} (Fundus starts this run trained, each a {@code fundus pretrain} model folder),
 * {@code cells/<cell id>/}, each a {@link TransferRun} folder ({@code model.zip}, {@code model-card.json},
 * {@code split.csv}, {@code run.json}, {@code training-curves.png}) plus {@code metrics.json} (written last and
 * atomically: a cell with a {@code metrics.json} is done and never recomputed; its checkpoints are then deleted),
 * and the report made by {@link ExperimentReport}. A killed run started again on the same folder resumes the
 * unfinished cell from its last epoch checkpoint.
 *
 * <p>External sets: every cell's model predicts every external set of its task; the report pools a
 * configuration's folds by averaging their probabilities per image (a fold ensemble), so that DeLong's paired
 * test compares configurations on the same images.
 *
 * <pre>{@code
 * List<CellResult> results = new ExperimentRunner(GridSpec.read(grid), grid.getParent(), out,
 *     System.out, Progress.NONE).run();
 * }</pre>
 */
public final class ExperimentRunner {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Name of the per-cell results file whose presence marks a cell done. */
  public static final String METRICS = "metrics.json";
  /** Held-out images of a fold-0 cell whose backbone features are kept for t-SNE. */
  public static final String EMBEDDINGS = "embeddings.csv";
  /** Folder of a fold-0 cell's Grad-CAM overlays (held-out images and the real CC0 photograph). */
  public static final String GRADCAM = "gradcam";
  private static final int GRADCAM_IMAGES = 1;

  private final GridSpec grid;
  private final Path gridDir;
  private final Path outDir;
  private final PrintStream out;
  private final Progress.Factory progress;
  private final Map<Task, LabelledSet> taskSets = new LinkedHashMap<>();
  private final Map<Task, List<Fold>> taskFolds = new LinkedHashMap<>();
  private final Map<String, LabelledSet> externalSets = new LinkedHashMap<>();

  public ExperimentRunner(GridSpec grid, Path gridDir, Path outDir, PrintStream out, Progress.Factory progress) {
    this.grid = grid;
    this.gridDir = gridDir;
    this.outDir = outDir;
    this.out = out;
    this.progress = progress;
  }

  /** Every cell of the grid, in the order they run: task, resolution, start, mode, fraction, fold. */
  public List<Cell> cells() {
    List<Cell> cells = new ArrayList<>();
    for (Task task : grid.taskList()) {
      for (int resolution : grid.resolutions()) {
        for (String start : grid.starts()) {
          for (String mode : grid.modes()) {
            for (double fraction : grid.fractions()) {
              for (int fold = 0; fold < grid.folds(); fold++) {
                cells.add(new Cell(task, Start.valueOf(start), resolution, Mode.parse(mode), fraction, fold));
              }
            }
          }
        }
      }
    }
    return cells;
  }

  /** Runs every unfinished cell and returns the results of all cells. */
  public List<CellResult> run() throws IOException {
    Files.createDirectories(outDir);
    for (Task task : grid.taskList()) {
      LabelledSet set = taskSet(task);
      taskSets.put(task, set);
      taskFolds.put(task, folds(task, set.samples()));
    }
    for (GridSpec.ExternalSpec e : grid.external()) {
      externalSets.put(e.name(), TaskData.read(e.data().request(gridDir), Task.parse(e.task()).kind()));
    }
    List<Cell> cells = cells();
    long done = cells.stream().filter(c -> Files.exists(cellDir(c).resolve(METRICS))).count();
    out.printf(Locale.ROOT, "Grid '%s': %d cells, %d already done (tasks %s, %d folds, external sets %s)%n",
        grid.name(), cells.size(), done, grid.tasks(), grid.folds(), externalSets.keySet());
    List<CellResult> results = new ArrayList<>();
    try (Progress bar = progress.start("grid cells", cells.size())) {
      for (Cell cell : cells) {
        Path metrics = cellDir(cell).resolve(METRICS);
        if (!Files.exists(metrics)) {
          runCell(cell, taskFolds.get(cell.task()).get(cell.fold()));
        }
        results.add(JSON.readValue(metrics.toFile(), CellResult.class));
        bar.stepTo(results.size());
      }
    }
    return results;
  }

  /** The folder of one cell. */
  public Path cellDir(Cell cell) {
    return outDir.resolve("cells").resolve(cell.id());
  }

  /** A task's downstream images with the task's labels. */
  private LabelledSet taskSet(Task task) throws IOException {
    GridSpec.DataSpec data = grid.dataFor(task);
    if (!data.generated()) {
      return TaskData.read(data.request(gridDir), task.kind());
    }
    if (task != Task.BINARY) {
      throw new IllegalArgumentException("Grid task " + task.word() + " needs data in a layout with its labels "
          + "('data' or 'taskData' with 'layout' and 'path'); 'syntheticImages' makes binary DICOM data only");
    }
    Path dir = outDir.resolve("data").resolve("downstream");
    Path labels = dir.resolve("labels.csv");
    if (!Files.exists(labels)) {
      out.printf(Locale.ROOT, "Writing %d synthetic downstream images (SYNTHETIC DATA) ...%n", data.syntheticImages());
      labels = SyntheticDataset.writeDicom(dir, data.syntheticImages(), maxResolution(), grid.seed());
    }
    return DicomFolder.read(labels);
  }

  private int maxResolution() {
    return grid.resolutions().stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  private List<Fold> folds(Task task, List<Sample> samples) throws IOException {
    Path file = outDir.resolve("splits").resolve(task.word()).resolve("folds.csv");
    if (Files.exists(file)) {
      return SplitFiles.readFolds(file);
    }
    Files.createDirectories(file.getParent());
    List<Fold> folds = PatientKFold.split(samples, grid.folds(), grid.seed());
    SplitFiles.writeFolds(folds, file);
    return folds;
  }

  private List<Sample> trainingSamples(Task task, Fold fold, double fraction) throws IOException {
    if (fraction >= 1.0) {
      return fold.train();
    }
    Path file = outDir.resolve("splits").resolve(task.word()).resolve("fractions-fold" + fold.index() + ".csv");
    Map<Double, List<Sample>> nested;
    if (Files.exists(file)) {
      nested = SplitFiles.readFractions(file);
    } else {
      double[] all = grid.fractions().stream().mapToDouble(Double::doubleValue).toArray();
      nested = DataFractions.nested(fold.train(), all, grid.seed() + fold.index());
      SplitFiles.writeFractions(nested, file);
    }
    return nested.get(fraction);
  }

  /** The plan of a cell: what {@code fundus transfer} would be given for it. */
  public TransferRun.Plan plan(Cell cell) throws IOException {
    GridSpec.TrainingSpec t = grid.training();
    Path weights = cell.start() == Start.SCRATCH ? null : weights(cell.start(), cell.resolution());
    return new TransferRun.Plan(cell.task(), cell.mode(), cell.start(), weights, cell.resolution(),
        t.epochs(cell.mode()), t.patience(cell.mode()), t.batchSize(), t.learningRate(cell.mode()),
        grid.seed() + 1000L * cell.fold(), t.validationFraction(), t.microBatch());
  }

  private void runCell(Cell cell, Fold fold) throws IOException {
    long started = System.nanoTime();
    Path dir = Files.createDirectories(cellDir(cell));
    LabelledSet all = taskSets.get(cell.task());
    List<Sample> train = trainingSamples(cell.task(), fold, cell.fraction());
    TransferRun.Plan plan = plan(cell);
    TransferRun.Listener resumes = new TransferRun.Listener() {
      @Override
      public void resumed(org.fundus4j.transfer.EarlyStoppingTrainer.State state) {
        out.printf(Locale.ROOT, "  resuming %s after epoch %d of %d%n", cell.id(), state.epochsDone(),
            plan.maxEpochs());
      }
    };
    TransferRun.Settings settings = TransferRun.Settings.defaults().withDevices(grid.training().devices())
        .withSyntheticData(grid.synthetic()).withListener(resumes);
    TransferRun.Result run = TransferRun.run(plan, new LabelledSet(all.layout(), train, all.classNames(), all.kind()),
        Map.of("grid", grid.name(), "cell", cell.id()), dir, Files.exists(dir.resolve("run.json")), settings);
    TransferRun.HeldOut test = run.predict(fold.test());
    if (!test.unreadable().isEmpty()) {
      throw new IOException("Cell " + cell.id() + ": " + test.unreadable().size() + " held-out images could not be "
          + "read: " + test.unreadable() + "; fix or remove them and run again");
    }
    Map<String, TransferRun.HeldOut> external = new LinkedHashMap<>();
    for (GridSpec.ExternalSpec e : grid.external()) {
      if (Task.parse(e.task()) == cell.task()) {
        TransferRun.HeldOut ext = run.predict(externalSets.get(e.name()).samples());
        external.put(e.name(), ext);
      }
    }
    List<String> labelNames = labelNames(cell.task(), all);
    double[] perLabel = perLabel(cell.task(), test.labels(), test.scores());
    double score = score(cell.task(), perLabel, test.scores());
    if (cell.fold() == 0 && cell.task() != Task.SEGMENTATION) {
      writeEmbeddings(run.model().graph(), cell.task(), fold.test(), cell.resolution(), dir.resolve(EMBEDDINGS));
      if (cell.task() == Task.BINARY) {
        writeGradCams(run.model().graph(), fold.test(), test.scores(0), cell.resolution(), dir.resolve(GRADCAM));
      }
    }
    CellResult result = new CellResult(cell.id(), cell.task().word(), cell.configuration(), cell.start().label(),
        cell.resolution(), cell.mode().cardName(), cell.fraction(), cell.fold(), train.size(), labelNames, score,
        perLabel, test, external, run.state().losses(), run.state().scores(), run.state().bestEpoch() + 1,
        (System.nanoTime() - started) / 1e9);
    AtomicFiles.write(dir.resolve(METRICS), stream -> JSON.writeValue(stream, result));
    deleteTree(dir.resolve(TransferRun.CHECKPOINTS));
    out.printf(Locale.ROOT, "  %-52s %s %.3f  (%d train, %d test, best epoch %d, %.0f s)%n", cell.id(),
        cell.task().metric(), score, train.size(), test.images().size(), result.bestEpoch(), result.seconds());
  }

  static List<String> labelNames(Task task, LabelledSet set) {
    return switch (task) {
      case BINARY -> List.of("abnormal");
      case MULTILABEL -> set.classNames();
      case SEGMENTATION -> List.of("Dice");
    };
  }

  /** Per label, the AUC (binary, multi-label); for segmentation the mean Dice. */
  static double[] perLabel(Task task, int[][] labels, double[][] scores) {
    if (task == Task.SEGMENTATION) {
      return new double[] {Stream.of(scores).mapToDouble(r -> r[0]).average().orElse(Double.NaN)};
    }
    if (task == Task.BINARY) {
      return new double[] {RocAuc.compute(column(scores, 0), columnInts(labels, 0))};
    }
    return MultiLabelAuc.perLabel(scores, labels);
  }

  /** The task's headline score: AUC, macro AUC over labels with both classes, or mean Dice. */
  static double score(Task task, double[] perLabel, double[][] scores) {
    return task == Task.MULTILABEL ? MultiLabelAuc.macro(perLabel) : perLabel[0];
  }

  static double[] column(double[][] m, int c) {
    return Stream.of(m).mapToDouble(r -> r[c]).toArray();
  }

  static int[] columnInts(int[][] m, int c) {
    return Stream.of(m).mapToInt(r -> r[c]).toArray();
  }

  /** The start's weights at a size: the grid's file, or an upstream model this run trains once. */
  private Path weights(Start start, int size) throws IOException {
    Path file = grid.weightsFor(start, gridDir, size);
    if (file != null) {
      return file;
    }
    return upstream(start, size);
  }

  /**
   * Trains (once) the upstream model of a Fundus start on a separate synthetic normal/abnormal set, as
   * {@code fundus pretrain} would: from scratch for {@code FUNDUS}, from the grid's ImageNet weights for
   * {@code IMAGENET_FUNDUS}.
   */
  private Path upstream(Start start, int size) throws IOException {
    if (start != Start.FUNDUS && start != Start.IMAGENET_FUNDUS) {
      throw new IllegalArgumentException("Start " + start.label() + " needs a weights file in the grid");
    }
    if (grid.upstream() == null) {
      throw new IllegalArgumentException("Start " + start.label() + " has no weights and the grid has no "
          + "'upstream' section to train it");
    }
    Path folder = outDir.resolve("upstream").resolve(start.name().toLowerCase(Locale.ROOT) + "_" + size + "px");
    if (Files.exists(folder.resolve(org.fundus4j.transfer.SavedModel.CARD))) {
      return folder;
    }
    Path dir = outDir.resolve("data").resolve("upstream");
    Path labels = dir.resolve("labels.csv");
    if (!Files.exists(labels)) {
      out.printf(Locale.ROOT, "Writing %d synthetic upstream images (SYNTHETIC DATA) ...%n",
          grid.upstream().syntheticImages());
      labels = SyntheticDataset.writeDicom(dir, grid.upstream().syntheticImages(), maxResolution(),
          grid.seed() + 7919);
    }
    Start from = start == Start.FUNDUS ? Start.SCRATCH : Start.IMAGENET;
    Path imagenet = from == Start.IMAGENET ? grid.weightsFor(Start.IMAGENET, gridDir, size) : null;
    if (from == Start.IMAGENET && imagenet == null) {
      throw new IllegalArgumentException("Start " + start.label() + " is trained upstream from ImageNet weights; "
          + "give 'imagenet' in the grid's 'weights'");
    }
    int epochs = grid.upstream().epochs();
    TransferRun.Plan plan = new TransferRun.Plan(Task.BINARY, Mode.UPSTREAM, from, imagenet, size, epochs, epochs,
        grid.training().batchSize(), grid.upstream().learningRate(), grid.seed(), 0.25, grid.training().microBatch());
    out.printf(Locale.ROOT, "Upstream: training %s at %d px ...%n", start.label(), size);
    try (Progress bar = progress.start("upstream " + start.label(), epochs)) {
      TransferRun.Listener listener = new TransferRun.Listener() {
        @Override
        public void epochDone(int epoch, double meanLoss) {
          bar.stepTo(epoch + 1L);
        }
      };
      TransferRun.run(plan, DicomFolder.read(labels), Map.of("grid", grid.name(), "upstream", start.label()),
          folder, Files.exists(folder.resolve("run.json")), TransferRun.Settings.defaults().withSyntheticData(true)
              .withDevices(grid.training().devices()).withListener(listener));
    }
    deleteTree(folder.resolve(TransferRun.CHECKPOINTS));
    return folder;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The pooled backbone features of the held-out images with their "any finding" label, for t-SNE. */
  private static void writeEmbeddings(ComputationGraph model, Task task, List<Sample> test, int size, Path csv)
      throws IOException {
    SkipReport skips = new SkipReport();
    int outputs = task == Task.BINARY ? 2 : (int) model.layerSize(ResNet50.OUTPUT);
    try (FundusDataSetIterator it = FundusDataSets.iterator(test, Pipelines.evaluation(size), task.kind(), outputs,
        8, skips, IteratorOptions.defaults())) {
      AtomicFiles.write(csv, stream -> {
        Writer w = new java.io.OutputStreamWriter(stream, java.nio.charset.StandardCharsets.UTF_8);
        while (it.hasNext()) {
          DataSet batch = it.next();
          INDArray features = model.feedForward(batch.getFeatures(), false).get(ResNet50.FEATURES);
          for (int i = 0; i < features.size(0); i++) {
            double[] truth = batch.getLabels().getRow(i).toDoubleVector();
            boolean finding = task == Task.BINARY ? truth[1] > 0.5
                : java.util.Arrays.stream(truth).anyMatch(v -> v > 0.5);
            StringBuilder row = new StringBuilder().append(finding ? 1 : 0);
            for (int j = 0; j < features.size(1); j++) {
              row.append(',').append((float) features.getDouble(i, j));
            }
            w.write(row.append('\n').toString());
          }
        }
        w.flush();
      });
    }
  }

  /**
   * Grad-CAM overlays of the class "abnormal" on the first held-out images and on the real CC0 photograph,
   * drawn on the picture the model sees (cropped, padded, resized); works for LP's frozen backbone too.
   */
  private static void writeGradCams(ComputationGraph model, List<Sample> test, double[] scores, int size,
      Path dir) throws IOException {
    Files.createDirectories(dir);
    GradCam cam = new GradCam(model, GradCam.lastConvolutionalLayer(model, InputType.convolutional(size, size, 3)));
    FundusPipeline pipeline = Pipelines.evaluation(size);
    Map<String, BufferedImage> pictures = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(GRADCAM_IMAGES, test.size()); i++) {
      Sample s = test.get(i);
      pictures.put(String.format(Locale.ROOT, "%02d-%s-p%.2f", i, s.label(0) == 1 ? "abnormal" : "normal",
          scores[i]), ImageFiles.read(s.image()));
    }
    pictures.put("99-real-cc0-normal-left-eye", Cc0Photograph.normalLeftEye());
    for (Map.Entry<String, BufferedImage> e : pictures.entrySet()) {
      INDArray input = pipeline.apply(e.getValue());
      INDArray heat = cam.heatMap(input, 1);
      ImageIO.write(GradCam.overlay(ModelView.toImage(input), heat), "png", dir.resolve(e.getKey() + ".png").toFile());
    }
  }

  /** Results grouped by task and configuration, in run order. */
  static Map<String, List<CellResult>> byConfiguration(List<CellResult> results) {
    Map<String, List<CellResult>> map = new LinkedHashMap<>();
    for (CellResult r : results) {
      map.computeIfAbsent(r.task() + "/" + r.configuration(), k -> new ArrayList<>()).add(r);
    }
    return map;
  }
}

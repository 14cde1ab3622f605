package org.fundus4j.samples.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import java.awt.image.BufferedImage;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.splits.DataFractions;
import org.fundus4j.pipelines.splits.Fold;
import org.fundus4j.pipelines.splits.PatientKFold;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.fundus4j.samples.Cc0Photograph;
import org.fundus4j.samples.Progress;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.BatchNormCalibration;
import org.fundus4j.transfer.EpochListener;
import org.fundus4j.transfer.FineTune;
import org.fundus4j.transfer.LinearProbe;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.Predictions;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.StartWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Runs an experiment grid cell by cell, resumably: the paper's downstream protocol on the JVM.
 *
 * <p>Layout of the output folder: {@code data/} (synthetic sets, when the grid asks for them),
 * {@code splits/} (the patient-level folds and nested fractions, written once and reused),
 * {@code upstream/} (Fundus starts this run trained), {@code cells/<cell id>/} with
 * {@code model-card.json} and {@code metrics.json} (written last and atomically: a cell with a
 * {@code metrics.json} is done and never recomputed), and the report made by {@link ExperimentReport}.
 * A killed run started again on the same folder resumes at the first unfinished cell.
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

  public ExperimentRunner(GridSpec grid, Path gridDir, Path outDir, PrintStream out, Progress.Factory progress) {
    this.grid = grid;
    this.gridDir = gridDir;
    this.outDir = outDir;
    this.out = out;
    this.progress = progress;
  }

  /** Every cell of the grid, in the order they run: resolution, start, mode, fraction, fold. */
  public List<Cell> cells() {
    List<Cell> cells = new ArrayList<>();
    for (int resolution : grid.resolutions()) {
      for (String start : grid.starts()) {
        for (String mode : grid.modes()) {
          for (double fraction : grid.fractions()) {
            for (int fold = 0; fold < grid.folds(); fold++) {
              cells.add(new Cell(Start.valueOf(start), resolution, mode, fraction, fold));
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
    List<Sample> samples = downstreamSamples();
    List<Fold> folds = folds(samples);
    List<Cell> cells = cells();
    long done = cells.stream().filter(c -> Files.exists(cellDir(c).resolve(METRICS))).count();
    out.printf(Locale.ROOT, "Grid '%s': %d cells, %d already done (%d images, %d folds)%n", grid.name(),
        cells.size(), done, samples.size(), folds.size());
    List<CellResult> results = new ArrayList<>();
    try (Progress bar = progress.start("grid cells", cells.size())) {
      for (Cell cell : cells) {
        Path metrics = cellDir(cell).resolve(METRICS);
        if (!Files.exists(metrics)) {
          runCell(cell, folds.get(cell.fold()));
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

  private List<Sample> downstreamSamples() throws IOException {
    Path labels;
    if (grid.data().generated()) {
      Path dir = outDir.resolve("data").resolve("downstream");
      labels = dir.resolve("labels.csv");
      if (!Files.exists(labels)) {
        out.printf(Locale.ROOT, "Writing %d synthetic downstream images (SYNTHETIC DATA) ...%n",
            grid.data().syntheticImages());
        labels = SyntheticDataset.writeDicom(dir, grid.data().syntheticImages(), maxResolution(), grid.seed());
      }
    } else {
      labels = gridDir.resolve(grid.data().labels());
    }
    return DicomFolder.read(labels).samples();
  }

  private int maxResolution() {
    return grid.resolutions().stream().mapToInt(Integer::intValue).max().orElseThrow();
  }

  private List<Fold> folds(List<Sample> samples) throws IOException {
    Path file = outDir.resolve("splits").resolve("folds.csv");
    if (Files.exists(file)) {
      return SplitFiles.readFolds(file);
    }
    Files.createDirectories(file.getParent());
    List<Fold> folds = PatientKFold.split(samples, grid.folds(), grid.seed());
    SplitFiles.writeFolds(folds, file);
    return folds;
  }

  private List<Sample> trainingSamples(Fold fold, double fraction) throws IOException {
    if (fraction >= 1.0) {
      return fold.train();
    }
    Path file = outDir.resolve("splits").resolve("fractions-fold" + fold.index() + ".csv");
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

  private void runCell(Cell cell, Fold fold) throws IOException {
    long started = System.nanoTime();
    Path dir = Files.createDirectories(cellDir(cell));
    List<Sample> train = trainingSamples(fold, cell.fraction());
    int size = cell.resolution();
    int batch = grid.training().batchSize();
    long seed = grid.seed() + 1000L * cell.fold();
    SkipReport skips = new SkipReport();
    DataSetIterator test = FundusDataSets.iterator(fold.test(), Pipelines.evaluation(size), LabelKind.BINARY, 2,
        batch, skips);
    ComputationGraph start = startGraph(cell.start(), size, seed);
    ComputationGraph model;
    List<Double> losses;
    if (cell.mode().equals("LP")) {
      DataSetIterator features = FundusDataSets.iterator(train, Pipelines.evaluation(size), LabelKind.BINARY, 2,
          batch, skips);
      if (cell.start() == Start.SCRATCH) {
        features.reset();
        BatchNormCalibration.reestimate(start, List.of(features.next().getFeatures()));
      }
      model = LinearProbe.freeze(start, ResNet50.FEATURES, new Adam(grid.training().lpLearningRate()), seed);
      losses = LinearProbe.train(model, ResNet50.FEATURES, features, grid.training().lpEpochs(),
          EpochListener.none());
    } else {
      model = FineTune.prepare(start, new Adam(grid.training().ftLearningRate()), ResNet50.PAPER_WEIGHT_DECAY, seed);
      losses = FineTune.train(model, FundusDataSets.iterator(train, Pipelines.training(size, seed), LabelKind.BINARY,
          2, batch, skips), grid.training().ftEpochs(), EpochListener.none());
      // "Precise BatchNorm": after a short run the running averages still lag the weights, so set them
      // from training images once more before evaluating.
      DataSetIterator calibration = FundusDataSets.iterator(train, Pipelines.evaluation(size), LabelKind.BINARY, 2,
          batch, skips);
      BatchNormCalibration.reestimate(model, List.of(calibration.next().getFeatures()));
    }
    Predictions predictions = Predictions.of(model, test, 1);
    double auc = RocAuc.compute(predictions.scores(), predictions.labels());
    List<String> images = fold.test().stream().map(s -> s.image().toString()).toList();
    if (skips.count() > 0) {
      throw new IOException("Cell " + cell.id() + ": " + skips.count() + " images could not be read: "
          + skips.entries() + "; fix or remove them and run again");
    }
    if (cell.fold() == 0) {
      writeEmbeddings(model, fold.test(), size, dir.resolve(EMBEDDINGS));
      writeGradCams(model, fold.test(), predictions, size, dir.resolve(GRADCAM));
    }
    ModelCard card = new ModelCard("fundus4j ResNet-50 " + cell.configuration(), "0.1.0", "binary",
        List.of("normal", "abnormal"), cell.start().label(), cell.mode(), size, ModelCard.IMAGENET_MEAN,
        ModelCard.IMAGENET_STD, grid.data().synthetic(), Map.of("heldOutAuc", auc));
    SavedModel.writeCard(dir, card);
    CellResult result = new CellResult(cell.id(), cell.configuration(), cell.start().label(), size, cell.mode(),
        cell.fraction(), cell.fold(), train.size(), auc, images, predictions.labels(), predictions.scores(), losses,
        (System.nanoTime() - started) / 1e9);
    AtomicFiles.write(dir.resolve(METRICS), stream -> JSON.writeValue(stream, result));
    out.printf(Locale.ROOT, "  %-40s AUC %.3f  (%d train, %d test, %.0f s)%n", cell.id(), auc, train.size(),
        images.size(), result.seconds());
  }

  /** The start's backbone with a fresh binary head. */
  private ComputationGraph startGraph(Start start, int size, long seed) throws IOException {
    ComputationGraph graph = ResNet50.build(Head.linear(2), seed);
    if (start == Start.SCRATCH) {
      return graph;
    }
    Path weights = grid.weightsFor(start, gridDir);
    if (weights == null) {
      weights = upstream(start, size);
      ComputationGraph upstream = ModelSerializer.restoreComputationGraph(weights.toFile(), false);
      StartWeights.copyBackbone(upstream, graph);
      return graph;
    }
    StartWeights.loadBackbone(graph, weights);
    return graph;
  }

  /**
   * Trains (once) the upstream model of a Fundus start on a separate synthetic normal/abnormal set: from
   * scratch for {@code FUNDUS}, from the grid's ImageNet weights for {@code IMAGENET_FUNDUS}.
   */
  private Path upstream(Start start, int size) throws IOException {
    if (start != Start.FUNDUS && start != Start.IMAGENET_FUNDUS) {
      throw new IllegalArgumentException("Start " + start.label() + " needs a weights file in the grid");
    }
    if (grid.upstream() == null) {
      throw new IllegalArgumentException("Start " + start.label() + " has no weights and the grid has no "
          + "'upstream' section to train it");
    }
    Path file = outDir.resolve("upstream").resolve(start.name().toLowerCase(Locale.ROOT) + "_" + size + "px.zip");
    if (Files.exists(file)) {
      return file;
    }
    Files.createDirectories(file.getParent());
    Path dir = outDir.resolve("data").resolve("upstream");
    Path labels = dir.resolve("labels.csv");
    if (!Files.exists(labels)) {
      out.printf(Locale.ROOT, "Writing %d synthetic upstream images (SYNTHETIC DATA) ...%n",
          grid.upstream().syntheticImages());
      labels = SyntheticDataset.writeDicom(dir, grid.upstream().syntheticImages(), maxResolution(),
          grid.seed() + 7919);
    }
    List<Sample> samples = DicomFolder.read(labels).samples();
    ComputationGraph graph = start == Start.FUNDUS ? ResNet50.build(Head.linear(2), grid.seed())
        : startGraph(Start.IMAGENET, size, grid.seed());
    ComputationGraph model = FineTune.prepare(graph, new Adam(grid.upstream().learningRate()),
        ResNet50.PAPER_WEIGHT_DECAY, grid.seed());
    out.printf(Locale.ROOT, "Upstream: training %s at %d px on %d images ...%n", start.label(), size, samples.size());
    SkipReport skips = new SkipReport();
    int batches = (samples.size() + grid.training().batchSize() - 1) / grid.training().batchSize();
    try (Progress bar = progress.start("upstream " + start.label(), (long) batches * grid.upstream().epochs())) {
      FineTune.train(model, FundusDataSets.iterator(samples, Pipelines.training(size, grid.seed()), LabelKind.BINARY,
          2, grid.training().batchSize(), skips), grid.upstream().epochs(),
          (epoch, batch, loss) -> bar.stepTo((long) epoch * batches + batch));
    }
    AtomicFiles.write(file, stream -> ModelSerializer.writeModel(model, stream, false));
    return file;
  }

  private void writeEmbeddings(ComputationGraph model, List<Sample> test, int size, Path csv) throws IOException {
    SkipReport skips = new SkipReport();
    DataSetIterator it = FundusDataSets.iterator(test, Pipelines.evaluation(size), LabelKind.BINARY, 2, 8, skips);
    AtomicFiles.write(csv, stream -> {
      Writer w = new java.io.OutputStreamWriter(stream, java.nio.charset.StandardCharsets.UTF_8);
      while (it.hasNext()) {
        DataSet batch = it.next();
        INDArray features = model.feedForward(batch.getFeatures(), false).get(ResNet50.FEATURES);
        for (int i = 0; i < features.size(0); i++) {
          StringBuilder row = new StringBuilder().append(batch.getLabels().getDouble(i, 1) > 0.5 ? 1 : 0);
          for (int j = 0; j < features.size(1); j++) {
            row.append(',').append((float) features.getDouble(i, j));
          }
          w.write(row.append('\n').toString());
        }
      }
      w.flush();
    });
  }

  /**
   * Grad-CAM overlays of the class "abnormal" on the first held-out images and on the real CC0 photograph,
   * drawn on the picture the model sees (cropped, padded, resized); works for LP's frozen backbone too.
   */
  private static void writeGradCams(ComputationGraph model, List<Sample> test, Predictions predictions, int size,
      Path dir) throws IOException {
    Files.createDirectories(dir);
    GradCam cam = new GradCam(model, GradCam.lastConvolutionalLayer(model,
        InputType.convolutional(size, size, 3)));
    FundusPipeline pipeline = Pipelines.evaluation(size);
    Map<String, BufferedImage> pictures = new LinkedHashMap<>();
    for (int i = 0; i < Math.min(GRADCAM_IMAGES, test.size()); i++) {
      Sample s = test.get(i);
      pictures.put(String.format(Locale.ROOT, "%02d-%s-p%.2f", i, s.label(0) == 1 ? "abnormal" : "normal",
          predictions.scores()[i]), DicomImages.read(s.image()).rgb());
    }
    pictures.put("99-real-cc0-normal-left-eye", Cc0Photograph.normalLeftEye());
    for (Map.Entry<String, BufferedImage> e : pictures.entrySet()) {
      INDArray input = pipeline.apply(e.getValue());
      INDArray heat = cam.heatMap(input, 1);
      ImageIO.write(GradCam.overlay(ModelView.toImage(input), heat), "png", dir.resolve(e.getKey() + ".png").toFile());
    }
  }

  static Map<String, List<CellResult>> byConfiguration(List<CellResult> results) {
    Map<String, List<CellResult>> map = new LinkedHashMap<>();
    for (CellResult r : results) {
      map.computeIfAbsent(r.configuration(), k -> new ArrayList<>()).add(r);
    }
    return map;
  }
}

package org.fundus4j.cli;

import org.fundus4j.io.AtomicFiles;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Task;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import me.tongfei.progressbar.ProgressBar;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fundus4j.evaluation.metrics.MultiLabelAuc;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.metrics.SegmentationMetrics;
import org.fundus4j.evaluation.visualize.Plots;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.unet.UNet;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.splits.Fold;
import org.fundus4j.pipelines.splits.PatientKFold;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.fundus4j.transfer.BatchNormCalibration;
import org.fundus4j.transfer.EarlyStoppingTrainer;
import org.fundus4j.transfer.FineTune;
import org.fundus4j.transfer.LibraryVersions;
import org.fundus4j.transfer.LinearProbe;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.StartWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * One training run of {@code fundus pretrain} or {@code fundus transfer} in its {@code --out} folder.
 *
 * <p>The folder ends up holding the model ({@code model.zip}, {@code model-card.json}: a
 * {@link SavedModel} folder), {@code training-curves.png}, the patient-level split {@code split.csv}
 * (fold 0 = validation, fold 1 = training), {@code run.json} (the options, see {@link RunFolder}) and
 * {@code checkpoints/} ({@link EarlyStoppingTrainer}'s per-epoch checkpoints; for linear probing also the
 * cached backbone features). Training stops early on the validation score; {@code --resume} continues
 * after the last finished epoch with the saved split, weights and Adam state, and epoch {@code e} always
 * shuffles and augments with seed {@code seed + e}, so a resumed run sees the batches an uninterrupted
 * one would.
 */
final class TrainingRun {

  static final String SPLIT = "split.csv";
  static final String CURVES = "training-curves.png";
  static final String CHECKPOINTS = "checkpoints";
  static final String VERSION = "0.1.0";
  private static final String FEATURES_TRAIN = "features-train.bin";
  private static final String FEATURES_VALIDATION = "features-validation.bin";
  /** Images whose activations re-estimate BatchNorm statistics for a frozen Scratch backbone. */
  private static final int CALIBRATION_IMAGES = 64;
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;

  /**
   * What to train, checked when built.
   *
   * @param command {@code pretrain} or {@code transfer}
   * @param weights the start's weights (.pth, fundus4j model folder or model.zip); null for Scratch
   */
  record Plan(String command, Task task, Mode mode, Start start, Path weights, int size, int maxEpochs,
      int patience, int batchSize, double learningRate, long seed) {
    Plan {
      if (size < 32 || size % 32 != 0) {
        throw new IllegalArgumentException("--size must be a multiple of 32 (the paper: 256, 512, 1024), got " + size);
      }
      if (maxEpochs < 1) {
        throw new IllegalArgumentException("--epochs must be >= 1, got " + maxEpochs);
      }
      if (patience < 1) {
        throw new IllegalArgumentException("--patience must be >= 1, got " + patience);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("--batch must be >= 1, got " + batchSize);
      }
      if (!(learningRate > 0 && learningRate < 1)) {
        throw new IllegalArgumentException("--lr must be in (0, 1), got " + learningRate);
      }
      if (start == Start.SCRATCH && weights != null) {
        throw new IllegalArgumentException("--weights is not used with --start scratch; leave it out");
      }
      if (start != Start.SCRATCH && weights == null) {
        throw new IllegalArgumentException("--start " + start.name().toLowerCase(Locale.ROOT).replace('_', '+')
            + " needs --weights: " + (start == Start.IMAGENET ? "torchvision's ImageNet resnet50 .pth"
                : "the paper's resnet50_*.pth or a 'fundus pretrain' output folder"));
      }
      if (weights != null && !Files.exists(weights)) {
        throw new IllegalArgumentException("--weights " + weights + ": no such file or folder");
      }
    }
  }

  /**
   * The outcome.
   *
   * @param card the written model card
   * @param epochs epochs trained in total
   */
  record Result(ModelCard card, int epochs) {}

  private final Plan plan;
  private final TrainingData data;
  private final Path out;
  private final PrintStream stdout;
  private final SkipReport skips = new SkipReport();

  private TrainingRun(Plan plan, TrainingData data, Path out, PrintStream stdout) {
    this.plan = plan;
    this.data = data;
    this.out = out;
    this.stdout = stdout;
  }

  /** Trains (or resumes) and writes the outputs; fails with a message naming the option or file at fault. */
  static Result run(Plan plan, TrainingData data, Path out, boolean resume, PrintStream stdout) throws IOException {
    Map<String, String> options = options(plan, data);
    RunFolder.check(out, resume, options);
    return new TrainingRun(plan, data, out, stdout).train(resume, options);
  }

  /** The options that define the run, as recorded in {@code run.json} ({@code --workers} is not one). */
  static Map<String, String> options(Plan plan, TrainingData data) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("command", plan.command());
    o.put("--data", data.data.toAbsolutePath().normalize().toString());
    o.put("--layout", data.layout);
    if (data.images != null) {
      o.put("--images", data.images.toAbsolutePath().normalize().toString());
    }
    if (data.columns != null) {
      o.put("--columns", String.join(",", data.columns));
    }
    o.put("--task", plan.task().name().toLowerCase(Locale.ROOT));
    o.put("--mode", plan.mode().cardName());
    o.put("--start", plan.start().label());
    if (plan.weights() != null) {
      o.put("--weights", plan.weights().toAbsolutePath().normalize().toString());
    }
    o.put("--size", Integer.toString(plan.size()));
    o.put("--epochs", Integer.toString(plan.maxEpochs()));
    o.put("--patience", Integer.toString(plan.patience()));
    o.put("--batch", Integer.toString(plan.batchSize()));
    o.put("--lr", Double.toString(plan.learningRate()));
    o.put("--seed", Long.toString(plan.seed()));
    o.put("--val-fraction", Double.toString(data.validationFraction));
    o.put("--synthetic-data", Boolean.toString(data.synthetic));
    return o;
  }

  private Result train(boolean resume, Map<String, String> options) throws IOException {
    LabelledSet set = data.read(plan.task());
    RunFolder.write(out, options);
    Fold split = split(set.samples());
    List<Sample> train = split.train();
    List<Sample> validation = split.test();
    int outputs = plan.task() == Task.BINARY ? 2 : set.numClasses();
    stdout.printf(Locale.ROOT, "%s %s: %s start, %d px, %d training / %d validation images (%s)%s%n",
        plan.mode() == Mode.UPSTREAM ? "Upstream pretraining" : plan.mode().cardName(), plan.task().cardName(),
        plan.start().label(), plan.size(), train.size(), validation.size(), set.layout(),
        data.synthetic ? ", SYNTHETIC DATA" : "");
    EarlyStoppingTrainer trainer = new EarlyStoppingTrainer(out.resolve(CHECKPOINTS), plan.maxEpochs(),
        plan.patience());
    EarlyStoppingTrainer.Result result;
    ComputationGraph finalModel = null;
    try (TrainingBar bar = new TrainingBar(plan.task().metric(), plan.maxEpochs(), train.size(), plan.batchSize(),
        stdout)) {
      reportResume(trainer, bar);
      if (plan.mode() == Mode.LP && plan.task() != Task.SEGMENTATION) {
        ComputationGraph frozen = frozenClassifier(outputs, train);
        DataSet trainFeatures = cachedFeatures(frozen, train, outputs, FEATURES_TRAIN, "featurizing training");
        DataSet validationFeatures = cachedFeatures(frozen, validation, outputs, FEATURES_VALIDATION,
            "featurizing validation");
        List<DataSet> examples = trainFeatures.asList();
        result = trainer.fit(trainer.hasCheckpoint() ? null : LinearProbe.head(frozen, ResNet50.FEATURES),
            epoch -> shuffled(examples, epoch),
            scorer(() -> new ListDataSetIterator<>(validationFeatures.asList(), plan.batchSize()), bar),
            bar);
        LinearProbe.setHead(frozen, result.best());
        finalModel = frozen;
      } else {
        ComputationGraph initial = trainer.hasCheckpoint() ? null : trainable(outputs, train);
        EpochIterators epochs = new EpochIterators(train, outputs);
        try (FundusDataSetIterator validationImages = iterator(validation, outputs)) {
          result = trainer.fit(initial, epochs, scorer(() -> validationImages, bar), bar);
        } finally {
          epochs.close();
        }
      }
    }
    EarlyStoppingTrainer.State state = result.state();
    if (skips.count() > 0) {
      stdout.printf(Locale.ROOT, "WARNING: %d images could not be read and were left out, e.g. %s%n", skips.count(),
          skips.entries().subList(0, Math.min(3, skips.count())));
    }
    ModelCard card = card(set, train.size(), validation.size(), state);
    if (finalModel != null) {
      SavedModel.save(out, finalModel, card);
    } else {
      linkOrCopy(trainer.bestCheckpoint(), out.resolve(SavedModel.WEIGHTS));
      SavedModel.writeCard(out, card);
    }
    Path curves = curves(state);
    stdout.printf(Locale.ROOT, "Best epoch %d of %d%s: validation %s %.4f%nModel %s, card %s%s, split %s "
            + "(sha256 %s)%n", state.bestEpoch() + 1, state.epochsDone(), state.stoppedEarly() ? " (stopped early)" : "",
        plan.task().metric(), state.bestScore(), out.resolve(SavedModel.WEIGHTS), out.resolve(SavedModel.CARD),
        curves == null ? "" : ", curves " + curves, out.resolve(SPLIT), card.training().splitSha256().substring(0, 12));
    return new Result(card, state.epochsDone());
  }

  private void reportResume(EarlyStoppingTrainer trainer, TrainingBar bar) throws IOException {
    var state = trainer.checkpointState();
    if (state.isEmpty()) {
      return;
    }
    EarlyStoppingTrainer.State s = state.get();
    bar.resumedAt(s.bestEpoch(), s.bestScore());
    boolean finished = s.stoppedEarly() || s.epochsDone() >= plan.maxEpochs();
    stdout.printf(Locale.ROOT, "Resuming after epoch %d of %d (best validation %s %.4f at epoch %d)%s%n",
        s.epochsDone(), plan.maxEpochs(), plan.task().metric(), s.bestScore(), s.bestEpoch() + 1,
        finished ? "; training had finished, writing the outputs again" : "");
  }

  /**
   * The patient-level split: read from {@code split.csv} when the folder has one (a resumed run), else one
   * of {@code round(1 / val-fraction)} patient-grouped, label-stratified folds becomes the validation set.
   * Returned as a fold whose {@code test} part is the validation set.
   */
  private Fold split(List<Sample> samples) {
    Path file = out.resolve(SPLIT);
    if (Files.exists(file)) {
      return SplitFiles.readFolds(file).get(0);
    }
    long patients = samples.stream().map(Sample::patientId).distinct().count();
    int k = (int) Math.round(1.0 / data.validationFraction);
    if (patients < k) {
      throw new IllegalArgumentException("--val-fraction " + data.validationFraction + " splits patients into " + k
          + " groups, but the data have " + patients + " patients; give more data or a larger fraction");
    }
    int[] fold = PatientKFold.assign(samples, k, plan.seed());
    List<Sample> train = new ArrayList<>();
    List<Sample> validation = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      (fold[i] == 0 ? validation : train).add(samples.get(i));
    }
    SplitFiles.writeFolds(List.of(new Fold(0, train, validation), new Fold(1, validation, train)), file);
    return new Fold(0, train, validation);
  }

  /** The network with the start's weights, ready for FT or upstream training (every layer trains). */
  private ComputationGraph trainable(int outputs, List<Sample> train) throws IOException {
    ComputationGraph net = network(outputs);
    if (plan.mode() != Mode.LP) {
      return FineTune.prepare(net, adam(), ResNet50.PAPER_WEIGHT_DECAY, plan.seed());
    }
    // U-Net LP: freeze the encoder, train the decoder on images (its skip connections need every stage,
    // so there is no single feature tensor to cache).
    if (plan.start() == Start.SCRATCH) {
      reestimateBatchNorm(net, train, outputs);
    }
    return LinearProbe.freeze(net, ResNet50.STAGE_OUTPUTS.get(ResNet50.STAGE_OUTPUTS.size() - 1), adam(),
        plan.seed());
  }

  /** The ResNet-50 with the start's backbone, frozen up to the pooled features, for LP on cached features. */
  private ComputationGraph frozenClassifier(int outputs, List<Sample> train) throws IOException {
    ComputationGraph net = network(outputs);
    if (plan.start() == Start.SCRATCH) {
      reestimateBatchNorm(net, train, outputs);
    }
    return LinearProbe.freeze(net, ResNet50.FEATURES, adam(), plan.seed());
  }

  private ComputationGraph network(int outputs) throws IOException {
    ComputationGraph net = switch (plan.task()) {
      case SEGMENTATION -> UNet.resnet50Encoder(plan.seed(), adam());
      case MULTILABEL -> ResNet50.build(Head.multiLabel(outputs), plan.seed(), adam());
      // the paper's upstream model has its 2048-512-BN-ReLU-2 head; downstream heads are linear
      case BINARY -> ResNet50.build(plan.mode() == Mode.UPSTREAM ? Head.paper(2) : Head.linear(2), plan.seed(),
          adam());
    };
    if (plan.start() != Start.SCRATCH) {
      loadBackbone(net, plan.weights());
    }
    return net;
  }

  /** Loads a start's backbone from a .pth file, a fundus4j model folder or a DL4J model.zip. */
  static void loadBackbone(ComputationGraph net, Path weights) throws IOException {
    boolean folder = Files.isDirectory(weights);
    if (!folder && !weights.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
      StartWeights.loadBackbone(net, weights);
      return;
    }
    Path zip = folder ? weights.resolve(SavedModel.WEIGHTS) : weights;
    if (!Files.isRegularFile(zip)) {
      throw new IllegalArgumentException("--weights " + weights + ": no " + SavedModel.WEIGHTS
          + " in this folder; give a 'fundus pretrain' or 'fundus transfer' output folder or a .pth file");
    }
    ComputationGraph from;
    try {
      from = ModelSerializer.restoreComputationGraph(zip.toFile(), false);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("--weights " + zip + ": not a DL4J model (" + e.getMessage() + ")", e);
    }
    for (String layer : List.of("conv1", "layer4.2.conv3")) {
      if (from.getLayer(layer) == null) {
        throw new IllegalArgumentException("--weights " + zip + ": not a ResNet-50 (no layer '" + layer + "')");
      }
    }
    StartWeights.copyBackbone(from, net);
  }

  private Adam adam() {
    return new Adam(plan.learningRate(), BETA1, BETA2, 1e-8);
  }

  /**
   * Sets every BatchNorm layer's statistics from training images: a randomly initialised ResNet-50 frozen
   * in inference mode overflows to NaN otherwise (see {@link BatchNormCalibration}).
   */
  private void reestimateBatchNorm(ComputationGraph net, List<Sample> train, int outputs) {
    // feedForward keeps every activation: a few images per batch at high resolution
    int perBatch = Math.max(1, Math.min(plan.batchSize(), (int) (8L * 224 * 224 / ((long) plan.size() * plan.size()))));
    List<Sample> images = train.subList(0, Math.min(train.size(), CALIBRATION_IMAGES));
    stdout.printf(Locale.ROOT, "Scratch start, frozen layers: re-estimating BatchNorm statistics on %d training "
        + "images (frozen BatchNorm with initial statistics overflows to NaN)%n", images.size());
    List<INDArray> batches = new ArrayList<>();
    try (FundusDataSetIterator it = FundusDataSets.iterator(images, Pipelines.evaluation(plan.size()),
        plan.task().kind(), outputs, perBatch, skips, iteratorOptions())) {
      while (it.hasNext()) {
        batches.add(it.next().getFeatures());
      }
    }
    BatchNormCalibration.reestimate(net, batches);
  }

  /** Backbone features of {@code samples}, read from the checkpoint folder or computed once and saved there. */
  private DataSet cachedFeatures(ComputationGraph frozen, List<Sample> samples, int outputs, String name,
      String task) throws IOException {
    Path file = out.resolve(CHECKPOINTS).resolve(name);
    if (Files.isRegularFile(file)) {
      DataSet cached = new DataSet();
      cached.load(file.toFile());
      return cached;
    }
    DataSet features;
    try (FundusDataSetIterator images = iterator(samples, outputs);
        ProgressBar bar = ProgressBars.bar(task, samples.size(), " img")) {
      features = LinearProbe.featurize(frozen, ResNet50.FEATURES, images, bar::stepTo);
    }
    if (Double.isNaN(features.getFeatures().sumNumber().doubleValue())) {
      throw new IllegalStateException("The frozen backbone gives NaN features; its BatchNorm statistics are "
          + "unusable (weights from another normalisation?)");
    }
    AtomicFiles.write(file, features::save);
    return features;
  }

  /** Cached features of one LP epoch in the order of seed {@code seed + epoch}. */
  private DataSetIterator shuffled(List<DataSet> examples, int epoch) {
    List<DataSet> order = new ArrayList<>(examples);
    Collections.shuffle(order, new Random(plan.seed() + epoch));
    return new ListDataSetIterator<>(order, plan.batchSize());
  }

  /** The training images of each epoch: augmented and shuffled with seed {@code seed + epoch}. */
  private final class EpochIterators implements IntFunction<DataSetIterator>, AutoCloseable {
    private final List<Sample> train;
    private final int outputs;
    private FundusDataSetIterator current;

    EpochIterators(List<Sample> train, int outputs) {
      this.train = train;
      this.outputs = outputs;
    }

    @Override
    public DataSetIterator apply(int epoch) {
      close();
      current = FundusDataSets.iterator(train, Pipelines.training(plan.size(), plan.seed() + epoch),
          plan.task().kind(), outputs, plan.batchSize(), skips, iteratorOptions().withShuffle(plan.seed() + epoch));
      return current;
    }

    @Override
    public void close() {
      if (current != null) {
        current.close();
        current = null;
      }
    }
  }

  private FundusDataSetIterator iterator(List<Sample> samples, int outputs) {
    return FundusDataSets.iterator(samples, Pipelines.evaluation(plan.size()), plan.task().kind(), outputs,
        plan.batchSize(), skips, iteratorOptions());
  }

  private IteratorOptions iteratorOptions() {
    return new IteratorOptions(data.threads(), 2, false, 0L);
  }

  /**
   * The validation score of the task: AUC of "abnormal" (binary), macro AUC over the labels that have both
   * classes (multi-label), or mean per-image Dice at threshold 0.5 (segmentation). NaN when the model
   * outputs NaN or the score is undefined (one class only).
   */
  private ToDoubleFunction<ComputationGraph> scorer(Supplier<DataSetIterator> validation,
      TrainingBar bar) {
    int[] epoch = {-1};
    return model -> {
      epoch[0]++;
      bar.validating();
      DataSetIterator it = validation.get();
      it.reset();
      List<double[]> scores = new ArrayList<>();
      List<int[]> labels = new ArrayList<>();
      List<Double> dice = new ArrayList<>();
      boolean nan = false;
      while (it.hasNext()) {
        DataSet batch = it.next();
        INDArray output = model.outputSingle(false, batch.getFeatures());
        if (Double.isNaN(output.sumNumber().doubleValue())) {
          nan = true;
          continue;
        }
        if (plan.task() == Task.SEGMENTATION) {
          SegmentationMetrics.compute(output, batch.getLabels(), 0.5).perImage().forEach(s -> dice.add(s.dice()));
        } else {
          scores.addAll(List.of(output.toDoubleMatrix()));
          labels.addAll(List.of(batch.getLabels().toIntMatrix()));
        }
      }
      double score = nan ? Double.NaN : switch (plan.task()) {
        case SEGMENTATION -> dice.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        case MULTILABEL -> MultiLabelAuc.macro(scores.toArray(double[][]::new), labels.toArray(int[][]::new));
        case BINARY -> RocAuc.compute(scores.stream().mapToDouble(r -> r[1]).toArray(),
            labels.stream().mapToInt(r -> r[1]).toArray());
      };
      if (nan) {
        stdout.println("WARNING: the model outputs NaN on validation images (training diverged?)");
      }
      bar.scored(epoch[0], score);
      return score;
    };
  }

  private ModelCard card(LabelledSet set, int trainImages, int validationImages, EarlyStoppingTrainer.State state)
      throws IOException {
    List<String> labels = switch (plan.task()) {
      case BINARY -> List.of("normal", "abnormal");
      case MULTILABEL -> set.classNames();
      case SEGMENTATION -> List.of("vessel");
    };
    String network = plan.task() == Task.SEGMENTATION ? "U-Net (ResNet-50 encoder)" : "ResNet-50";
    String name = plan.mode() == Mode.UPSTREAM
        ? String.format(Locale.ROOT, "fundus4j upstream %s, %s start, %d px", network,
            plan.start() == Start.SCRATCH ? "Fundus" : "ImageNet + Fundus", plan.size())
        : String.format(Locale.ROOT, "fundus4j %s %s, %s start, %s, %d px", network, plan.task().cardName(),
            plan.start().label(), plan.mode().cardName(), plan.size());
    ModelCard.HyperParameters hyper = new ModelCard.HyperParameters("Adam", plan.learningRate(), BETA1, BETA2,
        ResNet50.PAPER_WEIGHT_DECAY, plan.batchSize(), plan.maxEpochs(), plan.patience(), plan.seed(),
        data.validationFraction, plan.mode() == Mode.LP && plan.task() != Task.SEGMENTATION
            ? "none (cached features of the evaluation pipeline)" : "flip, grayscale, Gaussian blur, CLAHE");
    ModelCard.Training training = new ModelCard.Training(SPLIT, sha256(out.resolve(SPLIT)), trainImages,
        validationImages, hyper, state.epochsDone(), state.bestEpoch() + 1, state.stoppedEarly(),
        plan.task().metric(), state.bestScore(), LibraryVersions.current());
    String metric = plan.task() == Task.SEGMENTATION ? "bestValidationDice" : "bestValidationAuc";
    return new ModelCard(name, VERSION, plan.task().cardName(), labels, plan.start().label(), plan.mode().cardName(),
        plan.size(), ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, data.synthetic, Map.of(metric, state.bestScore()),
        training);
  }

  /** Training loss and validation score per epoch; null (and a note) when there is no finite value to draw. */
  private Path curves(EarlyStoppingTrainer.State state) throws IOException {
    List<Plots.Series> series = new ArrayList<>();
    addFinite(series, "training loss", state.losses());
    addFinite(series, "validation " + plan.task().metric(), state.scores());
    if (series.isEmpty()) {
      stdout.println("No training curve: every loss and validation score is NaN");
      return null;
    }
    return Plots.trainingCurves(out.resolve(CURVES), "Training curves (" + plan.task().cardName() + ", "
        + plan.start().label() + ", " + plan.mode().cardName() + ", " + plan.size() + " px)", "loss / score", series);
  }

  private static void addFinite(List<Plots.Series> series, String name, List<Double> values) {
    List<double[]> points = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (Double.isFinite(values.get(i))) {
        points.add(new double[] {i + 1, values.get(i)});
      }
    }
    if (!points.isEmpty()) {
      series.add(new Plots.Series(name, points.stream().mapToDouble(p -> p[0]).toArray(),
          points.stream().mapToDouble(p -> p[1]).toArray()));
    }
  }

  /** A hard link (no copy of hundreds of MB) where the file system allows it, else a copy; atomic either way. */
  private static void linkOrCopy(Path from, Path to) throws IOException {
    Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createLink(tmp, from);
    } catch (IOException | UnsupportedOperationException e) {
      Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
    }
    AtomicFiles.move(tmp, to);
  }

  static String sha256(Path file) throws IOException {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
    }
  }
}

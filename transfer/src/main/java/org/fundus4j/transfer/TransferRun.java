package org.fundus4j.transfer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fundus4j.io.FileHashes;
import org.fundus4j.evaluation.metrics.MultiLabelAuc;
import org.fundus4j.evaluation.metrics.OperatingPoints;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.metrics.SegmentationMetrics;
import org.fundus4j.evaluation.visualize.Plots;
import org.fundus4j.io.AtomicFiles;
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
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The paper's training recipe, once: one run of upstream pretraining, linear probing or fine-tuning in its
 * output folder, from a {@link Plan} to a saved model. {@code fundus pretrain}, {@code fundus transfer}, every
 * cell of an experiment grid, the demo and the Spark job all train through here, so the same plan on the same
 * data gives the same model wherever it runs.
 *
 * <p>The recipe, in order:
 * <ol>
 *   <li>a patient-level, label-stratified validation split of the training data ({@code split.csv}: fold 0
 *       is validation, fold 1 training; {@code round(1 / validationFraction)} groups, one of them validation);
 *   <li>the task's network: ResNet-50 with a linear head (binary; the paper's 2048-512-BN-ReLU-2 head for
 *       upstream pretraining), a sigmoid head (multi-label) or a U-Net with a ResNet-50 encoder (segmentation),
 *       checked against memory before anything is written ({@link TrainingMemory}): a step of the plan's batch
 *       that does not fit is computed from micro-batches ({@link GradientAccumulation}), and a run where not even
 *       one image fits is refused;
 *   <li>the start's backbone weights ({@code .pth}, a fundus4j model folder or a DL4J {@code model.zip});
 *   <li>{@link #calibrate BatchNorm re-estimation} where the recipe needs it (below);
 *   <li>LP: the backbone frozen up to the pooled features, which are computed once and cached in
 *       {@code checkpoints/}, and the head trained on them (for U-Nets the encoder is frozen and the decoder
 *       trains on images); FT and upstream: every layer trains with Adam and the paper's weight decay, on the
 *       training pipeline's augmentation (flip, grayscale, blur, CLAHE) seeded by epoch;
 *   <li>early stopping on the validation score ({@link Task#metric()}), a checkpoint after every epoch and
 *       resumption from it ({@link EarlyStoppingTrainer});
 *   <li>the best epoch's model, BatchNorm re-estimated once more if every layer trained (never in a network
 *       that has frozen layers), saved with its
 *       {@link ModelCard} (training record, operating point, library versions, fundus4j's version).
 * </ol>
 *
 * <p><b>BatchNorm re-estimation</b>, one recipe ({@link #calibrate}): every BatchNorm layer's running mean and
 * variance are set from the activations of up to {@value #CALIBRATION_IMAGES} training images through the
 * evaluation pipeline. It is applied (a) to a Scratch backbone before it is frozen for LP, since DL4J runs
 * frozen layers in inference mode and a fresh ResNet-50 normalised with its initial statistics overflows to
 * NaN, and (b) after FT and upstream training to the best model ("precise BatchNorm": after few epochs the
 * running averages lag behind the weights). The card records both.
 *
 * <pre>{@code
 * TransferRun.Plan plan = new TransferRun.Plan(Task.BINARY, Mode.LP, Start.IMAGENET, imagenetPth, 512,
 *     100, 10, 32, 1e-3, 42, 0.2);
 * TransferRun.Result r = TransferRun.run(plan, set, Path.of("runs/lp"), false, TransferRun.Settings.defaults());
 * TransferRun.HeldOut test = r.predict(testSamples);
 * }</pre>
 */
public final class TransferRun {

  /** The patient-level split file in the output folder. */
  public static final String SPLIT = "split.csv";
  /** The training-curve picture in the output folder. */
  public static final String CURVES = "training-curves.png";
  /** The checkpoint folder inside the output folder. */
  public static final String CHECKPOINTS = "checkpoints";
  /** Images whose activations re-estimate BatchNorm statistics. */
  public static final int CALIBRATION_IMAGES = 64;
  /** The test hook of {@link EarlyStoppingTrainer#HALT_AFTER_EPOCH}, under the name callers know. */
  public static final String HALT_AFTER_EPOCH = EarlyStoppingTrainer.HALT_AFTER_EPOCH;
  private static final String FEATURES_TRAIN = "features-train.bin";
  private static final String FEATURES_VALIDATION = "features-validation.bin";
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;

  /**
   * What to train: everything that changes the numbers. Checked when built.
   *
   * @param task what the model predicts
   * @param mode upstream pretraining, LP or FT
   * @param start the backbone's initial weights
   * @param weights the start's weights (.pth, fundus4j model folder or model.zip); null for Scratch
   * @param size input side in pixels, a multiple of 32 (the paper: 256, 512, 1024)
   * @param maxEpochs the most epochs (the paper: 100)
   * @param patience epochs without a better validation score before stopping
   * @param batchSize images per step (the paper: 32)
   * @param learningRate Adam's step size (the paper: 1e-5 for FT and upstream)
   * @param seed seed of weights, split, shuffling and augmentation
   * @param validationFraction share of patients held out for validation, in (0, 0.5]
   * @param microBatch images per forward and backward pass when a step of {@code batchSize} images is computed
   *     from micro-batches with {@link GradientAccumulation} (BatchNorm then normalises micro-batches); 0 to
   *     accumulate only when a step of {@code batchSize} images does not fit in memory, with the largest even split
   *     that fits ({@link TrainingMemory#microBatch})
   */
  public record Plan(Task task, Mode mode, Start start, Path weights, int size, int maxEpochs, int patience,
      int batchSize, double learningRate, long seed, double validationFraction, int microBatch) {

    /** A plan that accumulates gradients only when its batch does not fit in memory. */
    public Plan(Task task, Mode mode, Start start, Path weights, int size, int maxEpochs, int patience,
        int batchSize, double learningRate, long seed, double validationFraction) {
      this(task, mode, start, weights, size, maxEpochs, patience, batchSize, learningRate, seed, validationFraction,
          0);
    }

    public Plan {
      Objects.requireNonNull(task, "task");
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(start, "start");
      if (size < 32 || size % 32 != 0) {
        throw new IllegalArgumentException("size must be a multiple of 32 (the paper: 256, 512, 1024), got " + size);
      }
      if (maxEpochs < 1) {
        throw new IllegalArgumentException("epochs must be >= 1, got " + maxEpochs);
      }
      if (patience < 1) {
        throw new IllegalArgumentException("patience must be >= 1, got " + patience);
      }
      if (batchSize < 1) {
        throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
      }
      if (microBatch < 0 || microBatch > batchSize) {
        throw new IllegalArgumentException("micro-batch must be between 1 and the batch size " + batchSize
            + " (0: only when the batch does not fit in memory), got " + microBatch);
      }
      if (!(learningRate > 0 && learningRate < 1)) {
        throw new IllegalArgumentException("learning rate must be in (0, 1), got " + learningRate);
      }
      if (!(validationFraction > 0 && validationFraction <= 0.5)) {
        throw new IllegalArgumentException("validation fraction must be in (0, 0.5], got " + validationFraction);
      }
      if (mode == Mode.UPSTREAM && (task != Task.BINARY || (start != Start.SCRATCH && start != Start.IMAGENET))) {
        throw new IllegalArgumentException("upstream pretraining is binary (normal/abnormal) from the scratch or "
            + "imagenet start, got " + task.word() + " from " + start.label());
      }
      if (start == Start.SCRATCH && weights != null) {
        throw new IllegalArgumentException("weights are not used with the scratch start; leave them out");
      }
      if (start != Start.SCRATCH && weights == null) {
        throw new IllegalArgumentException("start " + start.name().toLowerCase(Locale.ROOT).replace('_', '+')
            + " needs weights: " + (start == Start.IMAGENET ? "torchvision's ImageNet resnet50 .pth"
                : "the paper's resnet50_*.pth or a 'fundus pretrain' output folder"));
      }
      if (weights != null && !Files.exists(weights)) {
        throw new IllegalArgumentException("weights " + weights + ": no such file or folder");
      }
    }

    /** The learning rate fundus4j uses when none is given: the paper's 1e-5 for FT and upstream, 1e-3 for LP heads. */
    public static double defaultLearningRate(Task task, Mode mode) {
      return task == Task.SEGMENTATION ? UNet.DEFAULT_LEARNING_RATE : mode == Mode.LP ? 1e-3 : 1e-5;
    }

    /** The same plan with another seed. */
    public Plan withSeed(long newSeed) {
      return new Plan(task, mode, start, weights, size, maxEpochs, patience, batchSize, learningRate, newSeed,
          validationFraction, microBatch);
    }

    /** The same plan computing each step from micro-batches of {@code images} (0: only when it does not fit). */
    public Plan withMicroBatch(int images) {
      return new Plan(task, mode, start, weights, size, maxEpochs, patience, batchSize, learningRate, seed,
          validationFraction, images);
    }
  }

  /**
   * How a run is carried out: nothing here changes its numbers, so none of it is checked on resume.
   *
   * @param threads decoding threads of the image iterators
   * @param devices model replicas trained data-parallel (ParallelWrapper, parameter averaging): GPUs with the
   *     CUDA backend, CPU workers otherwise; 1 trains in the calling thread
   * @param syntheticData marks the card as trained on synthetic images (never for clinical use)
   * @param name the card's algorithm name (TID 4019 Algorithm Name); null for one made from the plan
   * @param listener progress of the run
   * @param epochTraining how an epoch of images is fitted when every layer trains (e.g. on a Spark cluster);
   *     null to fit in this JVM (on {@code devices} devices)
   * @param network builds the classifier for a head instead of ResNet-50 (small networks in tests, clusters that
   *     cannot hold a ResNet-50); null for ResNet-50. Only the Scratch start can use it.
   * @param memoryLimit bytes a step may use ({@link TrainingMemory}); 0 for what ND4J may use when the run starts
   *     ({@link TrainingMemory#availableBytes()})
   */
  public record Settings(int threads, int devices, boolean syntheticData, String name, Listener listener,
      EpochTraining epochTraining, java.util.function.Function<Head, ComputationGraph> network, long memoryLimit) {
    public Settings {
      if (threads < 1 || threads > 64) {
        throw new IllegalArgumentException("threads must be 1-64, got " + threads);
      }
      if (devices < 1 || devices > 64) {
        throw new IllegalArgumentException("devices must be 1-64, got " + devices);
      }
      listener = listener == null ? new Listener() {} : listener;
      if (memoryLimit < 0) {
        throw new IllegalArgumentException("memory limit must be >= 0 bytes (0: what ND4J may use), got "
            + memoryLimit);
      }
    }

    /** One thread per processor, one device, real data, the plan's name, no progress shown, ResNet-50 here. */
    public static Settings defaults() {
      return new Settings(Math.max(1, Runtime.getRuntime().availableProcessors()), 1, false, null, null, null, null, 0);
    }

    public Settings withThreads(int n) {
      return new Settings(n, devices, syntheticData, name, listener, epochTraining, network, memoryLimit);
    }

    public Settings withDevices(int n) {
      return new Settings(threads, n, syntheticData, name, listener, epochTraining, network, memoryLimit);
    }

    public Settings withSyntheticData(boolean synthetic) {
      return new Settings(threads, devices, synthetic, name, listener, epochTraining, network, memoryLimit);
    }

    public Settings withName(String algorithmName) {
      return new Settings(threads, devices, syntheticData, algorithmName, listener, epochTraining, network,
          memoryLimit);
    }

    public Settings withListener(Listener l) {
      return new Settings(threads, devices, syntheticData, name, l, epochTraining, network, memoryLimit);
    }

    public Settings withEpochTraining(EpochTraining training) {
      return new Settings(threads, devices, syntheticData, name, listener, training, network, memoryLimit);
    }

    public Settings withNetwork(java.util.function.Function<Head, ComputationGraph> classifier) {
      return new Settings(threads, devices, syntheticData, name, listener, epochTraining, classifier, memoryLimit);
    }

    /** The same settings with a step's memory limited to {@code bytes} instead of what ND4J may use. */
    public Settings withMemoryLimit(long bytes) {
      return new Settings(threads, devices, syntheticData, name, listener, epochTraining, network, bytes);
    }
  }

  /** Fits one epoch of training images into a model somewhere other than this JVM's threads (e.g. Spark). */
  @FunctionalInterface
  public interface EpochTraining {
    /**
     * Fits every image of {@code train} once into {@code model} (in place), augmented with the training
     * pipeline seeded by {@code seed}; returns the epoch's mean training loss.
     */
    double fitEpoch(ComputationGraph model, List<Sample> train, int size, long seed, int epoch);
  }

  /** What a run shows while it works; every method does nothing by default. */
  public interface Listener extends EpochListener {
    @Override
    default void batchDone(int epoch, int batch, double loss) {}

    @Override
    default void epochDone(int epoch, double meanLoss) {}

    /** The patient-level split is made (or read back): images per epoch and validation images. */
    default void split(int training, int validation) {}

    /** A line worth showing (what the run is about to do, warnings). */
    default void message(String line) {}

    /** The run resumes from a checkpoint with this state. */
    default void resumed(EarlyStoppingTrainer.State state) {}

    /** Featurisation of {@code what} (training or validation images) progressed to {@code done} of {@code total}. */
    default void featurizing(String what, int done, int total) {}

    /** The epoch's training part is over; validation runs. */
    default void validating() {}

    /** The validation score of epoch {@code epoch} (0-based). */
    default void scored(int epoch, double score) {}
  }

  /**
   * The outcome.
   *
   * @param folder the output folder (a {@link SavedModel} folder)
   * @param model the saved model and its card
   * @param state epochs, scores and losses of the run
   * @param plan what was trained
   * @param threads decoding threads, for {@link #predict}
   * @param evaluationBatch images per forward pass of {@link #predict}: the plan's batch, or fewer when a forward
   *     pass of the batch does not fit in memory (it does not change the outputs)
   */
  public record Result(Path folder, SavedModel model, EarlyStoppingTrainer.State state, Plan plan, int threads,
      int evaluationBatch) {

    /** The model's outputs on {@code samples} through the evaluation pipeline, in their order. */
    public HeldOut predict(List<Sample> samples) {
      return TransferRun.predict(model.graph(), plan.task(), samples, plan.size(), evaluationBatch, threads);
    }
  }

  /**
   * A model's outputs on a list of images, in their order.
   *
   * @param images the image files
   * @param labels per image, the true labels: {@code [abnormal]} (binary), one 0/1 per label (multi-label);
   *     empty arrays for segmentation
   * @param scores per image: {@code [P(abnormal)]}, one probability per label, or {@code [Dice]} at threshold 0.5
   * @param unreadable images that could not be read, left out of the three lists
   */
  public record HeldOut(List<String> images, int[][] labels, double[][] scores, List<String> unreadable) {
    public HeldOut {
      if (images.size() != labels.length || labels.length != scores.length) {
        throw new IllegalArgumentException("images, labels and scores differ in length");
      }
      images = List.copyOf(images);
      unreadable = List.copyOf(unreadable);
    }

    /** Column {@code c} of the scores. */
    public double[] scores(int c) {
      double[] s = new double[scores.length];
      for (int i = 0; i < s.length; i++) {
        s[i] = scores[i][c];
      }
      return s;
    }

    /** Column {@code c} of the labels. */
    public int[] labels(int c) {
      int[] l = new int[labels.length];
      for (int i = 0; i < l.length; i++) {
        l[i] = labels[i][c];
      }
      return l;
    }
  }

  private final Plan plan;
  private final Settings settings;
  private final Path out;
  private final Listener listener;
  private final SkipReport skips = new SkipReport();
  /** How the run's steps fit in memory, known before anything is written ({@link #memory(ComputationGraph)}). */
  private Memory memory;

  private TransferRun(Plan plan, Settings settings, Path out) {
    this.plan = plan;
    this.settings = settings;
    this.out = out;
    this.listener = settings.listener();
  }

  /**
   * Trains (or resumes) on {@code set} and writes the outputs into {@code out}.
   *
   * @param set the training data, labelled for the plan's task (a validation split is taken from it)
   * @param data what defines the data (e.g. its path and layout), recorded in {@code run.json} and checked on resume
   * @param resume continue the run in {@code out}; otherwise {@code out} must be new or empty
   * @throws IllegalArgumentException naming the setting or file at fault
   */
  public static Result run(Plan plan, LabelledSet set, Map<String, String> data, Path out, boolean resume,
      Settings settings) throws IOException {
    if (set.kind() != plan.task().kind()) {
      throw new IllegalArgumentException("A " + plan.task().cardName() + " run needs " + plan.task().kind()
          + " labels, got " + set.kind() + " from " + set.layout());
    }
    Map<String, String> options = options(plan, data);
    RunFolder.check(out, resume, options);
    return new TransferRun(plan, settings, out).train(set, options);
  }

  /** The settings that define a run, as {@code run.json} records them and resuming checks them. */
  static Map<String, String> options(Plan plan, Map<String, String> data) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("command", plan.mode() == Mode.UPSTREAM ? "pretrain" : "transfer");
    o.putAll(data);
    o.put("task", plan.task().word());
    o.put("mode", plan.mode().cardName());
    o.put("start", plan.start().label());
    if (plan.weights() != null) {
      o.put("weights", plan.weights().toAbsolutePath().normalize().toString());
    }
    o.put("size", Integer.toString(plan.size()));
    o.put("epochs", Integer.toString(plan.maxEpochs()));
    o.put("patience", Integer.toString(plan.patience()));
    o.put("batch", Integer.toString(plan.batchSize()));
    if (plan.microBatch() > 0) {
      o.put("micro-batch", Integer.toString(plan.microBatch()));
    }
    o.put("lr", Double.toString(plan.learningRate()));
    o.put("seed", Long.toString(plan.seed()));
    o.put("val-fraction", Double.toString(plan.validationFraction()));
    return o;
  }

  private Result train(LabelledSet set, Map<String, String> options) throws IOException {
    int outputs = outputs(set);
    ComputationGraph net = network(outputs);
    memory = memory(net); // before anything is written: a step that cannot fit is refused here
    RunFolder.write(out, options);
    Fold split = split(set.samples());
    List<Sample> train = split.train();
    List<Sample> validation = split.test();
    listener.split(train.size(), validation.size());
    listener.message(String.format(Locale.ROOT, "%s %s: %s start, %d px, %d training / %d validation images (%s)%s",
        plan.mode() == Mode.UPSTREAM ? "Upstream pretraining" : plan.mode().cardName(), plan.task().cardName(),
        plan.start().label(), plan.size(), train.size(), validation.size(), set.layout(),
        settings.syntheticData() ? ", SYNTHETIC DATA" : ""));
    EarlyStoppingTrainer trainer = new EarlyStoppingTrainer(out.resolve(CHECKPOINTS), plan.maxEpochs(),
        plan.patience());
    trainer.checkpointState().ifPresent(listener::resumed);
    EarlyStoppingTrainer.Result result;
    ComputationGraph model;
    List<String> batchNorm = new ArrayList<>();
    if (plan.mode() == Mode.LP && plan.task() != Task.SEGMENTATION) {
      ComputationGraph frozen = frozen(net, outputs, train, ResNet50.FEATURES, batchNorm);
      DataSet trainFeatures = cachedFeatures(frozen, train, outputs, FEATURES_TRAIN, "training");
      DataSet validationFeatures = cachedFeatures(frozen, validation, outputs, FEATURES_VALIDATION, "validation");
      List<DataSet> examples = trainFeatures.asList();
      result = trainer.fit(trainer.hasCheckpoint() ? null : LinearProbe.head(frozen, ResNet50.FEATURES),
          epoch -> shuffled(examples, epoch), EarlyStoppingTrainer.Fitter.SERIAL,
          scorer(() -> new ListDataSetIterator<>(validationFeatures.asList(), plan.batchSize())), listener);
      LinearProbe.setHead(frozen, result.best());
      model = frozen;
    } else {
      ComputationGraph initial = trainer.hasCheckpoint() ? null : trainable(net, outputs, train, batchNorm);
      EarlyStoppingTrainer.Fitter fitter = settings.devices() > 1
          ? new DataParallelTraining(settings.devices(), 2, 1).fitter()
          : memory.accumulates() ? new GradientAccumulation(memory.microBatch()).fitter()
          : EarlyStoppingTrainer.Fitter.SERIAL;
      try (EpochIterators perEpoch = new EpochIterators(train, outputs);
          FundusDataSetIterator validationImages = iterator(validation, outputs)) {
        if (settings.epochTraining() != null) {
          EpochTraining remote = settings.epochTraining();
          result = trainer.fit(initial, epoch -> null, (m, none, epoch, l) -> remote.fitEpoch(m, train, plan.size(),
              plan.seed() + epoch, epoch), scorer(() -> validationImages), listener);
        } else {
          result = trainer.fit(initial, perEpoch, fitter, scorer(() -> validationImages), listener);
        }
      }
      model = result.best();
      if (plan.mode() != Mode.LP && !hasFrozenLayers(model)) {
        batchNorm.add("re-estimated on " + calibrate(model, train, outputs) + " training images after training "
            + "(precise BatchNorm)");
      }
    }
    EarlyStoppingTrainer.State state = result.state();
    if (skips.count() > 0) {
      listener.message(String.format(Locale.ROOT, "WARNING: %d images could not be read and were left out, e.g. %s",
          skips.count(), skips.entries().subList(0, Math.min(3, skips.count()))));
    }
    ModelCard card = card(set, train.size(), validation.size(), state, batchNorm, memory, model);
    ModelCard.OperatingPoint point = operatingPoint(model, set, validation);
    if (point != null) {
      card = card.withOperatingPoint(point);
    }
    SavedModel.save(out, model, card);
    Path curves = curves(state);
    listener.message(String.format(Locale.ROOT, "Best epoch %d of %d%s: validation %s %.4f%nModel %s, card %s%s, "
            + "split %s (sha256 %s)", state.bestEpoch() + 1, state.epochsDone(),
        state.stoppedEarly() ? " (stopped early)" : "", plan.task().metric(), state.bestScore(),
        out.resolve(SavedModel.WEIGHTS), out.resolve(SavedModel.CARD), curves == null ? "" : ", curves " + curves,
        out.resolve(SPLIT), card.training().splitSha256().substring(0, 12)));
    return new Result(out, new SavedModel(model, card), state, plan, settings.threads(), memory.evaluationBatch());
  }

  /** True when some BatchNorm layer trains, i.e. normalises training batches with their own statistics. */
  private static boolean hasTrainableBatchNorm(ComputationGraph graph) {
    for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
      if (layer instanceof org.deeplearning4j.nn.layers.normalization.BatchNormalization) {
        return true;
      }
    }
    return false;
  }

  /** True when some layer is frozen (a caller's network may come frozen): its statistics then stay as they are. */
  private static boolean hasFrozenLayers(ComputationGraph graph) {
    for (org.deeplearning4j.nn.api.Layer layer : graph.getLayers()) {
      if (layer instanceof org.deeplearning4j.nn.layers.FrozenLayer
          || layer instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop) {
        return true;
      }
    }
    return false;
  }

  private int outputs(LabelledSet set) {
    return plan.task().outputs(set.numClasses());
  }

  /**
   * The patient-level split: read from {@code split.csv} when the folder has one (a resumed run), else one of
   * {@code round(1 / validationFraction)} patient-grouped, label-stratified folds becomes the validation set.
   * Returned as a fold whose {@code test} part is the validation set.
   */
  private Fold split(List<Sample> samples) {
    Path file = out.resolve(SPLIT);
    if (Files.exists(file)) {
      return SplitFiles.readFolds(file).get(0);
    }
    long patients = samples.stream().map(Sample::patientId).distinct().count();
    int k = (int) Math.round(1.0 / plan.validationFraction());
    if (patients < k) {
      throw new IllegalArgumentException("validation fraction " + plan.validationFraction() + " splits patients "
          + "into " + k + " groups, but the data have " + patients + " patients; give more data or a larger fraction");
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

  /** {@code net} with the start's weights, ready for FT or upstream training (every layer trains), or U-Net LP. */
  private ComputationGraph trainable(ComputationGraph net, int outputs, List<Sample> train, List<String> batchNorm)
      throws IOException {
    if (plan.mode() != Mode.LP) {
      return FineTune.prepare(withStartWeights(net), adam(), ResNet50.PAPER_WEIGHT_DECAY, plan.seed());
    }
    // U-Net LP: freeze the encoder, train the decoder on images (its skip connections need every stage,
    // so there is no single feature tensor to cache).
    return frozen(net, outputs, train, ResNet50.STAGE_OUTPUTS.get(ResNet50.STAGE_OUTPUTS.size() - 1), batchNorm);
  }

  /** {@code net} with the start's backbone, frozen up to {@code featureLayer}; a Scratch backbone calibrated first. */
  private ComputationGraph frozen(ComputationGraph net, int outputs, List<Sample> train, String featureLayer,
      List<String> batchNorm) throws IOException {
    withStartWeights(net);
    if (plan.start() == Start.SCRATCH) {
      listener.message("Scratch start, frozen layers: re-estimating BatchNorm statistics on training images "
          + "(frozen BatchNorm with initial statistics overflows to NaN)");
      batchNorm.add("re-estimated on " + calibrate(net, train, outputs) + " training images before freezing");
    }
    return LinearProbe.freeze(net, featureLayer, adam(), plan.seed());
  }

  /** The plan's network, not yet trained and without start weights, once it is known to fit in memory. */
  private ComputationGraph network(int outputs) {
    if (settings.network() != null && plan.task() != Task.SEGMENTATION) {
      if (plan.start() != Start.SCRATCH) {
        throw new IllegalArgumentException("A network other than ResNet-50 trains from the scratch start only");
      }
      Head head = plan.task() == Task.MULTILABEL ? Head.multiLabel(outputs)
          : plan.mode() == Mode.UPSTREAM ? Head.paper(2) : Head.linear(2);
      return settings.network().apply(head);
    }
    ComputationGraph net = switch (plan.task()) {
      case SEGMENTATION -> UNet.resnet50Encoder(plan.seed(), adam());
      case MULTILABEL -> ResNet50.build(Head.multiLabel(outputs), plan.seed(), adam());
      // the paper's upstream model has its 2048-512-BN-ReLU-2 head; downstream heads are linear
      case BINARY -> ResNet50.build(plan.mode() == Mode.UPSTREAM ? Head.paper(2) : Head.linear(2), plan.seed(),
          adam());
    };
    return net;
  }

  /** {@code net} with the start's weights loaded (none for Scratch). */
  private ComputationGraph withStartWeights(ComputationGraph net) throws IOException {
    if (plan.start() != Start.SCRATCH) {
      StartWeights.loadAny(net, plan.weights());
    }
    return net;
  }

  /**
   * How this run's steps fit in memory.
   *
   * @param microBatch images per forward and backward pass: the plan's batch, or less when each step is computed
   *     from micro-batches ({@link GradientAccumulation})
   * @param why for the card and the log, why the run accumulates (null when it does not)
   * @param evaluationBatch images per forward pass of validation, featurisation and prediction: the plan's batch,
   *     or the largest that fits (outputs do not depend on it)
   */
  private record Memory(int microBatch, String why, int evaluationBatch) {
    boolean accumulates() {
      return why != null;
    }
  }

  /**
   * The one memory check before training, against the settings' limit shared by the device replicas
   * ({@link TrainingMemory}). A training step of the plan's batch that does not fit is computed from the most even
   * split into micro-batches that does ({@link TrainingMemory#microBatch}), or from the plan's micro-batch when it
   * names one; forward passes (validation, LP features, predictions) run at the largest batch that fits. Refused
   * with one line: a run where not even one image fits, and data-parallel training that would need micro-batches
   * (with the largest batch that fits). It runs before the run folder is written, so a refused run can be started
   * again in the same folder; a resumed run is checked again.
   */
  private Memory memory(ComputationGraph net) {
    long limit = (settings.memoryLimit() > 0 ? settings.memoryLimit() : TrainingMemory.availableBytes())
        / settings.devices();
    int batch = plan.batchSize();
    var conf = net.getConfiguration();
    boolean training = (plan.mode() != Mode.LP || plan.task() == Task.SEGMENTATION)
        && settings.epochTraining() == null;
    int evaluation = TrainingMemory.largestBatch(conf, plan.size(), false, limit, batch);
    if (evaluation == 0) {
      TrainingMemory.requireFits(conf, plan.size(), 1, false, limit);
    }
    if (evaluation < batch) {
      listener.message(String.format(Locale.ROOT, "Forward passes (validation, features, predictions) run %d images "
          + "at a time: a forward pass of %d needs about %s but ND4J may use %s", evaluation, batch,
          TrainingMemory.gib(TrainingMemory.stepBytes(conf, plan.size(), batch, false)), TrainingMemory.gib(limit)));
    }
    if (!training) {
      return new Memory(batch, null, evaluation);
    }
    int micro;
    String why;
    if (plan.microBatch() > 0 && plan.microBatch() < batch) {
      TrainingMemory.requireFits(conf, plan.size(), plan.microBatch(), true, limit, "--micro-batch");
      micro = plan.microBatch();
      why = "asked for (--micro-batch " + micro + ")";
    } else {
      micro = settings.devices() > 1 ? batch : TrainingMemory.microBatch(conf, plan.size(), batch, limit);
      TrainingMemory.requireFits(conf, plan.size(), micro, true, limit);
      why = micro == batch ? null : String.format(Locale.ROOT, "a step of %d images needs about %s but ND4J may "
          + "use %s", batch, TrainingMemory.gib(TrainingMemory.stepBytes(conf, plan.size(), batch, true)),
          TrainingMemory.gib(limit));
    }
    if (micro < batch && settings.devices() > 1) {
      throw new IllegalArgumentException("Micro-batches (gradient accumulation) train on one device; with --devices "
          + settings.devices() + " ask for a batch whose step fits on each device");
    }
    if (why != null) {
      listener.message(String.format(Locale.ROOT, "Gradient accumulation: each step of %d images is computed as %d "
          + "micro-batches of at most %d (%s); BatchNorm normalises micro-batches", batch,
          new GradientAccumulation(micro).passes(batch), micro, why));
    }
    return new Memory(micro, why, evaluation);
  }

  private Adam adam() {
    return new Adam(plan.learningRate(), BETA1, BETA2, 1e-8);
  }

  private int calibrate(ComputationGraph net, List<Sample> train, int outputs) {
    return calibrate(net, plan.task().kind(), outputs, train, plan.size(), plan.batchSize(), settings.threads(), skips);
  }

  /**
   * The one BatchNorm re-estimation recipe: every BatchNorm layer's statistics from the first
   * {@value #CALIBRATION_IMAGES} training images (in split order) through the evaluation pipeline, in batches of
   * at most {@code batchSize} and at most 8 images at 224 px or the same number of pixels (the forward pass
   * keeps every activation).
   *
   * @return the number of images used
   */
  public static int calibrate(ComputationGraph net, org.fundus4j.pipelines.LabelKind kind, int outputs,
      List<Sample> train, int size, int batchSize, int threads, SkipReport skips) {
    int perBatch = Math.max(1, Math.min(batchSize, (int) (8L * 224 * 224 / ((long) size * size))));
    List<Sample> images = train.subList(0, Math.min(train.size(), CALIBRATION_IMAGES));
    List<INDArray> batches = new ArrayList<>();
    try (FundusDataSetIterator it = FundusDataSets.iterator(images, Pipelines.evaluation(size), kind, outputs,
        perBatch, skips, new IteratorOptions(threads, 2, false, 0L))) {
      while (it.hasNext()) {
        batches.add(it.next().getFeatures());
      }
    }
    BatchNormCalibration.reestimate(net, batches);
    return images.size();
  }

  /** Backbone features of {@code samples}, read from the checkpoint folder or computed once and saved there. */
  private DataSet cachedFeatures(ComputationGraph frozen, List<Sample> samples, int outputs, String name,
      String what) throws IOException {
    Path file = out.resolve(CHECKPOINTS).resolve(name);
    if (Files.isRegularFile(file)) {
      DataSet cached = new DataSet();
      cached.load(file.toFile());
      return cached;
    }
    DataSet features;
    try (FundusDataSetIterator images = iterator(samples, outputs)) {
      features = LinearProbe.featurize(frozen, ResNet50.FEATURES, images,
          done -> listener.featurizing(what, done, samples.size()));
    }
    if (Double.isNaN(features.getFeatures().sumNumber().doubleValue())) {
      throw new IllegalStateException("The frozen backbone gives NaN features; its BatchNorm statistics are "
          + "unusable (weights from another normalisation?)");
    }
    Files.createDirectories(file.getParent());
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
        memory.evaluationBatch(), skips, iteratorOptions());
  }

  private IteratorOptions iteratorOptions() {
    return new IteratorOptions(settings.threads(), 2, false, 0L);
  }

  /** The validation score of the task for early stopping (see {@link #score}). */
  private ToDoubleFunction<ComputationGraph> scorer(Supplier<DataSetIterator> validation) {
    int[] epoch = {-1};
    return model -> {
      epoch[0]++;
      listener.validating();
      DataSetIterator it = validation.get();
      it.reset();
      double score = score(model, plan.task(), it, listener::message);
      listener.scored(epoch[0], score);
      return score;
    };
  }

  /**
   * The task's score of {@code model} on {@code data}: AUC of "abnormal" (binary), macro AUC over the labels that
   * have both classes (multi-label), or mean per-image Dice at threshold 0.5 (segmentation). NaN when the model
   * outputs NaN or the score is undefined (one class only).
   */
  static double score(ComputationGraph model, Task task, DataSetIterator data, java.util.function.Consumer<String> warn) {
    List<double[]> scores = new ArrayList<>();
    List<int[]> labels = new ArrayList<>();
    List<Double> dice = new ArrayList<>();
    boolean nan = false;
    while (data.hasNext()) {
      DataSet batch = data.next();
      INDArray output = model.outputSingle(false, batch.getFeatures());
      if (Double.isNaN(output.sumNumber().doubleValue())) {
        nan = true;
        continue;
      }
      if (task == Task.SEGMENTATION) {
        SegmentationMetrics.compute(output, batch.getLabels(), 0.5).perImage().forEach(s -> dice.add(s.dice()));
      } else {
        scores.addAll(List.of(output.toDoubleMatrix()));
        labels.addAll(List.of(batch.getLabels().toIntMatrix()));
      }
    }
    if (nan) {
      warn.accept("WARNING: the model outputs NaN on validation images (training diverged?)");
      return Double.NaN;
    }
    return switch (task) {
      case SEGMENTATION -> dice.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
      case MULTILABEL -> MultiLabelAuc.macro(scores.toArray(double[][]::new), labels.toArray(int[][]::new));
      case BINARY -> RocAuc.compute(scores.stream().mapToDouble(r -> r[1]).toArray(),
          labels.stream().mapToInt(r -> r[1]).toArray());
    };
  }

  /**
   * Outputs of a model trained for {@code task} on {@code samples} (evaluation pipeline, in order): see
   * {@link HeldOut}. Images that cannot be read are listed in {@link HeldOut#unreadable()}.
   */
  public static HeldOut predict(ComputationGraph model, Task task, List<Sample> samples, int size, int batchSize,
      int threads) {
    SkipReport skipped = new SkipReport();
    // only a multi-label model's width is its own (a segmentation model has no ResNet50.OUTPUT layer)
    int outputs = task.outputs(task == Task.MULTILABEL ? (int) model.layerSize(ResNet50.OUTPUT) : 0);
    List<String> images = new ArrayList<>();
    List<int[]> labels = new ArrayList<>();
    List<double[]> scores = new ArrayList<>();
    try (FundusDataSetIterator it = FundusDataSets.iterator(samples, Pipelines.evaluation(size), task.kind(),
        outputs, batchSize, skipped, new IteratorOptions(threads, 2, false, 0L))) {
      while (it.hasNext()) {
        DataSet batch = it.next();
        INDArray output = model.outputSingle(false, batch.getFeatures());
        for (int i = 0; i < output.size(0); i++) {
          if (task == Task.SEGMENTATION) {
            scores.add(new double[] {SegmentationMetrics.compute(output.slice(i).reshape(1, 1, size, size),
                batch.getLabels().slice(i).reshape(1, 1, size, size), 0.5).perImage().get(0).dice()});
            labels.add(new int[0]);
          } else {
            double[] row = output.getRow(i).toDoubleVector();
            double[] truth = batch.getLabels().getRow(i).toDoubleVector();
            if (task == Task.BINARY) {
              scores.add(new double[] {row[1]});
              labels.add(new int[] {truth[1] > 0.5 ? 1 : 0});
            } else {
              scores.add(row);
              int[] l = new int[truth.length];
              for (int j = 0; j < l.length; j++) {
                l[j] = truth[j] > 0.5 ? 1 : 0;
              }
              labels.add(l);
            }
          }
        }
      }
    }
    java.util.Set<Path> skippedFiles = new java.util.HashSet<>();
    List<String> unreadable = new ArrayList<>();
    for (SkipReport.Entry e : skipped.entries()) {
      skippedFiles.add(e.file());
      unreadable.add(e.file() + ": " + e.reason());
    }
    for (Sample s : samples) {
      if (!skippedFiles.contains(s.image())) {
        images.add(s.image().toString());
      }
    }
    if (images.size() != scores.size()) {
      throw new IllegalStateException("Predicted " + scores.size() + " images but " + images.size()
          + " were readable; unreadable: " + unreadable);
    }
    return new HeldOut(images, labels.toArray(int[][]::new), scores.toArray(double[][]::new), unreadable);
  }

  private ModelCard card(LabelledSet set, int trainImages, int validationImages, EarlyStoppingTrainer.State state,
      List<String> batchNorm, Memory memory, ComputationGraph model) throws IOException {
    List<String> labels = switch (plan.task()) {
      case BINARY -> List.of("normal", "abnormal");
      case MULTILABEL -> set.classNames();
      case SEGMENTATION -> List.of("vessel");
    };
    String network = plan.task() == Task.SEGMENTATION ? "U-Net (ResNet-50 encoder)" : "ResNet-50";
    String name = settings.name() != null ? settings.name() : plan.mode() == Mode.UPSTREAM
        ? String.format(Locale.ROOT, "fundus4j upstream %s, %s start, %d px", network,
            plan.start() == Start.SCRATCH ? "Fundus" : "ImageNet + Fundus", plan.size())
        : String.format(Locale.ROOT, "fundus4j %s %s, %s start, %s, %d px", network, plan.task().cardName(),
            plan.start().label(), plan.mode().cardName(), plan.size());
    String augmentation = plan.mode() == Mode.LP && plan.task() != Task.SEGMENTATION
        ? "none (cached features of the evaluation pipeline)" : "flip, grayscale, Gaussian blur, CLAHE";
    if (!batchNorm.isEmpty()) {
      augmentation += "; BatchNorm statistics " + String.join(", ", batchNorm);
    }
    ModelCard.HyperParameters hyper = new ModelCard.HyperParameters("Adam", plan.learningRate(), BETA1, BETA2,
        ResNet50.PAPER_WEIGHT_DECAY, plan.batchSize(), plan.maxEpochs(), plan.patience(), plan.seed(),
        plan.validationFraction(), augmentation, hasTrainableBatchNorm(model) ? memory.microBatch() : null,
        memory.accumulates() ? String.format(Locale.ROOT, "%d micro-batches of at most %d images per Adam step of "
            + "%d, their gradients summed and divided by the step's images (%s)",
            new GradientAccumulation(memory.microBatch()).passes(plan.batchSize()), memory.microBatch(),
            plan.batchSize(), memory.why()) : null);
    ModelCard.Training training = new ModelCard.Training(SPLIT, FileHashes.sha256(out.resolve(SPLIT)), trainImages,
        validationImages, hyper, state.epochsDone(), state.bestEpoch() + 1, state.stoppedEarly(),
        plan.task().metric(), state.bestScore(), LibraryVersions.current());
    String metric = plan.task() == Task.SEGMENTATION ? "bestValidationDice" : "bestValidationAuc";
    return new ModelCard(name, LibraryVersions.fundus4j(), plan.task().cardName(), labels, plan.start().label(),
        plan.mode().cardName(), plan.size(), ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD,
        settings.syntheticData(), Map.of(metric, state.bestScore()), training);
  }

  /**
   * Per output label, the probability threshold that maximises Youden's J on the validation split (the final
   * model's predictions; pROC's midpoint thresholds, see {@link OperatingPoints#youden}). Labels whose validation
   * images are all of one class get none, and the rule says so; null for segmentation or when no label has one.
   */
  private ModelCard.OperatingPoint operatingPoint(ComputationGraph model, LabelledSet set, List<Sample> validation) {
    if (plan.task() == Task.SEGMENTATION) {
      return null;
    }
    HeldOut v = predict(model, plan.task(), validation, plan.size(), memory.evaluationBatch(), settings.threads());
    List<String> names = plan.task() == Task.BINARY ? List.of("abnormal") : set.classNames();
    Map<String, Double> thresholds = new LinkedHashMap<>();
    List<String> without = new ArrayList<>();
    for (int c = 0; c < names.size(); c++) {
      try {
        thresholds.put(names.get(c), OperatingPoints.youden(v.scores(c), v.labels(c)).threshold());
      } catch (IllegalArgumentException e) {
        without.add(names.get(c));
      }
    }
    if (thresholds.isEmpty()) {
      listener.message("No operating point: no label has both classes among the validation images");
      return null;
    }
    return new ModelCard.OperatingPoint(String.format(Locale.ROOT, "Youden's J on the validation split (%d images)"
        + "%s", v.images().size(), without.isEmpty() ? "" : "; none for " + without
        + " (one class only among the validation images)"), thresholds);
  }

  /** Training loss and validation score per epoch; null (and a note) when there is no finite value to draw. */
  private Path curves(EarlyStoppingTrainer.State state) throws IOException {
    List<Plots.Series> series = new ArrayList<>();
    addFinite(series, "training loss", state.losses());
    addFinite(series, "validation " + plan.task().metric(), state.scores());
    if (series.isEmpty()) {
      listener.message("No training curve: every loss and validation score is NaN");
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
}

package org.fundus4j.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.sources.GenericCsv;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.sources.TaskData;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code spark-submit} entry point: trains a ResNet-50 classifier on a labels CSV across a Spark cluster.
 *
 * <p>Reads the CSV with {@link GenericCsv} (image path, label columns, {@code patient_id}), builds the
 * network (the paper's head and optimiser, {@link ResNet50#build(Head, long)}; or continues from a saved
 * model with {@code --init}), trains it with {@link SparkTraining} for {@code --epochs} epochs, each epoch
 * decoded with fresh augmentation draws ({@link SampleRdds}), and writes a {@link SavedModel} folder
 * ({@code model.zip}, {@code model-card.json}) plus {@code spark-training.csv} (epoch, mean training loss
 * measured on the executors after the epoch). See {@code spark/README.md} for the command line.
 *
 * <pre>
 * spark-submit --class org.fundus4j.spark.SparkTrainMain fundus4j-spark-0.1.0-SNAPSHOT-spark.jar \
 *     --labels /data/fundus/train.csv --output /data/models/upstream --size 512 --epochs 10
 * </pre>
 */
public final class SparkTrainMain {

  private static final Logger LOG = LoggerFactory.getLogger(SparkTrainMain.class);

  /** Name of the per-epoch loss file written next to the model. */
  public static final String LOSS_FILE = "spark-training.csv";

  private static final String USAGE = String.join("\n",
      "Usage: SparkTrainMain --labels <csv> --output <folder> [options]",
      "  --labels <csv>       labels CSV: image,<label columns>,patient_id (paths relative to the CSV)",
      "  --output <folder>    model folder to write (model.zip, model-card.json, " + LOSS_FILE + ")",
      "  --size <px>          input side, multiple of 32 (default 512)",
      "  --epochs <n>         training epochs (default 10)",
      "  --batch <n>          minibatch size per worker (default 16)",
      "  --averaging <n>      minibatches between parameter averagings (default 4)",
      "  --workers <n>        parallel model copies (default: Spark's default parallelism)",
      "  --prefetch <n>       minibatches prefetched per worker (default 2)",
      "  --seed <n>           weight initialisation and augmentation seed (default 42)",
      "  --lr <rate>          Adam learning rate (default: the paper's 1e-5 for upstream and FT)",
      "  --init <folder>      start from a saved fundus4j model instead of random weights");

  private SparkTrainMain() {}

  /**
   * What to train and where to write it.
   *
   * @param labels labels CSV in the {@link GenericCsv} layout
   * @param output model folder to create or replace
   * @param size square input side in pixels, a multiple of 32
   * @param epochs training epochs
   * @param batchSizePerWorker minibatch size on each worker
   * @param averagingFrequency minibatches between parameter averagings
   * @param workers parallel model copies; 0 means Spark's default parallelism
   * @param prefetch minibatches prefetched per worker
   * @param seed seed of the weight initialisation and of the augmentation
   * @param learningRate Adam's step size; 0 for {@link TransferRun.Plan#defaultLearningRate}
   * @param init saved model folder to start from, or {@code null} for random initialisation (Scratch)
   */
  public record Options(Path labels, Path output, int size, int epochs, int batchSizePerWorker,
      int averagingFrequency, int workers, int prefetch, long seed, Path init, double learningRate) {

    /** Checks the paths and numbers. */
    public Options {
      Objects.requireNonNull(labels, "--labels is required");
      Objects.requireNonNull(output, "--output is required");
      if (size < 32 || size % 32 != 0) {
        throw new IllegalArgumentException("--size must be a positive multiple of 32 (ResNet-50 downsamples 32x),"
            + " got " + size);
      }
      if (epochs < 1) {
        throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
      }
      if (workers < 0) {
        throw new IllegalArgumentException("--workers must be >= 1 (or 0 for Spark's default), got " + workers);
      }
      if (batchSizePerWorker < 2) {
        throw new IllegalArgumentException("--batch must be >= 2: the paper head's BatchNorm1d cannot train on"
            + " one image (PyTorch refuses it; DL4J 1.0.0-M2.1 fails in BatchNormalization.backpropGradient), got "
            + batchSizePerWorker);
      }
      if (averagingFrequency < 1 || prefetch < 0) {
        throw new IllegalArgumentException("--averaging must be >= 1 and --prefetch >= 0, got "
            + averagingFrequency + ", " + prefetch);
      }
    }

    /**
     * Parses {@code --name value} pairs; see the usage text.
     *
     * @throws IllegalArgumentException naming the unknown option, missing value or malformed number
     */
    public static Options parse(String... args) {
      Path labels = null;
      Path output = null;
      Path init = null;
      int size = 512;
      int epochs = 10;
      int batch = 16;
      int averaging = 4;
      int workers = 0;
      int prefetch = 2;
      long seed = 42;
      double lr = 0;
      for (int i = 0; i < args.length; i += 2) {
        String name = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("Option " + name + " needs a value\n" + USAGE);
        }
        String value = args[i + 1];
        switch (name) {
          case "--labels" -> labels = Path.of(value);
          case "--output" -> output = Path.of(value);
          case "--init" -> init = Path.of(value);
          case "--size" -> size = parseInt(name, value);
          case "--epochs" -> epochs = parseInt(name, value);
          case "--batch" -> batch = parseInt(name, value);
          case "--averaging" -> averaging = parseInt(name, value);
          case "--workers" -> workers = parseInt(name, value);
          case "--prefetch" -> prefetch = parseInt(name, value);
          case "--seed" -> seed = parseLong(name, value);
          case "--lr" -> lr = parseDouble(name, value);
          default -> throw new IllegalArgumentException("Unknown option " + name + "\n" + USAGE);
        }
      }
      if (labels == null || output == null) {
        throw new IllegalArgumentException("--labels and --output are required\n" + USAGE);
      }
      return new Options(labels, output, size, epochs, batch, averaging, workers, prefetch, seed, init, lr);
    }

    private static double parseDouble(String name, String value) {
      try {
        return Double.parseDouble(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " expects a number, got '" + value + "'");
      }
    }

    private static int parseInt(String name, String value) {
      return Math.toIntExact(parseLong(name, value));
    }

    private static long parseLong(String name, String value) {
      try {
        return Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " expects an integer, got '" + value + "'");
      }
    }
  }

  /**
   * What a run produced.
   *
   * @param modelDir the saved model folder
   * @param epochLosses mean training loss after each epoch, measured on the executors
   * @param card the model card written next to the weights
   */
  public record Result(Path modelDir, List<Double> epochLosses, ModelCard card) {

    /** Copies the list. */
    public Result {
      epochLosses = List.copyOf(epochLosses);
    }
  }

  /** Runs under {@code spark-submit}; exits with status 2 on bad arguments and 1 on failure. */
  public static void main(String[] args) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    SparkConf conf = SparkConfigs.forDl4j(new SparkConf().setAppName("fundus4j-spark-train"));
    if (!conf.contains("spark.master")) {
      System.err.println("No Spark master set: start with spark-submit --master <url>, or pass"
          + " -Dspark.master=local[2] to run on this machine");
      System.exit(2);
      return;
    }
    try (JavaSparkContext sc = new JavaSparkContext(conf)) {
      Result result = run(options, sc);
      System.out.println("Model written to " + result.modelDir() + "; training loss per epoch "
          + result.epochLosses());
    } catch (IOException | RuntimeException e) {
      LOG.error("Spark training failed", e);
      System.err.println("Spark training failed: " + e.getMessage());
      System.exit(1);
    }
  }

  /**
   * Trains on the cluster behind {@code sc} and writes the model folder.
   *
   * @throws IOException when the model folder cannot be written or {@code --init} cannot be read
   * @throws IllegalArgumentException when the CSV is malformed or describes segmentation
   */
  public static Result run(Options options, JavaSparkContext sc) throws IOException {
    return run(options, sc, null);
  }

  /**
   * Trains a network of the caller's choice instead of ResNet-50 (Scratch only).
   *
   * <p>The recipe is {@link TransferRun}'s, the one {@code fundus pretrain} and {@code fundus transfer} use:
   * patient-level validation split, early stopping, checkpoints in the output folder (a re-submitted job with
   * the same options resumes after the last finished epoch), BatchNorm re-estimation, model card. Only the
   * fitting of each epoch runs on the cluster ({@link SparkTraining}, parameter averaging); validation runs on
   * the driver. Binary labels train the paper's upstream model (2048-512-BN-ReLU-2 head), multi-label ones
   * fine-tune a sigmoid head; {@code --init} continues a saved model instead (its whole graph, frozen layers kept
   * frozen, so a model made by {@code LinearProbe.freeze} trains its head only).
   *
   * @param network builds an initialised graph for a head: input {@code [N, 3, size, size]}, one output
   *     layer named {@link ResNet50#OUTPUT} with {@code head.outputs()} units and the head's activation; null for
   *     ResNet-50
   */
  public static Result run(Options options, JavaSparkContext sc, Function<Head, ComputationGraph> network)
      throws IOException {
    LabelledSet csv = GenericCsv.read(options.labels());
    if (csv.kind() == LabelKind.SEGMENTATION) {
      throw new IllegalArgumentException(options.labels() + " has a mask column (segmentation); SparkTrainMain"
          + " trains classifiers only, train U-Nets with the transfer module");
    }
    Task task = csv.kind() == LabelKind.MULTI_LABEL ? Task.MULTILABEL : Task.BINARY;
    LabelledSet set = TaskData.forKind(csv, task.kind());
    // --init continues a saved fundus4j model (its whole graph, head and frozen layers included) by FT;
    // without it, binary labels train the paper's upstream model and multi-label ones fine-tune a sigmoid head
    Mode mode = task == Task.BINARY && options.init() == null ? Mode.UPSTREAM : Mode.FT;
    if (options.init() != null) {
      if (network != null) {
        throw new IllegalArgumentException("--init continues a saved model; it cannot be combined with a network");
      }
      ComputationGraph initial = SavedModel.load(options.init()).graph();
      long outputs = initial.layerSize(ResNet50.OUTPUT);
      int classes = task == Task.BINARY ? 2 : set.numClasses();
      if (outputs != classes) {
        throw new IllegalArgumentException("--init model " + options.init() + " has " + outputs + " outputs but "
            + options.labels() + " has " + classes + " classes " + set.classNames());
      }
      network = head -> initial;
    }
    Start start = Start.SCRATCH;
    int workers = options.workers() > 0 ? options.workers() : sc.defaultParallelism();
    SparkTraining training = new SparkTraining(options.batchSizePerWorker(), options.averagingFrequency(), workers,
        options.prefetch());
    LOG.info("Spark training: {} images, {} {} classes, {} px, {} epochs, {} workers x batch {}, averaging every {}",
        set.samples().size(), set.kind(), set.numClasses(), options.size(), options.epochs(), workers,
        options.batchSizePerWorker(), options.averagingFrequency());
    int outputs = task == Task.BINARY ? 2 : set.numClasses();
    TransferRun.EpochTraining onCluster = (model, train, size, seed, epoch) -> {
      JavaRDD<DataSet> data = SampleRdds.decode(sc, train,
          SampleRdds.Decoding.training(size, task.kind(), outputs, options.seed()), epoch);
      training.fit(sc, model, data, 1);
      double loss = training.loss(sc, model, data);
      data.unpersist(false);
      LOG.info("Epoch {}/{}: training loss {}", epoch + 1, options.epochs(), loss);
      return loss;
    };
    TransferRun.Plan plan = new TransferRun.Plan(task, mode, start, null, options.size(), options.epochs(),
        options.epochs(), options.batchSizePerWorker(), options.learningRate() > 0 ? options.learningRate()
            : TransferRun.Plan.defaultLearningRate(task, mode),
        options.seed(), 0.2);
    TransferRun.Settings settings = TransferRun.Settings.defaults().withName("fundus4j-spark")
        .withEpochTraining(onCluster).withNetwork(network);
    Map<String, String> data = new java.util.LinkedHashMap<>();
    data.put("labels", options.labels().toAbsolutePath().normalize().toString());
    data.put("workers", Integer.toString(workers));
    data.put("averaging", Integer.toString(options.averagingFrequency()));
    boolean resume = Files.exists(options.output().resolve("run.json"));
    TransferRun.Result result = TransferRun.run(plan, set, data, options.output(), resume, settings);
    List<Double> losses = result.state().losses();
    ModelCard card = result.model().card().withMetric("trainLoss", losses.get(losses.size() - 1))
        .withMetric("epochs", (double) result.state().epochsDone());
    SavedModel.writeCard(options.output(), card);
    writeLosses(options.output().resolve(LOSS_FILE), losses);
    return new Result(options.output(), losses, card);
  }

  private static void writeLosses(Path file, List<Double> losses) throws IOException {
    StringBuilder csv = new StringBuilder("epoch,train_loss\n");
    for (int i = 0; i < losses.size(); i++) {
      csv.append(i + 1).append(',').append(String.format(Locale.ROOT, "%.6f", losses.get(i))).append('\n');
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }
}

package org.fundus4j.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
 * measured on the executors after the epoch). After every epoch it writes a checkpoint to
 * {@code <output>.checkpoint/}; the same command submitted again resumes after the last finished epoch
 * ({@link RunCheckpoint}). The model folder appears in one rename, complete, never half written.
 * See {@code spark/README.md} for the command line.
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
   * @param init saved model folder to start from, or {@code null} for random initialisation (Scratch)
   */
  public record Options(Path labels, Path output, int size, int epochs, int batchSizePerWorker,
      int averagingFrequency, int workers, int prefetch, long seed, Path init) {

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
          default -> throw new IllegalArgumentException("Unknown option " + name + "\n" + USAGE);
        }
      }
      if (labels == null || output == null) {
        throw new IllegalArgumentException("--labels and --output are required\n" + USAGE);
      }
      return new Options(labels, output, size, epochs, batch, averaging, workers, prefetch, seed, init);
    }

    /**
     * The options a resumed run must share with the checkpoint it resumes from: everything except
     * {@code --epochs} (a finished run can be continued for more epochs) and {@code --output}.
     */
    Map<String, String> fingerprint() {
      Map<String, String> options = new LinkedHashMap<>();
      options.put("--labels", labels.toAbsolutePath().normalize().toString());
      options.put("--size", Integer.toString(size));
      options.put("--batch", Integer.toString(batchSizePerWorker));
      options.put("--averaging", Integer.toString(averagingFrequency));
      options.put("--workers", Integer.toString(workers));
      options.put("--seed", Long.toString(seed));
      options.put("--init", init == null ? "" : init.toAbsolutePath().normalize().toString());
      return options;
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
    return run(options, sc, head -> ResNet50.build(head, options.seed()));
  }

  /**
   * Trains a network of the caller's choice instead of ResNet-50; {@code --init}, if given, still wins.
   *
   * @param network builds an initialised graph for a head: input {@code [N, 3, size, size]}, one output
   *     layer named {@link ResNet50#OUTPUT} with {@code head.outputs()} units and the head's activation
   */
  public static Result run(Options options, JavaSparkContext sc, Function<Head, ComputationGraph> network)
      throws IOException {
    Objects.requireNonNull(network, "network");
    LabelledSet set = GenericCsv.read(options.labels());
    if (set.kind() == LabelKind.SEGMENTATION) {
      throw new IllegalArgumentException(options.labels() + " has a mask column (segmentation); SparkTrainMain"
          + " trains classifiers only, train U-Nets with the transfer module");
    }
    Head head = set.kind() == LabelKind.MULTI_LABEL ? Head.multiLabel(set.numClasses()) : Head.paper(set.numClasses());
    ComputationGraph model;
    String start;
    if (options.init() == null) {
      model = network.apply(head);
      start = "Scratch";
    } else {
      model = SavedModel.load(options.init()).graph();
      start = "Model " + options.init().getFileName();
      long outputs = model.layerSize(ResNet50.OUTPUT);
      if (outputs != set.numClasses()) {
        throw new IllegalArgumentException("--init model " + options.init() + " has " + outputs + " outputs but "
            + options.labels() + " has " + set.numClasses() + " classes " + set.classNames());
      }
    }
    int workers = options.workers() > 0 ? options.workers() : sc.defaultParallelism();
    SparkTraining training = new SparkTraining(options.batchSizePerWorker(), options.averagingFrequency(), workers,
        options.prefetch());
    LOG.info("Spark training: {} images, {} {} classes, {} px, {} epochs, {} workers x batch {}, averaging every {}",
        set.samples().size(), set.kind(), set.numClasses(), options.size(), options.epochs(), workers,
        options.batchSizePerWorker(), options.averagingFrequency());

    SampleRdds.Decoding decoding = SampleRdds.Decoding.training(options.size(), set.kind(), set.numClasses(),
        options.seed());
    Path checkpoint = RunCheckpoint.dirFor(options.output());
    Map<String, String> fingerprint = options.fingerprint();
    List<Double> losses = new ArrayList<>();
    Optional<RunCheckpoint.Saved> saved = RunCheckpoint.read(checkpoint, fingerprint);
    if (saved.isPresent()) {
      model = saved.get().graph();
      losses.addAll(saved.get().losses());
      LOG.info("Resuming from {} after epoch {}", checkpoint, losses.size());
    }
    for (int epoch = losses.size(); epoch < options.epochs(); epoch++) {
      JavaRDD<DataSet> data = SampleRdds.decode(sc, set.samples(), decoding, epoch);
      training.fit(sc, model, data, 1);
      losses.add(training.loss(sc, model, data));
      data.unpersist(false);
      RunCheckpoint.write(checkpoint, model, losses, fingerprint);
      LOG.info("Epoch {}/{}: training loss {} (checkpoint {})", epoch + 1, options.epochs(),
          losses.get(losses.size() - 1), checkpoint);
    }

    ModelCard card = new ModelCard("fundus4j-spark", "0.1.0", task(set.kind()), set.classNames(), start, "FT",
        options.size(), ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, false,
        Map.of("trainLoss", losses.get(losses.size() - 1), "epochs", (double) options.epochs()));
    Path partial = RunCheckpoint.partialFor(options.output());
    RunCheckpoint.deleteTree(partial);
    SavedModel.save(partial, model, card);
    writeLosses(partial.resolve(LOSS_FILE), losses);
    RunCheckpoint.publish(partial, options.output());
    return new Result(options.output(), losses, card);
  }

  private static String task(LabelKind kind) {
    return switch (kind) {
      case BINARY -> "binary";
      case MULTI_LABEL -> "multi-label";
      case MULTI_CLASS -> "multi-class";
      case SEGMENTATION -> "segmentation";
    };
  }

  private static void writeLosses(Path file, List<Double> losses) throws IOException {
    StringBuilder csv = new StringBuilder("epoch,train_loss\n");
    for (int i = 0; i < losses.size(); i++) {
      csv.append(i + 1).append(',').append(String.format(Locale.ROOT, "%.6f", losses.get(i))).append('\n');
    }
    Files.writeString(file, csv, StandardCharsets.UTF_8);
  }
}

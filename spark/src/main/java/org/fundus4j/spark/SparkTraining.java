package org.fundus4j.spark;

import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data-parallel training of a {@link ComputationGraph} on Apache Spark with DL4J's parameter averaging.
 *
 * <p>Each of {@code workers} Spark tasks holds a copy of the model and fits {@code averagingFrequency}
 * minibatches of {@code batchSizePerWorker} examples; the driver then averages the parameters (and the
 * updater state) of all copies and broadcasts the result for the next round
 * ({@link ParameterAveragingTrainingMaster}, the synchronous scheme of DL4J's Spark module). One epoch is
 * one pass over the RDD. This is the cluster counterpart of {@code transfer.DataParallelTraining}, which
 * does the same across the devices of one machine.
 *
 * <p>DL4J's Spark module ({@code dl4j-spark_2.12}) was last published for 1.0.0-M2 and runs here next to
 * core 1.0.0-M2.1; upstream dropped Spark support in the line after M2.1. On Java 17 the driver and the
 * executors need the {@code --add-opens} flags listed in {@code spark/README.md}, and the Spark
 * configuration should come through {@link SparkConfigs#forDl4j} (Kryo with ND4J's registrator).
 *
 * <pre>{@code
 * try (JavaSparkContext sc = new JavaSparkContext(SparkConfigs.local(2, "fundus4j"))) {
 *   SampleRdds.Decoding decoding = SampleRdds.Decoding.training(256, LabelKind.BINARY, 2, 7);
 *   JavaRDD<DataSet> train = SampleRdds.decode(sc, samples, decoding, 0);
 *   ComputationGraph trained = new SparkTraining(16, 4, 2, 2).fit(sc, net, train, 1);
 * }
 * }</pre>
 *
 * @param batchSizePerWorker examples per minibatch on each worker
 * @param averagingFrequency minibatches each worker fits between two parameter averagings
 * @param workers model copies trained in parallel (Spark tasks per averaging round), usually the total
 *     number of executor cores, or executors when each executor runs one multi-threaded ND4J task
 * @param prefetch minibatches each worker prepares ahead of the one it is fitting (0 disables prefetch)
 */
public record SparkTraining(int batchSizePerWorker, int averagingFrequency, int workers, int prefetch) {

  private static final Logger LOG = LoggerFactory.getLogger(SparkTraining.class);

  /** Checks that the sizes are positive (prefetch may be 0). */
  public SparkTraining {
    if (batchSizePerWorker < 1 || averagingFrequency < 1 || workers < 1) {
      throw new IllegalArgumentException("batchSizePerWorker, averagingFrequency and workers must be >= 1, got "
          + batchSizePerWorker + ", " + averagingFrequency + ", " + workers);
    }
    if (prefetch < 0) {
      throw new IllegalArgumentException("prefetch must be >= 0 minibatches, got " + prefetch);
    }
  }

  /** Returns the examples consumed by all workers between two averagings: {@code workers * batch * frequency}. */
  public int examplesPerAveraging() {
    return Math.multiplyExact(Math.multiplyExact(workers, batchSizePerWorker), averagingFrequency);
  }

  /**
   * Trains {@code model} in place for {@code epochs} passes over {@code data} and returns it.
   *
   * <p>Every {@link DataSet} in {@code data} must hold exactly one example (as {@link SampleRdds} makes
   * them); the training master regroups them into minibatches of {@link #batchSizePerWorker()}. It
   * persists {@code data} ({@code MEMORY_AND_DISK_SER}) before counting and splitting it, so the images
   * are decoded once for all {@code epochs}; call {@code data.unpersist()} afterwards to free it.
   *
   * @param sc the Spark context the RDD belongs to
   * @param model an initialised graph with one input and one output; its parameters are replaced by the
   *     averaged parameters after every round, its updater state too
   * @param data one-example DataSets: features {@code [1, ...]} and labels {@code [1, ...]}
   * @param epochs passes over {@code data}, at least 1
   * @return {@code model}, trained
   */
  public ComputationGraph fit(JavaSparkContext sc, ComputationGraph model, JavaRDD<DataSet> data, int epochs) {
    Objects.requireNonNull(sc, "sc");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(data, "data");
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (model.getConfiguration().getNetworkInputs().size() != 1
        || model.getConfiguration().getNetworkOutputs().size() != 1) {
      throw new IllegalArgumentException("SparkTraining fits DataSets, which need a graph with one input and one"
          + " output; this graph has inputs " + model.getConfiguration().getNetworkInputs() + " and outputs "
          + model.getConfiguration().getNetworkOutputs());
    }
    SparkComputationGraph spark = new SparkComputationGraph(sc, model, trainingMaster(sc, model));
    try {
      for (int epoch = 0; epoch < epochs; epoch++) {
        long start = System.nanoTime();
        spark.fit(data);
        LOG.info("Spark epoch {}/{}: last averaged score {} ({} ms)", epoch + 1, epochs, spark.getScore(),
            (System.nanoTime() - start) / 1_000_000);
      }
    } finally {
      spark.getTrainingMaster().deleteTempFiles(sc);
    }
    ComputationGraph trained = spark.getNetwork();
    if (trained != model) {
      // SparkComputationGraph keeps the graph it was given; copy back in case a future version does not.
      model.setParams(trained.params());
      if (trained.getUpdater() != null && trained.getUpdater().getStateViewArray() != null) {
        model.getUpdater().getStateViewArray().assign(trained.getUpdater().getStateViewArray());
      }
    }
    return model;
  }

  /**
   * Returns the mean loss of {@code model} over {@code data}, computed on the executors.
   *
   * <p>Uses {@link ComputationGraph#score} semantics (loss plus L1/L2 penalty, dropout off), averaged over
   * examples; {@code model} is not changed.
   */
  public double loss(JavaSparkContext sc, ComputationGraph model, JavaRDD<DataSet> data) {
    SparkComputationGraph spark = new SparkComputationGraph(sc, model, trainingMaster(sc, model));
    return spark.calculateScore(data, true, batchSizePerWorker);
  }

  private ParameterAveragingTrainingMaster trainingMaster(JavaSparkContext sc, ComputationGraph model) {
    ParameterAveragingTrainingMaster master = new ParameterAveragingTrainingMaster.Builder(workers, 1)
        .batchSizePerWorker(batchSizePerWorker)
        .averagingFrequency(averagingFrequency)
        .workerPrefetchNumBatches(prefetch)
        .saveUpdater(true)
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .repartionData(Repartition.NumPartitionsWorkersDiffers)
        .storageLevel(StorageLevel.MEMORY_AND_DISK_SER())
        .rngSeed(model.getConfiguration().getDefaultConfiguration().getSeed())
        .collectTrainingStats(false)
        .build();
    for (String name : sc.getConf().get(SparkConfigs.TRAINING_HOOKS, "").split(",")) {
      if (!name.isBlank()) {
        master.addHook(hook(name.trim()));
      }
    }
    return master;
  }

  private static TrainingHook hook(String name) {
    try {
      Class<?> type = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
      return (TrainingHook) type.getConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException(SparkConfigs.TRAINING_HOOKS + " names " + name + ", which is not a public"
          + " org.deeplearning4j.spark.api.TrainingHook with a no-argument constructor on the driver's class path: " + e,
          e);
    }
  }
}

package org.fundus4j.spark;

import java.util.Objects;
import org.apache.spark.SparkConf;

/**
 * Spark configurations for training DL4J models: Kryo with ND4J's registrator, and a local-mode variant.
 *
 * <p>DL4J checks at start-up that Kryo, when used, has {@code org.nd4j.kryo.Nd4jRegistrator}: without it
 * INDArrays are serialised wrongly. {@link #forDl4j} sets it. On a cluster the master, memory and
 * {@code --add-opens} flags come from {@code spark-submit} (see {@code spark/README.md});
 * {@link #local(int, String)} is for tests and single-machine runs: no web UI, everything bound to
 * {@code 127.0.0.1}, so it opens no port to the network.
 *
 * <pre>{@code
 * try (JavaSparkContext sc = new JavaSparkContext(SparkConfigs.local(2, "fundus4j-test"))) { ... }
 * }</pre>
 */
public final class SparkConfigs {

  /** Spark's name for the Kryo serializer class. */
  static final String KRYO = "org.apache.spark.serializer.KryoSerializer";
  /** ND4J's Kryo registrator, required by DL4J whenever Kryo is on. */
  static final String ND4J_REGISTRATOR = "org.nd4j.kryo.Nd4jRegistrator";

  /**
   * Largest object Kryo may write. The averaged parameters and Adam state of ResNet-50 travel as one
   * object of about 280 MB, far above Spark's 64m default ("Kryo serialization failed: Buffer overflow").
   */
  static final String KRYO_BUFFER_MAX = "spark.kryoserializer.buffer.max";

  /** Spark's list of driver-side listener classes. */
  static final String EXTRA_LISTENERS = "spark.extraListeners";

  /**
   * Comma-separated {@code org.deeplearning4j.spark.api.TrainingHook} classes (public, no-argument
   * constructor) that {@link SparkTraining} adds to every training master; they run on the executors
   * before and after each minibatch. The cluster tests use one to pause a worker at a known point.
   */
  public static final String TRAINING_HOOKS = "spark.fundus4j.trainingHooks";

  private SparkConfigs() {}

  /**
   * Sets Kryo serialisation with ND4J's registrator on {@code conf} and returns it; also raises
   * {@code spark.kryoserializer.buffer.max} to {@code 1024m} unless it is set already, and adds
   * {@link TaskSummaryListener} to {@code spark.extraListeners}.
   */
  public static SparkConf forDl4j(SparkConf conf) {
    Objects.requireNonNull(conf, "conf");
    conf.set("spark.serializer", KRYO).set("spark.kryo.registrator", ND4J_REGISTRATOR);
    if (!conf.contains(KRYO_BUFFER_MAX)) {
      conf.set(KRYO_BUFFER_MAX, "1024m");
    }
    String listeners = conf.get(EXTRA_LISTENERS, "");
    if (!listeners.contains(TaskSummaryListener.class.getName())) {
      conf.set(EXTRA_LISTENERS, listeners.isEmpty() ? TaskSummaryListener.class.getName()
          : listeners + "," + TaskSummaryListener.class.getName());
    }
    return conf;
  }

  /**
   * Returns a local-mode configuration with {@code threads} executor threads ({@code local[threads]}).
   *
   * @param threads parallel tasks, i.e. the number of parameter-averaging workers that can run at once
   * @param appName the application name shown in logs
   */
  public static SparkConf local(int threads, String appName) {
    if (threads < 1) {
      throw new IllegalArgumentException("Spark local mode needs at least 1 thread, got " + threads);
    }
    return forDl4j(new SparkConf()
        .setMaster("local[" + threads + "]")
        .setAppName(Objects.requireNonNull(appName, "appName"))
        .set("spark.ui.enabled", "false")
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1"));
  }
}

package org.fundus4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.BatchNormCalibration;
import org.fundus4j.transfer.LinearProbe;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;

/**
 * The shaded job jar on a real standalone cluster: a Master and two Workers, each a separate JVM on
 * 127.0.0.1 ({@link SharedCluster}, shared with {@link SparkClusterFaultsIT}), jobs submitted through
 * {@code SparkSubmit} in client and cluster deploy mode.
 *
 * <p>The network is ResNet-50 with a linear head at 64 px, given to {@code SparkTrainMain} as an {@code --init}
 * model folder: fine-tuning starts from the whole graph, linear probing from the graph frozen up to
 * {@link ResNet50#FEATURES} by {@link LinearProbe#freeze}. Both start models have their BatchNorm statistics
 * re-estimated on the training images ({@link BatchNormCalibration}): a fresh ResNet-50 normalises with mean 0 and
 * variance 1 in inference mode, so its held-out loss (and the frozen backbone's features) would not be finite.
 * Driver and executors get 3g heaps ({@link SparkResNet50Benchmark} measured up to 4.7 GB resident per process
 * for this job, 13.1 GB together; see {@code spark/README.md}). The fault test keeps the small CNN (see
 * {@link SparkClusterFaultsIT}).
 *
 * <p>FT runs one epoch of one averaging round (16 training images = 2 workers x batch 2 x averaging 4): each FT
 * round ships ~284 MB of parameters and Adam state per worker and took 33-40 s here, and a second epoch did not
 * lower the held-out loss further (early stopping kept epoch 1). LP ships only the parameters (its frozen layers
 * have no updater state), 5-15 s a round, and needs its two epochs of two rounds: with one epoch its held-out
 * loss rose.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@ExtendWith(SharedCluster.class)
class SparkClusterIT {

  static final int SIZE = 64;
  static final List<String> TRAINING = List.of("--size", "" + SIZE, "--batch", "2",
      "--workers", "2", "--prefetch", "0", "--seed", "5");
  /** Heaps for ResNet-50 (2g executors ran out of heap serialising a ~296 MB task result). */
  static final Map<String, String> MEMORY = Map.of("spark.driver.memory", "3g", "spark.executor.memory", "3g",
      "spark.driver.maxResultSize", "2g");

  /** Where each submitter's log is kept after the run ({@code spark/target/cluster-jobs/<name>.log}). */
  static final Path JOB_LOGS = Path.of("target", "cluster-jobs");

  @TempDir
  static Path dir;
  static StandaloneCluster cluster;
  static Path train;
  static DataSet heldOut;

  @BeforeAll
  static void writeImages(StandaloneCluster shared) throws IOException {
    cluster = shared;
    train = ClusterFixtures.images(dir.resolve("train"), 20, 1);
    heldOut = ClusterFixtures.evaluationSet(ClusterFixtures.images(dir.resolve("held-out"), 12, 2), SIZE);
  }

  /** A fresh ResNet-50 whose BatchNorm statistics are those of the training images. */
  static ComputationGraph calibratedResNet50(long seed) throws IOException {
    ComputationGraph graph = ResNet50.build(Head.linear(2), seed);
    BatchNormCalibration.reestimate(graph, List.of(ClusterFixtures.evaluationSet(train, SIZE).getFeatures()));
    return graph;
  }

  @Test
  void clientModeFineTunesOnBothWorkers() throws Exception {
    ComputationGraph start = calibratedResNet50(5);
    Path init = ClusterFixtures.startModel(dir.resolve("init-ft"), start, SIZE, "FT");
    Path out = dir.resolve("ft-model");

    Properties tasks = submitAndCheck("ft-client", "client", init, out, 1, "1e-3", 4);

    SavedModel trained = SavedModel.load(out);
    double before = start.score(heldOut);
    double after = trained.graph().score(heldOut);
    assertTrue(after < 0.8 * before, "held-out loss should fall by 20 % or more: " + before + " -> " + after);
    assertEquals(2, Files.readAllLines(out.resolve(SparkTrainMain.LOSS_FILE)).size());
    System.out.printf("SparkClusterIT FT client: held-out loss %.4f -> %.4f, tasks %s%n", before, after, tasks);
  }

  @Test
  void clusterModeLinearProbesOnBothWorkers() throws Exception {
    ComputationGraph frozen = LinearProbe.freeze(calibratedResNet50(6), ResNet50.FEATURES, new Adam(1e-3), 6);
    Path init = ClusterFixtures.startModel(dir.resolve("init-lp"), frozen, SIZE, "LP");
    Path out = dir.resolve("lp-model");

    Properties tasks = submitAndCheck("lp-cluster", "cluster", init, out, 2, "1e-3", 2);

    ComputationGraph trained = SavedModel.load(out).graph();
    for (String layer : List.of("conv1", "layer4.2.conv3")) {
      assertEquals(frozen.getLayer(layer).params(), trained.getLayer(layer).params(), layer + " is frozen");
    }
    assertEquals(frozen.getLayer("layer4.2.bn3").params(), trained.getLayer("layer4.2.bn3").params(),
        "frozen BatchNorm (and its statistics) must not change");
    double before = frozen.score(heldOut);
    double after = trained.score(heldOut);
    assertTrue(after < 0.9 * before, "held-out loss should fall by 10 % or more: " + before + " -> " + after);
    assertEquals(3, Files.readAllLines(out.resolve(SparkTrainMain.LOSS_FILE)).size());
    System.out.printf("SparkClusterIT LP cluster: held-out loss %.4f -> %.4f, tasks %s%n", before, after, tasks);
  }

  /**
   * Submits {@code SparkTrainMain}, waits for it, and checks what the cluster says: the application FINISHED
   * on the Master's {@code /json/}, each Worker's {@code /json/} lists an executor of it, and every one of
   * those executors finished tasks (the driver's {@link TaskSummaryListener}).
   */
  static Properties submitAndCheck(String name, String mode, Path init, Path out, int epochs, String lr,
      int averaging) throws Exception {
    int appsBefore = cluster.masterStatus().path("completedapps").size();
    Path summary = dir.resolve(name + "-tasks.properties");
    List<String> args = new ArrayList<>(List.of("--labels", train.toString(), "--output", out.toString(),
        "--init", init.toString()));
    args.addAll(TRAINING);
    args.addAll(List.of("--epochs", "" + epochs, "--lr", lr, "--averaging", "" + averaging));
    Map<String, String> conf = new HashMap<>(MEMORY);
    conf.put(TaskSummaryListener.FILE_KEY, summary.toString());
    long start = System.nanoTime();
    StandaloneCluster.Submission job = cluster.submit(name, mode, conf, List.of(), StandaloneCluster.jobJar(), args);
    int exit = job.await(Duration.ofMinutes(8));
    Files.createDirectories(JOB_LOGS);
    Files.writeString(JOB_LOGS.resolve(name + ".log"), job.text());   // the cluster's folder is deleted at the end
    assertEquals(0, exit, "SparkSubmit failed:\n" + job.tail());
    System.out.printf(Locale.ROOT, "SparkClusterIT %s: job %.1f s (JVM starts included); %s%n", name,
        (System.nanoTime() - start) / 1e9, String.join(" ", Files.readAllLines(out.resolve(SparkTrainMain.LOSS_FILE))));

    JsonNode master = cluster.masterStatus();
    JsonNode apps = master.path("completedapps");
    assertEquals(appsBefore + 1, apps.size(), master.toPrettyString());
    JsonNode app = apps.get(apps.size() - 1);
    for (JsonNode a : apps) {
      if (a.path("starttime").asLong() > app.path("starttime").asLong()) {
        app = a;
      }
    }
    assertEquals("FINISHED", app.path("state").asText(), app.toPrettyString());
    String appId = app.path("id").asText();
    if (mode.equals("cluster")) {
      JsonNode drivers = master.path("completeddrivers");
      assertEquals("FINISHED", drivers.get(drivers.size() - 1).path("state").asText(), drivers.toPrettyString());
    }

    Properties tasks = new Properties();
    try (Reader reader = Files.newBufferedReader(summary)) {
      tasks.load(reader);
    }
    for (int worker = 0; worker < cluster.size(); worker++) {
      Set<String> executors = new HashSet<>();
      JsonNode status = cluster.workerStatus(worker);
      for (String list : List.of("executors", "finishedexecutors")) {   // a Worker may still be stopping them
        for (JsonNode executor : status.path(list)) {
          if (executor.path("appid").asText().equals(appId)) {
            executors.add(executor.path("id").asText());
          }
        }
      }
      assertTrue(!executors.isEmpty(), "worker " + worker + " ran no executor of " + appId);
      int done = 0;
      for (String executor : executors) {
        done += Integer.parseInt(tasks.getProperty("tasks." + executor, "0"));
      }
      assertTrue(done > 0, "the executors " + executors + " of worker " + worker + " finished no task: " + tasks);
    }
    assertTrue(Files.isRegularFile(out.resolve(SavedModel.WEIGHTS)) && Files.isRegularFile(out.resolve(SavedModel.CARD)));
    return tasks;
  }
}

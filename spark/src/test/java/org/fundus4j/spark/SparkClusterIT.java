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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.transfer.LinearProbe;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.SmallCnn;
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
 * <p>The network is {@link SmallCnn} (32 px), given to {@code SparkTrainMain} as an {@code --init} model
 * folder: fine-tuning starts from the plain graph, linear probing from the graph frozen up to its pooling
 * layer by {@link LinearProbe#freeze}. ResNet-50 is not used here yet: on this cluster
 * ({@link SparkResNet50Benchmark}, quiet machine) its FT and LP at 64 px took 137 s together, with the driver at
 * 4.7 GB and each executor at up to 4.5 GB resident (3g heaps; see {@code spark/README.md}).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@ExtendWith(SharedCluster.class)
class SparkClusterIT {

  static final int SIZE = 32;
  static final List<String> TRAINING = List.of("--size", "" + SIZE, "--epochs", "3", "--batch", "4",
      "--averaging", "2", "--workers", "2", "--prefetch", "0", "--seed", "5", "--lr", "0.005");

  @TempDir
  static Path dir;
  static StandaloneCluster cluster;
  static Path train;
  static DataSet heldOut;

  @BeforeAll
  static void writeImages(StandaloneCluster shared) throws IOException {
    cluster = shared;
    train = ClusterFixtures.images(dir.resolve("train"), 48, 1);
    heldOut = ClusterFixtures.evaluationSet(ClusterFixtures.images(dir.resolve("held-out"), 24, 2), SIZE);
  }

  @Test
  void clientModeFineTunesOnBothWorkers() throws Exception {
    ComputationGraph start = SmallCnn.build(5, SIZE, 2);
    Path init = ClusterFixtures.startModel(dir.resolve("init-ft"), start, SIZE, "FT");
    Path out = dir.resolve("ft-model");

    Properties tasks = submitAndCheck("ft-client", "client", init, out);

    SavedModel trained = SavedModel.load(out);
    double before = start.score(heldOut);
    double after = trained.graph().score(heldOut);
    assertTrue(after < 0.8 * before, "held-out loss should fall by 20 % or more: " + before + " -> " + after);
    assertEquals(4, Files.readAllLines(out.resolve(SparkTrainMain.LOSS_FILE)).size());
    System.out.printf("SparkClusterIT FT client: held-out loss %.4f -> %.4f, tasks %s%n", before, after, tasks);
  }

  @Test
  void clusterModeLinearProbesOnBothWorkers() throws Exception {
    ComputationGraph frozen = LinearProbe.freeze(SmallCnn.build(6, SIZE, 2), "pool", new Adam(5e-2), 6);
    Path init = ClusterFixtures.startModel(dir.resolve("init-lp"), frozen, SIZE, "LP");
    Path out = dir.resolve("lp-model");

    Properties tasks = submitAndCheck("lp-cluster", "cluster", init, out);

    ComputationGraph trained = SavedModel.load(out).graph();
    assertEquals(frozen.getLayer("conv").params(), trained.getLayer("conv").params(),
        "the frozen convolution must not change");
    assertEquals(frozen.getLayer("bn").params(), trained.getLayer("bn").params(), "frozen BatchNorm must not change");
    double before = frozen.score(heldOut);
    double after = trained.score(heldOut);
    assertTrue(after < 0.9 * before, "held-out loss should fall by 10 % or more: " + before + " -> " + after);
    System.out.printf("SparkClusterIT LP cluster: held-out loss %.4f -> %.4f, tasks %s%n", before, after, tasks);
  }

  /**
   * Submits {@code SparkTrainMain}, waits for it, and checks what the cluster says: the application FINISHED
   * on the Master's {@code /json/}, each Worker's {@code /json/} lists an executor of it, and every one of
   * those executors finished tasks (the driver's {@link TaskSummaryListener}).
   */
  static Properties submitAndCheck(String name, String mode, Path init, Path out) throws Exception {
    int appsBefore = cluster.masterStatus().path("completedapps").size();
    Path summary = dir.resolve(name + "-tasks.properties");
    List<String> args = new ArrayList<>(List.of("--labels", train.toString(), "--output", out.toString(),
        "--init", init.toString()));
    args.addAll(TRAINING);
    StandaloneCluster.Submission job = cluster.submit(name, mode,
        Map.of(TaskSummaryListener.FILE_KEY, summary.toString()), List.of(), StandaloneCluster.jobJar(), args);
    int exit = job.await(Duration.ofMinutes(8));
    assertEquals(0, exit, "SparkSubmit failed:\n" + job.tail());

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

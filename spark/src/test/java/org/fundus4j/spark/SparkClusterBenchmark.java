package org.fundus4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fundus4j.transfer.SmallCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Measures, on a standalone cluster of this machine, images/s of a training epoch with 1 and with 2 Workers
 * and the cost of one parameter-averaging round. Not part of the test suite (no {@code IT} suffix); run with
 * {@code mvn -pl spark -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SparkClusterBenchmark}.
 *
 * <p>The epoch time is {@code SparkTraining}'s own ("Spark epoch 1/1 ... (N ms)", decoding and persisting
 * the epoch's images included), of the second epoch (the first also loads ND4J on fresh executors). The
 * round cost comes from two runs that differ only in {@code --averaging}: {@code (T(a=1) - T(a=A)) /
 * (rounds(1) - rounds(A))}. Numbers go to standard output; copy them to {@code benchmarks/results/spark-cluster.md}.
 */
class SparkClusterBenchmark {

  static final int IMAGES = 96;
  static final int SIZE = 32;
  static final int BATCH = 4;
  private static final Pattern EPOCH = Pattern.compile("Spark epoch 1/1: last averaged score \\S+ \\((\\d+) ms\\)");

  @Test
  void throughputWithOneAndTwoWorkersAndAveragingCost(@TempDir Path dir) throws Exception {
    Path train = ClusterFixtures.images(dir.resolve("train"), IMAGES, 1);
    Path init = ClusterFixtures.startModel(dir.resolve("init"), SmallCnn.build(5, SIZE, 2), SIZE, "FT");
    List<String> rows = new ArrayList<>();
    for (int workers : new int[] {1, 2}) {
      try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster-" + workers), workers, 1, "3g")) {
        for (int averaging : new int[] {1, IMAGES / (workers * BATCH)}) {
          long ms = epochMillis(cluster, dir, train, init, workers, averaging);
          int rounds = IMAGES / (workers * BATCH * averaging);
          rows.add(String.format(Locale.ROOT, "| %d | %d | %d | %.1f | %.1f |", workers, averaging, rounds,
              ms / 1000.0, IMAGES * 1000.0 / ms));
          System.out.println("SparkClusterBenchmark " + rows.get(rows.size() - 1));
        }
      }
    }
    System.out.println("| workers | averaging | rounds per epoch | epoch s | images/s |");
    System.out.println("|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static long epochMillis(StandaloneCluster cluster, Path dir, Path train, Path init, int workers,
      int averaging) throws Exception {
    String name = "bench-w" + workers + "-a" + averaging;
    List<String> args = List.of("--labels", train.toString(), "--output", dir.resolve(name).toString(),
        "--init", init.toString(), "--size", "" + SIZE, "--epochs", "2", "--batch", "" + BATCH,
        "--averaging", "" + averaging, "--workers", "" + workers, "--prefetch", "0", "--seed", "5");
    StandaloneCluster.Submission job = cluster.submit(name, "client", Map.of(), List.of(),
        StandaloneCluster.jobJar(), args);
    if (job.await(Duration.ofMinutes(10)) != 0) {
      throw new AssertionError(name + " failed:\n" + job.tail());
    }
    Matcher m = EPOCH.matcher(Files.readString(job.log()));
    long last = -1;
    while (m.find()) {
      last = Long.parseLong(m.group(1));
    }
    if (last < 0) {
      throw new AssertionError("no epoch time in " + job.log());
    }
    return last;
  }
}

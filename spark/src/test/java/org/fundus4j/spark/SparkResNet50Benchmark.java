package org.fundus4j.spark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.LinearProbe;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.learning.config.Adam;

/**
 * ResNet-50 at 64 px on a standalone cluster of this machine (Master, two Workers, a client-mode driver and two
 * executors, each a separate JVM): FT of the whole network, then LP of its result frozen up to the pooling layer,
 * 2 epochs each on a few synthetic images, with each process's peak resident memory ({@code VmHWM} of
 * {@code /proc/<pid>/status}) and heap setting, and the wall and epoch times. Not part of the test suite (no
 * {@code IT} suffix; the cluster tests keep the small CNN, see {@code spark/README.md}); run with
 * {@code mvn -pl spark -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SparkResNet50Benchmark}.
 *
 * <p>{@code VmHWM} is the kernel's own peak of each process, read every 200 ms while it runs; the last reading
 * before a process exits is reported, so a peak in its last 200 ms could be missed. Numbers go to standard
 * output; copy them to {@code benchmarks/results/spark-resnet50.md}.
 */
class SparkResNet50Benchmark {

  static final int SIZE = 64;
  static final int IMAGES = 20;
  static final String DRIVER_HEAP = "3g";
  static final String EXECUTOR_HEAP = "3g"; // 2g ran out of heap serialising a ~296 MB task result (2026-12-02)
  private static final Pattern EPOCH = Pattern.compile("Spark epoch 1/1: last averaged score \\S+ \\((\\d+) ms\\)");

  @Test
  void resNet50FineTunesAndLinearProbesOnTwoWorkers(@TempDir Path dir) throws Exception {
    Path train = ClusterFixtures.images(dir.resolve("train"), IMAGES, 1);
    Path ftInit = ClusterFixtures.startModel(dir.resolve("init-ft"), ResNet50.build(Head.linear(2), 5), SIZE, "FT");
    List<String> rows = new ArrayList<>();
    try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 2, 1, "4g")) {
      Path ftOut = dir.resolve("ft");
      rows.addAll(run(cluster, "resnet50-ft", train, ftInit, ftOut, "1e-4"));
      ComputationGraph frozen = LinearProbe.freeze(SavedModel.load(ftOut).graph(), ResNet50.FEATURES,
          new Adam(1e-3), 6);
      Path lpInit = ClusterFixtures.startModel(dir.resolve("init-lp"), frozen, SIZE, "LP");
      rows.addAll(run(cluster, "resnet50-lp", train, lpInit, dir.resolve("lp"), "1e-3"));
    }
    System.out.println("| job | process | heap (-Xmx) | peak RSS (VmHWM) MB |");
    System.out.println("|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static List<String> run(StandaloneCluster cluster, String name, Path train, Path init, Path out,
      String lr) throws Exception {
    List<String> args = List.of("--labels", train.toString(), "--output", out.toString(), "--init", init.toString(),
        "--size", "" + SIZE, "--epochs", "2", "--batch", "2", "--averaging", "2", "--workers", "2",
        "--prefetch", "0", "--seed", "5", "--lr", lr);
    Map<String, String> conf = Map.of("spark.driver.memory", DRIVER_HEAP, "spark.executor.memory", EXECUTOR_HEAP,
        "spark.driver.maxResultSize", "2g");
    long start = System.nanoTime();
    StandaloneCluster.Submission job = cluster.submit(name, "client", conf, List.of(), StandaloneCluster.jobJar(),
        args);
    Map<Long, Long> peaks = new ConcurrentHashMap<>();
    Map<Long, String> roles = new ConcurrentHashMap<>();
    Thread sampler = new Thread(() -> {
      while (job.process().isAlive()) {
        sample(job.process().toHandle(), "driver (SparkSubmit, client mode)", peaks, roles);
        for (int w = 0; w < cluster.size(); w++) {
          for (long pid : cluster.workerPids(w)) {
            ProcessHandle.of(pid).ifPresent(h -> {
              String cmd = h.info().commandLine().orElse("");
              if (cmd.contains("CoarseGrainedExecutorBackend")) {
                sample(h, "executor", peaks, roles);
              } else if (cmd.contains("deploy.worker.Worker")) {
                sample(h, "Worker", peaks, roles);
              }
            });
          }
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "rss-sampler");
    sampler.setDaemon(true);
    sampler.start();
    int exit = job.await(Duration.ofMinutes(40));
    sampler.interrupt();
    sampler.join();
    double wall = (System.nanoTime() - start) / 1e9;
    if (exit != 0) {
      throw new AssertionError(name + " failed (exit " + exit + "):\n" + job.tail());
    }
    String log = Files.readString(job.log());
    List<String> epochs = new ArrayList<>();
    Matcher m = EPOCH.matcher(log);
    while (m.find()) {
      epochs.add(String.format(Locale.ROOT, "%.1f s", Long.parseLong(m.group(1)) / 1000.0));
    }
    String losses = Files.readString(out.resolve(SparkTrainMain.LOSS_FILE), StandardCharsets.UTF_8).trim()
        .replace('\n', ' ');
    System.out.printf(Locale.ROOT, "SparkResNet50Benchmark %s: wall %.1f s (JVM starts included), epochs %s,"
        + " %s, model.zip %d MB%n", name, wall, epochs, losses, Files.size(out.resolve(SavedModel.WEIGHTS)) >> 20);
    List<String> rows = new ArrayList<>();
    Map<Long, String> ordered = new LinkedHashMap<>();
    roles.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> ordered.put(e.getKey(), e.getValue()));
    for (Map.Entry<Long, String> e : ordered.entrySet()) {
      String heap = e.getValue().startsWith("driver") ? DRIVER_HEAP : e.getValue().equals("executor") ? EXECUTOR_HEAP
          : "512m";
      rows.add(String.format(Locale.ROOT, "| %s | %s (pid %d) | %s | %d |", name, e.getValue(), e.getKey(), heap,
          peaks.get(e.getKey()) >> 10));
      System.out.println("SparkResNet50Benchmark " + rows.get(rows.size() - 1));
    }
    return rows;
  }

  /** Records the process's VmHWM (kB) under its pid. */
  private static void sample(ProcessHandle h, String role, Map<Long, Long> peaks, Map<Long, String> roles) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + h.pid() + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          long kb = Long.parseLong(line.replaceAll("\\D", ""));
          peaks.merge(h.pid(), kb, Math::max);
          roles.put(h.pid(), role);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended between listing and reading
    }
  }
}

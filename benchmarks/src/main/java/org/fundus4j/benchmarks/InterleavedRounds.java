package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * Times several engines on a noisy machine: every round runs each engine once in turn (the order rotated
 * from round to round), so a burst of load from other jobs hits all engines alike; results are medians
 * with their spread, and the load average is recorded before and after.
 *
 * <pre>{@code
 * var rounds = InterleavedRounds.run(List.of(
 *     new InterleavedRounds.Engine("onnxruntime", () -> { ort.apply(x); return 8; }),
 *     new InterleavedRounds.Engine("dl4j", () -> { dl4j.apply(x); return 8; })), 1, 5);
 * rounds.rate("onnxruntime");   // median images/s
 * }</pre>
 */
final class InterleavedRounds {
  /** One engine: {@code step} runs once and returns the number of images it processed. */
  record Engine(String name, IntSupplier step) {}

  /**
   * Images per second of every round, per engine, the process CPU seconds per image of every round (every thread
   * of the JVM, ONNX Runtime's and ND4J's native pools included), and the load averages around the run.
   */
  record Result(Map<String, List<Double>> rates, Map<String, List<Double>> cpuPerImage, String loadBefore,
      String loadAfter) {
    double rate(String engine) {
      return median(rates.get(engine));
    }

    /** {@code "median (min-max)"} seconds per step of {@code images} images, e.g. {@code "0.412 s (0.398-0.533)"}. */
    String secondsSummary(String engine, int images) {
      List<Double> r = rates.get(engine);
      return String.format(Locale.ROOT, "%.3f s (%.3f-%.3f)", images / median(r),
          images / r.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
          images / r.stream().mapToDouble(Double::doubleValue).min().orElseThrow());
    }

    /** {@code "median (min-max)"} images/s. */
    String summary(String engine) {
      List<Double> r = rates.get(engine);
      return String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", median(r),
          r.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
          r.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    /** {@code "median (min-max)"} milliseconds of process CPU time per image, e.g. {@code "812 ms (790-840)"}. */
    String cpuSummary(String engine) {
      List<Double> c = cpuPerImage.get(engine);
      return String.format(Locale.ROOT, "%.0f ms (%.0f-%.0f)", 1e3 * median(c),
          1e3 * c.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
          1e3 * c.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }

    /** Ratio of medians and the range of per-round ratios {@code a / b}, e.g. {@code "2.41x (2.10-2.77)"}. */
    String ratio(String a, String b) {
      List<Double> ra = rates.get(a);
      List<Double> rb = rates.get(b);
      List<Double> perRound = new ArrayList<>();
      for (int k = 0; k < ra.size(); k++) {
        perRound.add(ra.get(k) / rb.get(k));
      }
      return String.format(Locale.ROOT, "%.2fx (rounds %.2f-%.2f)", rate(a) / rate(b),
          perRound.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
          perRound.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
    }
  }

  private InterleavedRounds() {}

  static Result run(List<Engine> engines, int warmup, int rounds) {
    if (rounds < 1) {
      throw new IllegalArgumentException("Need at least one round, got " + rounds);
    }
    String before = loadAverage();
    for (Engine e : engines) {
      for (int k = 0; k < warmup; k++) {
        e.step().getAsInt();
      }
    }
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    engines.forEach(e -> rates.put(e.name(), new ArrayList<>()));
    engines.forEach(e -> cpu.put(e.name(), new ArrayList<>()));
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < engines.size(); k++) {
        Engine e = engines.get((r + k) % engines.size());
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        int images = e.step().getAsInt();
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpuStart) / 1e9;
        rates.get(e.name()).add(images / seconds);
        cpu.get(e.name()).add(cpuSeconds / images);
        System.out.printf(Locale.ROOT, "round %d %-12s %.2f images/s, %.0f ms CPU per image%n", r + 1, e.name(),
            images / seconds, 1e3 * cpuSeconds / images);
      }
    }
    return new Result(rates, cpu, before, loadAverage());
  }

  /** CPU time of the whole process so far (all threads, native ones included), in nanoseconds. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The 1-, 5- and 15-minute load averages from {@code /proc/loadavg}. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (v.length == 0) {
      throw new IllegalArgumentException("No values");
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}

package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.TrainingMemory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Peak RSS of one training step (or of {@code --steps N} steps on the same batch) of ResNet-50 + the paper's
 * head (Adam, 2 classes), DL4J vs PyTorch, each in its own child process so one engine's peak never hides the
 * other's: a child JVM ({@code -Xmx2g}, {@code OMP_NUM_THREADS} as given) and
 * {@code /usr/bin/python3 torch_train_memory.py}. Each reports its RSS once the model is built and its VmHWM
 * after the steps; the DL4J child also prints DL4J's memory report and
 * {@link TrainingMemory#stepBytes}, which is how {@link TrainingMemory#SAFETY_FACTOR} was calibrated. Engine
 * {@code estimate} trains nothing and prints the report and estimate only (for settings too large to run).
 *
 * <pre>{@code
 * OMP_NUM_THREADS=1 java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.TrainingMemoryBenchmark --settings 224:2,224:4,224:8 --out benchmarks/results
 * }</pre>
 */
public final class TrainingMemoryBenchmark {

  private static final Pattern LINE = Pattern.compile(
      "\"engine\": \"(\\w+)\", \"size\": (\\d+), \"batch\": (\\d+), \"rss_before\": (\\d+), \"hwm\": (\\d+)"
          + "(?:, \"report\": (\\d+), \"estimate\": (\\d+))?");

  /** One measurement of one engine. Bytes; -1 where not measured (report and estimate for PyTorch). */
  record Row(String engine, int size, int batch, long rssBefore, long hwm, long report, long estimate) {
    long step() {
      return hwm < 0 ? -1 : hwm - rssBefore;
    }
  }

  private TrainingMemoryBenchmark() {}

  /**
   * {@code --settings 224:2,224:4 [--engines dl4j,torch] [--threads 1] [--steps 1] [--out DIR]}, or
   * {@code --child SIZE BATCH STEPS}.
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 4 && args[0].equals("--child")) {
      child(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      return;
    }
    List<int[]> settings = new ArrayList<>();
    List<String> engines = List.of("dl4j", "torch");
    int threads = 1;
    int steps = 1;
    Path out = Path.of("benchmarks", "results");
    for (int i = 0; i < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--settings" -> {
          for (String s : value.split(",")) {
            String[] p = s.split(":");
            settings.add(new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])});
          }
        }
        case "--engines" -> engines = List.of(value.split(","));
        case "--threads" -> threads = Integer.parseInt(value);
        case "--steps" -> steps = Integer.parseInt(value);
        case "--out" -> out = Path.of(value);
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --settings SIZE:BATCH,... --engines dl4j,torch --threads N --steps N --out DIR");
      }
    }
    if (settings.isEmpty()) {
      throw new IllegalArgumentException("Give --settings SIZE:BATCH,... (e.g. 224:2,224:4,224:8)");
    }
    List<Row> rows = new ArrayList<>();
    for (int[] s : settings) {
      for (String engine : engines) {
        Row row = measure(engine, s[0], s[1], threads, steps);
        System.out.println(row);
        rows.add(row);
      }
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("training-memory-run.md"), markdown(rows, threads, args), StandardCharsets.UTF_8);
    System.out.println(markdown(rows, threads, args));
  }

  /** One step in this JVM; prints one JSON line. */
  private static void child(int size, int batch, int steps) {
    ComputationGraph net = ResNet50.build(Head.paper(2), 42, new Adam(1e-5));
    INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, 3, size, size);
    INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, 2);
    for (int i = 0; i < batch; i++) {
      y.putScalar(i, i % 2, 1);
    }
    long report = TrainingMemory.reportBytes(net.getConfiguration(), size, batch, true);
    long estimate = TrainingMemory.stepBytes(net.getConfiguration(), size, batch, true);
    long before = status("VmRSS");
    for (int i = 0; i < steps; i++) {
      net.fit(new DataSet(x, y));
    }
    System.out.printf(Locale.ROOT, "{\"engine\": \"dl4j\", \"size\": %d, \"batch\": %d, \"rss_before\": %d, "
        + "\"hwm\": %d, \"report\": %d, \"estimate\": %d, \"loss\": %.5f}%n", size, batch, before, status("VmHWM"),
        report, estimate, net.score());
  }

  private static Row measure(String engine, int size, int batch, int threads, int steps)
      throws IOException, InterruptedException {
    if (engine.equals("estimate")) {
      var conf = ResNet50.build(Head.paper(2), 42, new Adam(1e-5)).getConfiguration();
      return new Row(engine, size, batch, -1, -1, TrainingMemory.reportBytes(conf, size, batch, true),
          TrainingMemory.stepBytes(conf, size, batch, true));
    }
    List<String> cmd = engine.equals("dl4j")
        ? List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g", "-cp",
            System.getProperty("java.class.path"), TrainingMemoryBenchmark.class.getName(), "--child",
            Integer.toString(size), Integer.toString(batch), Integer.toString(steps))
        : List.of("/usr/bin/python3", script().toString(), Integer.toString(size), Integer.toString(batch),
            Integer.toString(threads), Integer.toString(steps));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    Matcher m = LINE.matcher(output);
    if (rc != 0 || !m.find()) {
      throw new IllegalStateException(engine + " at " + size + " px batch " + batch + " failed (exit " + rc
          + "): " + output.substring(Math.max(0, output.length() - 2000)));
    }
    return new Row(m.group(1), size, batch, Long.parseLong(m.group(4)), Long.parseLong(m.group(5)),
        m.group(6) == null ? -1 : Long.parseLong(m.group(6)), m.group(7) == null ? -1 : Long.parseLong(m.group(7)));
  }

  private static Path script() {
    Path fromRoot = Path.of("benchmarks", "src", "main", "python", "torch_train_memory.py");
    return Files.exists(fromRoot) ? fromRoot : Path.of("src", "main", "python", "torch_train_memory.py");
  }

  static long status(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/status", e);
    }
    throw new IllegalStateException("no " + field + " in /proc/self/status");
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "-" : Long.toString(bytes >> 20);
  }

  private static String markdown(List<Row> rows, int threads, String[] args) {
    StringBuilder sb = new StringBuilder();
    sb.append("Peak RSS of one training step, ResNet-50 + paper head, Adam, ").append(Instant.now())
        .append(", OMP threads ").append(threads).append(", args `").append(String.join(" ", args)).append("`\n\n")
        .append("| engine | size | batch | RSS before step (MiB) | peak RSS (MiB) | step adds (MiB) "
            + "| DL4J report (MiB) | added / report | estimate (MiB) |\n|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s | %s | %s |%n", r.engine(), r.size(),
          r.batch(), mib(r.rssBefore()), mib(r.hwm()), mib(r.step()), mib(r.report()),
          r.report() < 0 || r.step() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.step() / (double) r.report()),
          mib(r.estimate())));
    }
    return sb.toString();
  }
}

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
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryType;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.GradientAccumulation;
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
 * A setting {@code SIZE:BATCH:MICRO} runs the DL4J step as micro-batches of {@code MICRO} images
 * ({@link GradientAccumulation}); PyTorch always runs the whole batch. {@code --rounds N} interleaves the engines
 * round by round, one child at a time; {@code --need-gib G} waits before each child until {@code MemAvailable}
 * is at least G GiB (at most {@code --wait-minutes}), so a big step never pushes other processes into the OOM
 * killer.
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

  /**
   * One measurement of one engine. Bytes; -1 where not measured (report and estimate for PyTorch).
   *
   * @param micro images per forward/backward pass (DL4J with {@link GradientAccumulation}); the batch otherwise
   * @param load the load average when the child started
   */
  record Row(String engine, int size, int batch, int micro, long rssBefore, long hwm, long report, long estimate,
      String load) {
    long step() {
      return hwm < 0 ? -1 : hwm - rssBefore;
    }
  }

  /** System property of the DL4J child: its training and inference workspace mode (ENABLED, DL4J's default, or NONE). */
  static final String WORKSPACES = "fundus4j.bench.workspaces";

  private TrainingMemoryBenchmark() {}

  /**
   * {@code --settings 224:2,224:4 [--engines dl4j,torch] [--threads 1] [--steps 1] [--out DIR]}, or
   * {@code --child SIZE BATCH STEPS}.
   */
  public static void main(String[] args) throws Exception {
    if (args.length == 5 && args[0].equals("--child")) {
      child(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]),
          Integer.parseInt(args[4]));
      return;
    }
    List<int[]> settings = new ArrayList<>();
    List<String> engines = List.of("dl4j", "torch");
    int threads = 1;
    int steps = 1;
    int rounds = 1;
    double needGib = 0;
    int waitMinutes = 30;
    String workspaces = null;
    Path out = Path.of("benchmarks", "results");
    for (int i = 0; i < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--settings" -> {
          for (String s : value.split(",")) {
            String[] p = s.split(":");
            int batch = Integer.parseInt(p[1]);
            settings.add(new int[] {Integer.parseInt(p[0]), batch, p.length > 2 ? Integer.parseInt(p[2]) : batch});
          }
        }
        case "--engines" -> engines = List.of(value.split(","));
        case "--threads" -> threads = Integer.parseInt(value);
        case "--steps" -> steps = Integer.parseInt(value);
        case "--out" -> out = Path.of(value);
        case "--rounds" -> rounds = Integer.parseInt(value);
        case "--need-gib" -> needGib = Double.parseDouble(value);
        case "--wait-minutes" -> waitMinutes = Integer.parseInt(value);
        case "--dl4j-workspaces" -> workspaces = WorkspaceMode.valueOf(value).name();
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --settings SIZE:BATCH[:MICRO],... --engines dl4j,torch --threads N --steps N --rounds N "
            + "--need-gib G --wait-minutes M --dl4j-workspaces ENABLED|NONE --out DIR");
      }
    }
    if (engines.contains("breakdown")) {
      breakdown(settings);
      return;
    }
    if (settings.isEmpty()) {
      throw new IllegalArgumentException("Give --settings SIZE:BATCH,... (e.g. 224:2,224:4,224:8)");
    }
    List<Row> rows = new ArrayList<>();
    for (int[] s : settings) {
      for (int round = 0; round < rounds; round++) {
        for (String engine : engines) { // interleaved: one child of each engine per round, one child at a time
          if (!engine.equals("estimate") && !waitForMemory(needGib, waitMinutes)) {
            System.out.printf(Locale.ROOT, "%s %d px batch %d: not run, MemAvailable stayed below %.1f GiB for %d "
                + "minutes%n", engine, s[0], s[1], needGib, waitMinutes);
            continue;
          }
          Row row = measure(engine, s[0], s[1], s[2], threads, steps, workspaces);
          System.out.println(row);
          rows.add(row);
        }
      }
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("training-memory-run.md"), markdown(rows, threads, args), StandardCharsets.UTF_8);
    System.out.println(markdown(rows, threads, args));
  }

  /**
   * Engine {@code breakdown}: where DL4J's memory report puts one training step's bytes (per {@link MemoryType},
   * float32, no cache) at each setting's micro-batch; trains nothing.
   */
  private static void breakdown(List<int[]> settings) {
    var conf = ResNet50.build(Head.paper(2), 42, new Adam(1e-5)).getConfiguration();
    StringBuilder sb = new StringBuilder("| size | batch |");
    for (MemoryType t : MemoryType.values()) {
      sb.append(' ').append(t).append(" |");
    }
    sb.append(" total |\n");
    for (int[] s : settings) {
      MemoryReport report = conf.getMemoryReport(InputType.convolutional(s[0], s[0], 3));
      sb.append("| ").append(s[0]).append(" | ").append(s[2]).append(" |");
      for (MemoryType t : MemoryType.values()) {
        sb.append(' ').append(mib(report.getMemoryBytes(t, s[2], MemoryUseMode.TRAINING, CacheMode.NONE,
            org.nd4j.linalg.api.buffer.DataType.FLOAT))).append(" |");
      }
      sb.append(' ').append(mib(TrainingMemory.reportBytes(conf, s[0], s[2], true))).append(" |\n");
    }
    System.out.print(sb);
  }

  /**
   * Waits until the machine's {@code MemAvailable} reaches {@code gib} GiB (a big child must not push other
   * processes into the OOM killer), polling every 20 s for at most {@code minutes}; true when it did.
   */
  static boolean waitForMemory(double gib, int minutes) throws InterruptedException {
    long need = (long) (gib * (1L << 30));
    long deadline = System.nanoTime() + minutes * 60_000_000_000L;
    while (true) {
      long available = memAvailable();
      if (available >= need) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      System.out.printf(Locale.ROOT, "waiting: MemAvailable %.1f GiB < %.1f GiB%n", available / (double) (1L << 30),
          gib);
      Thread.sleep(20_000);
    }
  }

  private static long memAvailable() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/meminfo", e);
    }
    throw new IllegalStateException("no MemAvailable in /proc/meminfo");
  }

  /** One step in this JVM (micro-batches of {@code micro} when smaller than the batch); prints one JSON line. */
  private static void child(int size, int batch, int micro, int steps) {
    ComputationGraph net = ResNet50.build(Head.paper(2), 42, new Adam(1e-5));
    String workspaces = System.getProperty(WORKSPACES);
    if (workspaces != null) {
      net.getConfiguration().setTrainingWorkspaceMode(WorkspaceMode.valueOf(workspaces));
      net.getConfiguration().setInferenceWorkspaceMode(WorkspaceMode.valueOf(workspaces));
    }
    INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, 3, size, size);
    INDArray y = Nd4j.zeros(org.nd4j.linalg.api.buffer.DataType.FLOAT, batch, 2);
    for (int i = 0; i < batch; i++) {
      y.putScalar(i, i % 2, 1);
    }
    long report = TrainingMemory.reportBytes(net.getConfiguration(), size, micro, true);
    long estimate = TrainingMemory.stepBytes(net.getConfiguration(), size, micro, true);
    long before = status("VmRSS");
    for (int i = 0; i < steps; i++) {
      GradientAccumulation.step(net, new DataSet(x, y), micro);
    }
    System.out.printf(Locale.ROOT, "{\"engine\": \"dl4j\", \"size\": %d, \"batch\": %d, \"rss_before\": %d, "
        + "\"hwm\": %d, \"report\": %d, \"estimate\": %d, \"loss\": %.5f}%n", size, batch, before, status("VmHWM"),
        report, estimate, net.score());
  }

  private static Row measure(String engine, int size, int batch, int micro, int threads, int steps,
      String workspaces) throws IOException, InterruptedException {
    if (engine.equals("estimate")) {
      var conf = ResNet50.build(Head.paper(2), 42, new Adam(1e-5)).getConfiguration();
      return new Row(engine, size, batch, micro, -1, -1, TrainingMemory.reportBytes(conf, size, micro, true),
          TrainingMemory.stepBytes(conf, size, micro, true), InterleavedRounds.loadAverage());
    }
    String load = InterleavedRounds.loadAverage();
    // JavaCPP's default limit (4 x -Xmx = 8 GiB) would stop a step that needs more: the limit here is the machine
    List<String> cmd = engine.equals("dl4j")
        ? List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
            "-Dorg.bytedeco.javacpp.maxphysicalbytes=22g",
            "-D" + WORKSPACES + "=" + (workspaces == null ? "ENABLED" : workspaces), "-cp",
            System.getProperty("java.class.path"), TrainingMemoryBenchmark.class.getName(), "--child",
            Integer.toString(size), Integer.toString(batch), Integer.toString(micro), Integer.toString(steps))
        : List.of("/usr/bin/python3", script().toString(), Integer.toString(size), Integer.toString(batch),
            Integer.toString(threads), Integer.toString(steps));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
    Process p = pb.start();
    Thread stopChild = new Thread(p::destroyForcibly); // a killed benchmark must not leave a big child running
    Runtime.getRuntime().addShutdownHook(stopChild);
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    Runtime.getRuntime().removeShutdownHook(stopChild);
    Matcher m = LINE.matcher(output);
    if (rc != 0 || !m.find()) {
      throw new IllegalStateException(engine + " at " + size + " px batch " + batch + " failed (exit " + rc
          + "): " + output.substring(Math.max(0, output.length() - 2000)));
    }
    return new Row(m.group(1), size, batch, engine.equals("dl4j") ? micro : batch, Long.parseLong(m.group(4)),
        Long.parseLong(m.group(5)), m.group(6) == null ? -1 : Long.parseLong(m.group(6)),
        m.group(7) == null ? -1 : Long.parseLong(m.group(7)), load);
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
        .append("| engine | size | batch | micro-batch | RSS before step (MiB) | peak RSS (MiB) | step adds (MiB) "
            + "| DL4J report of the micro-batch (MiB) | added / report | estimate (MiB) | load average |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %s | %s | %s | %s | %s | %s | %s |%n", r.engine(),
          r.size(), r.batch(), r.micro(), mib(r.rssBefore()), mib(r.hwm()), mib(r.step()), mib(r.report()),
          r.report() < 0 || r.step() < 0 ? "-" : String.format(Locale.ROOT, "%.2f", r.step() / (double) r.report()),
          mib(r.estimate()), r.load()));
    }
    return sb.toString();
  }
}

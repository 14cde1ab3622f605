package org.fundus4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.Dl4jBackend;
import org.fundus4j.networks.inference.InferenceBackend;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ResNet-50 inference throughput of every engine in one run: DL4J, ONNX Runtime on our
 * {@link OnnxExporter} export, ONNX Runtime on torchvision's own {@code torch.onnx.export}, and
 * PyTorch; plus one training step DL4J vs PyTorch.
 *
 * <p>Each engine does {@code warmup} untimed steps, then the median of {@code repeats} timed ones
 * is reported as seconds per batch and images/s. PyTorch runs in a child {@code /usr/bin/python3}
 * ({@code torch_backends_bench.py}) with the same thread count, before the JVM engines start, so
 * the engines never compete for the cores. ND4J's thread count is its own (set
 * {@code OMP_NUM_THREADS} to pin it). The markdown table and the machine description go to
 * {@code inference-backends.md} in the output folder and to standard output.
 *
 * <pre>{@code
 * mvn -B -q -pl networks,benchmarks install -DskipTests
 * java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.InferenceBackendBenchmark --threads 2 --repeats 5 --out benchmarks/results
 * }</pre>
 * This is a benchmark, not a test: nothing here runs during {@code mvn install}.
 */
public final class InferenceBackendBenchmark {

  /** One input configuration: square size in pixels and batch size. */
  public record Shape(int size, int batch) {
    public Shape {
      if (size < 32 || size % 32 != 0 || batch < 1) {
        throw new IllegalArgumentException("Shape needs size >= 32 divisible by 32 and batch >= 1, got "
            + size + "x" + batch);
      }
    }

    /** Parses {@code 224:8}. */
    public static Shape parse(String text) {
      String[] p = text.split(":");
      if (p.length != 2) {
        throw new IllegalArgumentException("Shape must look like 224:8, got '" + text + "'");
      }
      return new Shape(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }

    @Override
    public String toString() {
      return size + " px, batch " + batch;
    }
  }

  /** Benchmark settings; {@code trainRepeats = 0} skips the training step. */
  public record Config(List<Shape> shapes, int threads, int warmup, int repeats, int trainRepeats,
      boolean torch, Path outDir) {
    public Config {
      shapes = List.copyOf(shapes);
      if (threads < 1 || warmup < 0 || repeats < 1 || trainRepeats < 0) {
        throw new IllegalArgumentException("Need threads >= 1, warmup >= 0, repeats >= 1, trainRepeats >= 0; got "
            + threads + ", " + warmup + ", " + repeats + ", " + trainRepeats);
      }
    }

    /** The shapes (224 px batch 8, 512 px batch 2), 2 threads, median of 5 (training: of 3). */
    public static Config standard(Path outDir) {
      return new Config(List.of(new Shape(224, 8), new Shape(512, 2)), 2, 1, 5, 3, true, outDir);
    }
  }

  /** Median seconds per batch of one engine on one shape (NaN if not measured). */
  public record Timing(String engine, String task, Shape shape, double seconds) {
    public double imagesPerSecond() {
      return shape.batch() / seconds;
    }
  }

  static final String DL4J = "DL4J";
  static final String ORT_OURS = "ONNX Runtime (fundus4j export)";
  static final String ORT_TORCHVISION = "ONNX Runtime (torchvision export)";
  static final String TORCH = "PyTorch";

  private static final Pattern JSON_SECONDS = Pattern.compile(
      "\"mode\": \"(\\w+)\", \"size\": (\\d+), \"batch\": (\\d+).*\"seconds\": \\[([^\\]]*)\\], \"torch\": \"([^\"]*)\"");

  private InferenceBackendBenchmark() {}

  /** Runs the benchmark and writes {@code inference-backends.md}; returns every timing. */
  public static List<Timing> run(Config config) throws IOException, InterruptedException {
    double loadAtStart = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    Files.createDirectories(config.outDir());
    List<Timing> timings = new ArrayList<>();
    Path torchvisionOnnx = config.outDir().resolve("resnet50-torchvision.onnx");
    String torchVersion = "not run";
    if (config.torch()) {
      torchVersion = runTorch(config, torchvisionOnnx, timings);
    }

    ComputationGraph net = ResNet50.build(Head.linear(2), 0);
    Path oursOnnx = config.outDir().resolve("resnet50-fundus4j.onnx");
    OnnxExporter.export(net, oursOnnx);

    for (Shape s : config.shapes()) {
      INDArray x = Nd4j.randn(DataType.FLOAT, s.batch(), 3, s.size(), s.size());
      OnnxRuntimeBackend.Options ort = OnnxRuntimeBackend.Options.defaults()
          .withIntraOpThreads(config.threads()).withBatchSize(s.batch());
      try (InferenceBackend b = new OnnxRuntimeBackend(oursOnnx, ort)) {
        timings.add(time(ORT_OURS, "inference", s, config.warmup(), config.repeats(), () -> b.predict(x)));
      }
      if (config.torch() && Files.exists(torchvisionOnnx)) {
        try (InferenceBackend b = new OnnxRuntimeBackend(torchvisionOnnx, ort)) {
          timings.add(time(ORT_TORCHVISION, "inference", s, config.warmup(), config.repeats(), () -> b.predict(x)));
        }
      }
      try (InferenceBackend b = new Dl4jBackend(net, s.batch())) {
        timings.add(time(DL4J, "inference", s, config.warmup(), config.repeats(), () -> b.predict(x)));
      }
    }
    if (config.trainRepeats() > 0) {
      for (Shape s : config.shapes()) {
        INDArray x = Nd4j.randn(DataType.FLOAT, s.batch(), 3, s.size(), s.size());
        INDArray y = Nd4j.zeros(DataType.FLOAT, s.batch(), 2);
        for (int i = 0; i < s.batch(); i++) {
          y.putScalar(i, i % 2, 1.0);
        }
        DataSet batch = new DataSet(x, y);
        timings.add(time(DL4J, "training step", s, config.warmup(), config.trainRepeats(), () -> net.fit(batch)));
      }
    }
    String md = markdown(timings, config, torchVersion, loadAtStart);
    Files.writeString(config.outDir().resolve("inference-backends.md"), md);
    return timings;
  }

  /** {@code --threads N --warmup N --repeats N --train-repeats N --shapes 224:8,512:2 --no-torch --out DIR}. */
  public static void main(String[] args) throws Exception {
    Config d = Config.standard(Path.of("benchmarks", "results"));
    List<Shape> shapes = d.shapes();
    int threads = d.threads();
    int warmup = d.warmup();
    int repeats = d.repeats();
    int trainRepeats = d.trainRepeats();
    boolean torch = d.torch();
    Path out = d.outDir();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--train-repeats" -> trainRepeats = Integer.parseInt(args[++i]);
        case "--shapes" -> shapes = Arrays.stream(args[++i].split(",")).map(Shape::parse).toList();
        case "--no-torch" -> torch = false;
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --threads --warmup --repeats --train-repeats --shapes --no-torch --out");
      }
    }
    Config config = new Config(shapes, threads, warmup, repeats, trainRepeats, torch, out);
    List<Timing> timings = run(config);
    System.out.print(Files.readString(config.outDir().resolve("inference-backends.md")));
    System.out.flush();
    System.exit(timings.isEmpty() ? 1 : 0);
  }

  private static Timing time(String engine, String task, Shape s, int warmup, int repeats, Runnable step) {
    for (int i = 0; i < warmup; i++) {
      step.run();
    }
    List<Double> seconds = new ArrayList<>();
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      step.run();
      seconds.add((System.nanoTime() - t0) / 1e9);
    }
    Timing t = new Timing(engine, task, s, median(seconds));
    System.err.printf(Locale.ROOT, "%-34s %-13s %-16s median %.3f s of %s%n", engine, task, s, t.seconds(),
        seconds.stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList());
    return t;
  }

  private static String runTorch(Config config, Path onnxOut, List<Timing> timings)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", script().toString(),
        String.valueOf(config.threads()), String.valueOf(config.warmup()), String.valueOf(config.repeats()),
        String.valueOf(Math.max(1, config.trainRepeats())), onnxOut.toString()));
    for (Shape s : config.shapes()) {
      cmd.add("infer:" + s.size() + ":" + s.batch());
    }
    if (config.trainRepeats() > 0) {
      for (Shape s : config.shapes()) {
        cmd.add("train:" + s.size() + ":" + s.batch());
      }
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder all = new StringBuilder();
    String version = "?";
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        all.append(line).append('\n');
        Matcher m = JSON_SECONDS.matcher(line);
        if (m.find()) {
          List<Double> seconds = Arrays.stream(m.group(4).split(",")).map(String::trim)
              .map(Double::parseDouble).toList();
          Shape s = new Shape(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
          String task = m.group(1).equals("infer") ? "inference" : "training step";
          timings.add(new Timing(TORCH, task, s, median(seconds)));
          System.err.printf(Locale.ROOT, "%-34s %-13s %-16s median %.3f s of %s%n", TORCH, task, s,
              median(seconds), seconds);
          version = m.group(5);
        }
      }
    }
    if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("PyTorch benchmark failed (" + String.join(" ", cmd) + "):\n" + all);
    }
    return version;
  }

  static Path script() {
    Path fromRoot = Path.of("benchmarks", "src", "main", "python", "torch_backends_bench.py");
    return Files.exists(fromRoot) ? fromRoot : Path.of("src", "main", "python", "torch_backends_bench.py");
  }

  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static String markdown(List<Timing> timings, Config config, String torchVersion, double loadAtStart) {
    Map<String, Map<String, Timing>> rows = new LinkedHashMap<>();
    List<String> columns = new ArrayList<>();
    for (Timing t : timings) {
      String row = t.task() + ", " + t.shape();
      rows.computeIfAbsent(row, k -> new LinkedHashMap<>()).put(t.engine(), t);
    }
    for (String e : List.of(DL4J, ORT_OURS, ORT_TORCHVISION, TORCH)) {
      if (timings.stream().anyMatch(t -> t.engine().equals(e))) {
        columns.add(e);
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("ResNet-50 (torchvision layout, 2 classes), ").append(Instant.now()).append("\n\n")
        .append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
        .append(cpuModel()).append(", 1-min load average at start ")
        .append(String.format(Locale.ROOT, "%.1f at end %.1f", loadAtStart,
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()))
        .append("; Java ").append(System.getProperty("java.version")).append(", DL4J/ND4J 1.0.0-M2.1 (")
        .append(Nd4j.getBackend().getClass().getSimpleName()).append("), ONNX Runtime ")
        .append(ortVersion()).append(", PyTorch ").append(torchVersion).append(".\n")
        .append("Threads ").append(config.threads()).append(" (ONNX Runtime intra-op, PyTorch set_num_threads; ND4J: ")
        .append(System.getenv().getOrDefault("OMP_NUM_THREADS", "default")).append("), warmup ")
        .append(config.warmup()).append(", median of ").append(config.repeats()).append(" (training: ")
        .append(config.trainRepeats()).append("). Cells: seconds per batch (images/s).\n\n");
    sb.append("| task |");
    columns.forEach(c -> sb.append(' ').append(c).append(" |"));
    if (columns.contains(ORT_OURS) && columns.contains(ORT_TORCHVISION)) {
      sb.append(" ours / torchvision export |");
    }
    if (columns.contains(ORT_OURS) && columns.contains(TORCH)) {
      sb.append(" ORT (ours) vs PyTorch |");
    }
    if (columns.contains(DL4J) && columns.contains(TORCH)) {
      sb.append(" DL4J / PyTorch time |");
    }
    sb.append("\n|---|");
    int extra = (columns.contains(ORT_OURS) && columns.contains(ORT_TORCHVISION) ? 1 : 0)
        + (columns.contains(ORT_OURS) && columns.contains(TORCH) ? 1 : 0)
        + (columns.contains(DL4J) && columns.contains(TORCH) ? 1 : 0);
    sb.append("---|".repeat(columns.size() + extra)).append('\n');
    for (Map.Entry<String, Map<String, Timing>> row : rows.entrySet()) {
      Map<String, Timing> cells = row.getValue();
      sb.append("| ").append(row.getKey()).append(" |");
      for (String c : columns) {
        Timing t = cells.get(c);
        sb.append(t == null ? " — |" : String.format(Locale.ROOT, " %.3f s (%.1f img/s) |", t.seconds(),
            t.imagesPerSecond()));
      }
      if (columns.contains(ORT_OURS) && columns.contains(ORT_TORCHVISION)) {
        sb.append(ratio(cells.get(ORT_TORCHVISION), cells.get(ORT_OURS), "%.0f %% of throughput", 100));
      }
      if (columns.contains(ORT_OURS) && columns.contains(TORCH)) {
        sb.append(ratio(cells.get(TORCH), cells.get(ORT_OURS), "%.2fx faster", 1));
      }
      if (columns.contains(DL4J) && columns.contains(TORCH)) {
        sb.append(ratio(cells.get(DL4J), cells.get(TORCH), "%.2f", 1));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** {@code a.seconds / b.seconds} formatted, or a dash if either is missing. */
  private static String ratio(Timing a, Timing b, String format, double factor) {
    if (a == null || b == null) {
      return " — |";
    }
    return " " + String.format(Locale.ROOT, format, factor * a.seconds() / b.seconds()) + " |";
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }

  private static String ortVersion() {
    Package p = ai.onnxruntime.OrtEnvironment.class.getPackage();
    return p.getImplementationVersion() == null ? "?" : p.getImplementationVersion();
  }
}

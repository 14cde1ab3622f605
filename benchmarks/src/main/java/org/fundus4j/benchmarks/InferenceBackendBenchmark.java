package org.fundus4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 * <p>The engines are interleaved round by round ({@link InterleavedRounds}): for each task and shape, every
 * round runs one step of each engine in turn, so a burst of load from other jobs on a shared machine hits
 * all of them alike. PyTorch runs in one child {@code /usr/bin/python3} ({@code torch_backends_bench.py})
 * that does one step per request, so it takes its turn like the JVM engines and never runs beside them.
 * Reported: the median seconds per batch with the fastest and slowest round, ratios of medians with the
 * range of per-round ratios, and the load average before and after each row. ND4J's thread count is its
 * own (set {@code OMP_NUM_THREADS} to pin it). The table goes to {@code inference-backends.md} in the
 * output folder, with the command, and to standard output.
 *
 * <pre>{@code
 * mvn -B -q -pl benchmarks -am package -DskipTests
 * OMP_NUM_THREADS=2 java -Xmx3g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.InferenceBackendBenchmark --threads 2 --rounds 5 --out benchmarks/results
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

  /** Benchmark settings; {@code trainRounds = 0} skips the training step. */
  public record Config(List<Shape> shapes, int threads, int warmup, int rounds, int trainRounds,
      boolean torch, Path outDir) {
    public Config {
      shapes = List.copyOf(shapes);
      if (threads < 1 || warmup < 0 || rounds < 1 || trainRounds < 0) {
        throw new IllegalArgumentException("Need threads >= 1, warmup >= 0, rounds >= 1, trainRounds >= 0; got "
            + threads + ", " + warmup + ", " + rounds + ", " + trainRounds);
      }
    }

    /** The shapes (224 px batch 8, 512 px batch 2), 2 threads, 1 warm-up, 5 rounds (training: 3). */
    public static Config standard(Path outDir) {
      return new Config(List.of(new Shape(224, 8), new Shape(512, 2)), 2, 1, 5, 3, true, outDir);
    }
  }

  /** One table row: a task at one shape, the engines' interleaved rounds. */
  public record Row(String task, Shape shape, InterleavedRounds.Result rounds) {}

  static final String DL4J = "DL4J";
  static final String ORT_OURS = "ONNX Runtime (fundus4j export)";
  static final String ORT_TORCHVISION = "ONNX Runtime (torchvision export)";
  static final String TORCH = "PyTorch";

  private static final Pattern JSON_SECONDS = Pattern.compile("\"seconds\": ([0-9.eE+-]+)");
  private static final Pattern JSON_TORCH = Pattern.compile("\"torch\": \"([^\"]*)\"");

  private InferenceBackendBenchmark() {}

  /** Runs the benchmark and writes {@code inference-backends.md}; returns every row. */
  public static List<Row> run(Config config, String command) throws IOException {
    Files.createDirectories(config.outDir());
    List<Row> rows = new ArrayList<>();
    Path torchvisionOnnx = config.outDir().resolve("resnet50-torchvision.onnx");
    ComputationGraph net = ResNet50.build(Head.linear(2), 0);
    Path oursOnnx = config.outDir().resolve("resnet50-fundus4j.onnx");
    OnnxExporter.export(net, oursOnnx);
    try (TorchChild torch = config.torch() ? new TorchChild(config.threads(), torchvisionOnnx) : null) {
      for (Shape s : config.shapes()) {
        INDArray x = Nd4j.randn(DataType.FLOAT, s.batch(), 3, s.size(), s.size());
        OnnxRuntimeBackend.Options ort = OnnxRuntimeBackend.Options.defaults()
            .withIntraOpThreads(config.threads()).withBatchSize(s.batch());
        try (InferenceBackend ours = new OnnxRuntimeBackend(oursOnnx, ort);
             InferenceBackend theirs = torch != null ? new OnnxRuntimeBackend(torchvisionOnnx, ort) : null;
             InferenceBackend dl4j = new Dl4jBackend(net, s.batch())) {
          List<InterleavedRounds.Engine> engines = new ArrayList<>();
          engines.add(engine(DL4J, s, () -> dl4j.predict(x)));
          engines.add(engine(ORT_OURS, s, () -> ours.predict(x)));
          if (torch != null) {
            engines.add(engine(ORT_TORCHVISION, s, () -> theirs.predict(x)));
            engines.add(engine(TORCH, s, () -> torch.step("infer", s)));
          }
          System.out.println("inference, " + s);
          rows.add(new Row("inference", s, InterleavedRounds.run(engines, config.warmup(), config.rounds())));
        }
      }
      if (config.trainRounds() > 0) {
        for (Shape s : config.shapes()) {
          INDArray x = Nd4j.randn(DataType.FLOAT, s.batch(), 3, s.size(), s.size());
          INDArray y = Nd4j.zeros(DataType.FLOAT, s.batch(), 2);
          for (int i = 0; i < s.batch(); i++) {
            y.putScalar(i, i % 2, 1.0);
          }
          DataSet batch = new DataSet(x, y);
          List<InterleavedRounds.Engine> engines = new ArrayList<>();
          engines.add(engine(DL4J, s, () -> net.fit(batch)));
          if (torch != null) {
            engines.add(engine(TORCH, s, () -> torch.step("train", s)));
          }
          System.out.println("training step, " + s);
          rows.add(new Row("training step", s, InterleavedRounds.run(engines, config.warmup(), config.trainRounds())));
        }
      }
      String md = markdown(rows, config, torch == null ? "not run" : torch.version, command);
      Files.writeString(config.outDir().resolve("inference-backends.md"), md);
    }
    return rows;
  }

  private static InterleavedRounds.Engine engine(String name, Shape s, Runnable step) {
    return new InterleavedRounds.Engine(name, () -> {
      step.run();
      return s.batch();
    });
  }

  /** {@code --threads N --warmup N --rounds N --train-rounds N --shapes 224:8,512:2 --no-torch --out DIR}. */
  public static void main(String[] args) throws Exception {
    Config d = Config.standard(Path.of("benchmarks", "results"));
    BenchmarkArgs a = BenchmarkArgs.parse(InferenceBackendBenchmark.class, args, "threads=" + d.threads(),
        "warmup=" + d.warmup(), "rounds=" + d.rounds(), "train-rounds=" + d.trainRounds(), "shapes=224:8,512:2",
        "out=" + d.outDir(), "no-torch");
    Config config = new Config(a.list("shapes").stream().map(Shape::parse).toList(), a.integer("threads"),
        a.integer("warmup"), a.integer("rounds"), a.integer("train-rounds"), !a.flag("no-torch"), a.path("out"));
    List<Row> rows = run(config, "OMP_NUM_THREADS=" + System.getenv().getOrDefault("OMP_NUM_THREADS", "(unset)")
        + " " + a.command());
    System.out.print(Files.readString(config.outDir().resolve("inference-backends.md")));
    System.out.flush();
    System.exit(rows.isEmpty() ? 1 : 0);
  }

  /** torchvision's ResNet-50 in one {@code /usr/bin/python3} child that runs one step per request. */
  private static final class TorchChild implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final java.io.Writer in;
    private final String version;

    TorchChild(int threads, Path onnxOut) throws IOException {
      process = new ProcessBuilder("/usr/bin/python3", script().toString(), String.valueOf(threads),
          onnxOut.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      String line = reply();
      Matcher m = JSON_TORCH.matcher(line);
      version = m.find() ? m.group(1) : "?";
    }

    void step(String mode, Shape s) {
      try {
        in.write(mode + ":" + s.size() + ":" + s.batch() + "\n");
        in.flush();
        String line = reply();
        if (!JSON_SECONDS.matcher(line).find()) {
          throw new IllegalStateException("PyTorch child answered '" + line + "'");
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("PyTorch child failed on " + mode + " " + s, e);
      }
    }

    private String reply() throws IOException {
      String line = out.readLine();
      if (line == null) {
        throw new IOException("PyTorch child (" + script() + ") ended; see its messages above");
      }
      return line;
    }

    @Override
    public void close() throws IOException {
      in.close();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  static Path script() {
    Path fromRoot = Path.of("benchmarks", "src", "main", "python", "torch_backends_bench.py");
    return Files.exists(fromRoot) ? fromRoot : Path.of("src", "main", "python", "torch_backends_bench.py");
  }

  static String markdown(List<Row> rows, Config config, String torchVersion, String command) {
    List<String> columns = new ArrayList<>();
    for (String e : List.of(DL4J, ORT_OURS, ORT_TORCHVISION, TORCH)) {
      if (rows.stream().anyMatch(r -> r.rounds().rates().containsKey(e))) {
        columns.add(e);
      }
    }
    StringBuilder sb = new StringBuilder();
    sb.append("# ResNet-50 (torchvision layout, 2 classes) in every engine, interleaved round by round (")
        .append(Instant.now()).append(")\n\n")
        .append("Command: `").append(command).append("` (after `mvn -B -q -pl benchmarks -am package -DskipTests`).\n\n")
        .append("Machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
        .append(cpuModel()).append("; Java ").append(System.getProperty("java.version"))
        .append(", DL4J/ND4J 1.0.0-M2.1 (").append(Nd4j.getBackend().getClass().getSimpleName())
        .append("), ONNX Runtime ").append(ortVersion()).append(", PyTorch ").append(torchVersion).append(".\n")
        .append("Threads ").append(config.threads()).append(" (ONNX Runtime intra-op, PyTorch set_num_threads; ND4J: ")
        .append(System.getenv().getOrDefault("OMP_NUM_THREADS", "its default")).append("). Per row: ")
        .append(config.warmup()).append(" warm-up step(s) per engine, then ").append(config.rounds())
        .append(" rounds (training: ").append(config.trainRounds()).append("), each running every engine once in")
        .append(" turn, the order rotated. Cells: median seconds per batch (fastest-slowest round); ratios: of the")
        .append(" medians (range of the per-round ratios).\n\n");
    sb.append("| task |");
    columns.forEach(c -> sb.append(' ').append(c).append(" |"));
    List<String[]> ratios = new ArrayList<>();
    if (columns.contains(ORT_OURS) && columns.contains(ORT_TORCHVISION)) {
      ratios.add(new String[] {"ours / torchvision export, images/s", ORT_OURS, ORT_TORCHVISION});
    }
    if (columns.contains(ORT_OURS) && columns.contains(TORCH)) {
      ratios.add(new String[] {"ORT (ours) / PyTorch, images/s", ORT_OURS, TORCH});
    }
    if (columns.contains(DL4J) && columns.contains(TORCH)) {
      ratios.add(new String[] {"DL4J / PyTorch, time", TORCH, DL4J});
    }
    ratios.forEach(r -> sb.append(' ').append(r[0]).append(" |"));
    sb.append(" load average before / after |\n|---|");
    sb.append("---|".repeat(columns.size() + ratios.size() + 1)).append('\n');
    for (Row row : rows) {
      InterleavedRounds.Result r = row.rounds();
      sb.append("| ").append(row.task()).append(", ").append(row.shape()).append(" |");
      for (String c : columns) {
        sb.append(r.rates().containsKey(c) ? " " + r.secondsSummary(c, row.shape().batch()) + " |" : " — |");
      }
      for (String[] q : ratios) {
        sb.append(r.rates().containsKey(q[1]) && r.rates().containsKey(q[2]) ? " " + r.ratio(q[1], q[2]) + " |" : " — |");
      }
      sb.append(' ').append(r.loadBefore()).append(" / ").append(r.loadAfter()).append(" |\n");
    }
    return sb.toString();
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

package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Times our ResNet-50 (DL4J) and torchvision's (PyTorch) on the same machine in the same run.
 *
 * <p>For each case (inference or one training step, input size, batch) PyTorch runs first in a child
 * {@code /usr/bin/python3} process with the same thread count, then DL4J in this JVM; each side does
 * {@code warmup} untimed steps and reports the median of {@code repeats} timed ones. Training is Adam
 * (lr 1e-5, weight decay 1e-5) on a 2-class cross-entropy, as in the paper. Results go to
 * {@code resnet50-benchmark.md} and {@code .csv} in the output folder.
 *
 * <pre>{@code
 * benchmarks/run-benchmark.sh            # 224 px batch 8 and 512 px batch 2, inference and training
 * }</pre>
 */
public final class ResNet50Benchmark {
  /** What is timed. */
  public enum Mode { INFER, TRAIN }

  /** One measurement: mode, square input size in pixels, batch size. */
  public record Case(Mode mode, int size, int batch) {
    public Case {
      if (size <= 0 || size % 32 != 0 || batch <= 0) {
        throw new IllegalArgumentException("Benchmark case needs a positive size divisible by 32 and a positive "
            + "batch, got size " + size + ", batch " + batch);
      }
    }

    /** Parses {@code infer:224:8} or {@code train:512:2}. */
    public static Case parse(String text) {
      String[] p = text.split(":");
      if (p.length != 3) {
        throw new IllegalArgumentException("Benchmark case must look like train:224:8, got '" + text + "'");
      }
      return new Case(Mode.valueOf(p[0].toUpperCase(Locale.ROOT)), Integer.parseInt(p[1]), Integer.parseInt(p[2]));
    }

    @Override
    public String toString() {
      return mode.name().toLowerCase(Locale.ROOT) + " " + size + " px batch " + batch;
    }
  }

  /** Benchmark settings. */
  public record Config(List<Case> cases, int warmup, int repeats, int threads, Path torchScript, Path outDir) {
    public Config {
      cases = List.copyOf(cases);
      if (repeats < 1 || warmup < 0 || threads < 1) {
        throw new IllegalArgumentException("Need repeats >= 1, warmup >= 0, threads >= 1; got " + repeats + ", "
            + warmup + ", " + threads);
      }
    }

    /** The cases: inference and one training step at 224 px batch 8 and 512 px batch 2. */
    public static Config standard(Path torchScript, Path outDir) {
      return new Config(List.of(new Case(Mode.INFER, 224, 8), new Case(Mode.TRAIN, 224, 8),
          new Case(Mode.INFER, 512, 2), new Case(Mode.TRAIN, 512, 2)), 1, 3,
          Runtime.getRuntime().availableProcessors(), torchScript, outDir);
    }
  }

  /** Median seconds per step on each side; {@link #ratio()} is DL4J time over PyTorch time. */
  public record Result(Case benchmarkCase, double dl4jSeconds, double torchSeconds, String torchVersion) {
    public double ratio() {
      return dl4jSeconds / torchSeconds;
    }
  }

  private static final Pattern SECONDS = Pattern.compile("\"seconds\":\\s*\\[([^\\]]*)\\]");
  private static final Pattern VERSION = Pattern.compile("\"torch\":\\s*\"([^\"]*)\"");

  private ResNet50Benchmark() {}

  /** Runs every case and writes the result tables; returns the results. */
  public static List<Result> run(Config config) throws IOException, InterruptedException {
    List<Result> results = new ArrayList<>();
    for (Case c : config.cases()) {
      String torchJson = runTorch(config, c);
      double torch = median(parseSeconds(torchJson));
      Matcher v = VERSION.matcher(torchJson);
      double dl4j = median(timeDl4j(c, config.warmup(), config.repeats()));
      results.add(new Result(c, dl4j, torch, v.find() ? v.group(1) : "?"));
    }
    Files.createDirectories(config.outDir());
    Files.writeString(config.outDir().resolve("resnet50-benchmark.md"), markdown(results, config));
    Files.writeString(config.outDir().resolve("resnet50-benchmark.csv"), csv(results));
    return results;
  }

  /** {@code --out DIR --warmup N --repeats N --threads N --cases train:224:8,infer:512:2 --torch-script FILE}. */
  public static void main(String[] args) throws Exception {
    Config c = Config.standard(defaultScript(), Path.of("benchmarks", "results"));
    List<Case> cases = c.cases();
    int warmup = c.warmup();
    int repeats = c.repeats();
    int threads = c.threads();
    Path script = c.torchScript();
    Path out = c.outDir();
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--out" -> out = Path.of(args[i + 1]);
        case "--warmup" -> warmup = Integer.parseInt(args[i + 1]);
        case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
        case "--threads" -> threads = Integer.parseInt(args[i + 1]);
        case "--torch-script" -> script = Path.of(args[i + 1]);
        case "--cases" -> cases = Arrays.stream(args[i + 1].split(",")).map(Case::parse).toList();
        default -> throw new IllegalArgumentException("Unknown option " + args[i]);
      }
    }
    List<Result> results = run(new Config(cases, warmup, repeats, threads, script, out));
    System.out.print(markdown(results, new Config(cases, warmup, repeats, threads, script, out)));
  }

  static Path defaultScript() {
    Path fromRoot = Path.of("benchmarks", "src", "main", "python", "torch_resnet50_bench.py");
    return Files.exists(fromRoot) ? fromRoot : Path.of("src", "main", "python", "torch_resnet50_bench.py");
  }

  private static String runTorch(Config config, Case c) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("/usr/bin/python3", config.torchScript().toString(),
        c.mode().name().toLowerCase(Locale.ROOT), String.valueOf(c.size()), String.valueOf(c.batch()),
        String.valueOf(config.warmup()), String.valueOf(config.repeats()), String.valueOf(config.threads()))
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("PyTorch benchmark failed for " + c + " (" + config.torchScript() + "):\n" + output);
    }
    return output;
  }

  private static List<Double> timeDl4j(Case c, int warmup, int repeats) {
    ComputationGraph net = ResNet50.build(Head.linear(2), 0);
    INDArray x = Nd4j.randn(c.batch(), 3, c.size(), c.size());
    INDArray y = Nd4j.zeros(c.batch(), 2);
    for (int i = 0; i < c.batch(); i++) {
      y.putScalar(i, i % 2, 1.0);
    }
    DataSet batch = new DataSet(x, y);
    Runnable step = c.mode() == Mode.INFER ? () -> net.outputSingle(x) : () -> net.fit(batch);
    for (int i = 0; i < warmup; i++) {
      step.run();
    }
    List<Double> seconds = new ArrayList<>();
    for (int i = 0; i < repeats; i++) {
      long t0 = System.nanoTime();
      step.run();
      seconds.add((System.nanoTime() - t0) / 1e9);
    }
    return seconds;
  }

  static List<Double> parseSeconds(String json) {
    Matcher m = SECONDS.matcher(json);
    if (!m.find()) {
      throw new IllegalArgumentException("No \"seconds\" list in PyTorch benchmark output: " + json);
    }
    return Arrays.stream(m.group(1).split(",")).map(String::trim).map(Double::parseDouble).toList();
  }

  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static String markdown(List<Result> results, Config config) {
    StringBuilder sb = new StringBuilder();
    sb.append("ResNet-50, DL4J (fundus4j) vs PyTorch ").append(results.isEmpty() ? "?" : results.get(0).torchVersion())
        .append(", ").append(Instant.now()).append('\n')
        .append("threads ").append(config.threads()).append(", warmup ").append(config.warmup())
        .append(", median of ").append(config.repeats()).append(", ND4J backend ")
        .append(Nd4j.getBackend().getClass().getSimpleName()).append(", Java ")
        .append(System.getProperty("java.version")).append("\n\n")
        .append("| case | DL4J s/step | PyTorch s/step | DL4J / PyTorch |\n|---|---|---|---|\n");
    for (Result r : results) {
      sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.2f |%n", r.benchmarkCase(), r.dl4jSeconds(),
          r.torchSeconds(), r.ratio()));
    }
    return sb.toString();
  }

  static String csv(List<Result> results) {
    StringBuilder sb = new StringBuilder("mode,size,batch,dl4j_seconds,torch_seconds,ratio\n");
    for (Result r : results) {
      Case c = r.benchmarkCase();
      sb.append(String.format(Locale.ROOT, "%s,%d,%d,%.4f,%.4f,%.3f%n", c.mode().name().toLowerCase(Locale.ROOT),
          c.size(), c.batch(), r.dl4jSeconds(), r.torchSeconds(), r.ratio()));
    }
    return sb.toString();
  }
}

package org.fundus4j.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.ResNet50;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;
import org.nd4j.linalg.profiler.data.StringAggregator;
import org.nd4j.linalg.profiler.data.primitives.TimeSet;

/**
 * Where one ResNet-50 training step spends its time, DL4J beside PyTorch, grouped into the same categories
 * (convolution forward and backward, BatchNorm, ReLU, pooling, adds, head and loss, optimizer): the
 * documented profile that issue #9 asks for when DL4J's step is more than 2x PyTorch's.
 *
 * <p>DL4J: {@link ResNet50#build} as fundus4j trains it (layer helpers on with ND4J's oneDNN build), Adam
 * 1e-5 with L2 1e-5, 2-class cross-entropy; the step is timed unprofiled (median), then profiled with ND4J's
 * {@link OpProfiler} in {@code OPERATIONS} mode. ND4J itemises only op calls of at least 0.1 ms (its
 * {@code StringAggregator} threshold); shorter calls are summed as one row. PyTorch: the same step
 * ({@code torch_train_profile.py}, torch.profiler), each category counting the outermost event of a
 * subtree. Writes {@code training-step-profile.md} to {@code --out}.
 *
 * <pre>
 * java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.TrainingStepProfile --size 224 --batch 8 --warmup 5 --steps 5 --out benchmarks/results
 * </pre>
 */
public final class TrainingStepProfile {

  /** DL4J op names by category, in the order of PyTorch's categories in {@code torch_train_profile.py}. */
  static final Map<String, List<String>> DL4J_OPS = new LinkedHashMap<>();

  static {
    DL4J_OPS.put("convolution forward", List.of("conv2d"));
    DL4J_OPS.put("convolution backward", List.of("conv2d_bp"));
    DL4J_OPS.put("BatchNorm forward", List.of("batchnorm", "var", "reduce_mean"));
    DL4J_OPS.put("BatchNorm backward", List.of("batchnorm_bp"));
    DL4J_OPS.put("ReLU forward and backward", List.of("relu", "relu_bp"));
    DL4J_OPS.put("pooling forward and backward", List.of("maxpool2d", "maxpool2d_bp", "avgpool2d",
        "avgpool2d_bp"));
    DL4J_OPS.put("residual adds", List.of("add"));
    DL4J_OPS.put("head and loss (fc, softmax, cross-entropy)", List.of("matmul", "softmax", "log", "multiply",
        "reduce_sum", "broadcastadd", "cas", "mmul"));
    DL4J_OPS.put("optimizer (Adam, weight decay, zero_grad)", List.of("adam_updater", "axpy", "div_scalar",
        "mul_scalar", "subtract", "reduce_norm2"));
    DL4J_OPS.put("copies (assign)", List.of("old_assign", "assign", "broadcastcopy"));
  }

  private static final Pattern LONG_OP = Pattern.compile("^\\S+ (\\S+) \\(-?\\d+\\)$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingStepProfile() {}

  /** {@code --size N --batch N --warmup N --steps N --threads N (PyTorch) --out DIR}. */
  public static void main(String[] args) throws Exception {
    int size = 224;
    int batch = 8;
    int warmup = 5;
    int steps = 5;
    int threads = 2;
    Path out = Path.of("benchmarks", "results");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --size --batch --warmup --steps --threads --out");
      }
    }
    String loadStart = Dl4jTrainingProfile.loadAverage();
    Dl4jProfile dl4j = dl4j(size, batch, warmup, steps);
    JsonNode torch = torch(threads, size, batch, warmup, steps);
    String md = markdown(dl4j, torch, size, batch, warmup, steps, loadStart, Dl4jTrainingProfile.loadAverage());
    Files.createDirectories(out);
    Files.writeString(out.resolve("training-step-profile.md"), md);
    System.out.println(md);
  }

  /** Per-step milliseconds and calls of each DL4J op name (calls of at least 0.1 ms). */
  record Dl4jProfile(double stepSeconds, double profiledStepMs, Map<String, double[]> ops, double shortOpsMs,
      int helpers, boolean oneDnn) {}

  static Dl4jProfile dl4j(int size, int batch, int warmup, int steps) throws ReflectiveOperationException {
    ComputationGraph net = ResNet50.build(Head.linear(2), 0);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, size, size);
    INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 2);
    for (int i = 0; i < batch; i++) {
      y.putScalar(i, i % 2, 1.0);
    }
    DataSet data = new DataSet(x, y);
    for (int i = 0; i < warmup; i++) {
      net.fit(data);
    }
    double step = InterleavedRounds.median(Dl4jTrainingProfile.time(steps, () -> net.fit(data)));
    System.err.printf(Locale.ROOT, "DL4J step (unprofiled, median of %d): %.3f s%n", steps, step);

    OpProfiler profiler = OpProfiler.getInstance();
    profiler.reset();
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      net.fit(data);
    }
    double profiledMs = (System.nanoTime() - t0) / 1e6 / steps;
    Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);

    Map<String, double[]> ops = new LinkedHashMap<>();
    double itemised = 0;
    for (Map.Entry<String, TimeSet> e : times(profiler, "longAggergator").entrySet()) {
      Matcher m = LONG_OP.matcher(e.getKey());
      String op = m.matches() ? m.group(1) : e.getKey();
      double ms = e.getValue().getSum() / 1e6 / steps;
      double[] acc = ops.computeIfAbsent(op, k -> new double[2]);
      acc[0] += ms;
      acc[1] += e.getValue().size() / (double) steps;
      itemised += ms;
    }
    double all = 0;
    for (TimeSet t : times(profiler, "classAggergator").values()) {
      all += t.getSum() / 1e6 / steps;
    }
    return new Dl4jProfile(step, profiledMs, ops, Math.max(0, all - itemised), LayerHelpers.count(net),
        LayerHelpers.oneDnn());
  }

  /** The private {@code times} map of one of OpProfiler's StringAggregators (ND4J 1.0.0-M2.1). */
  @SuppressWarnings("unchecked")
  private static Map<String, TimeSet> times(OpProfiler profiler, String aggregator)
      throws ReflectiveOperationException {
    Field agg = OpProfiler.class.getDeclaredField(aggregator);
    agg.setAccessible(true);
    Field times = StringAggregator.class.getDeclaredField("times");
    times.setAccessible(true);
    return (Map<String, TimeSet>) times.get(agg.get(profiler));
  }

  static JsonNode torch(int threads, int size, int batch, int warmup, int steps)
      throws IOException, InterruptedException {
    Path script = Path.of("benchmarks", "src", "main", "python", "torch_train_profile.py");
    if (!Files.exists(script)) {
      script = Path.of("src", "main", "python", "torch_train_profile.py");
    }
    List<String> cmd = List.of("/usr/bin/python3", script.toString(), String.valueOf(threads),
        String.valueOf(size), String.valueOf(batch), String.valueOf(warmup), String.valueOf(steps));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("PyTorch profile failed (" + String.join(" ", cmd) + "):\n" + output);
    }
    String json = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
        .orElseThrow(() -> new IOException("No JSON from " + String.join(" ", cmd) + ":\n" + output));
    return JSON.readTree(json);
  }

  static String markdown(Dl4jProfile dl4j, JsonNode torch, int size, int batch, int warmup, int steps,
      String loadStart, String loadEnd) {
    List<Double> torchSeconds = new ArrayList<>();
    torch.get("seconds").forEach(n -> torchSeconds.add(n.asDouble()));
    double torchStep = InterleavedRounds.median(torchSeconds);
    JsonNode cats = torch.get("categories");

    StringBuilder sb = new StringBuilder();
    sb.append("# ResNet-50 training step: DL4J vs PyTorch, by operation\n\n")
        .append(String.format(Locale.ROOT, "%s; %d cores; %d px, batch %d, Adam 1e-5 + weight decay 1e-5, "
            + "2-class cross-entropy; load average %s at start, %s at end. DL4J/ND4J 1.0.0-M2.1, %s build, "
            + "layer helpers on %d layers; PyTorch %s, %d threads.%n%n", Instant.now(),
            Runtime.getRuntime().availableProcessors(), size, batch, loadStart, loadEnd,
            dl4j.oneDnn() ? "oneDNN" : "OpenBLAS", dl4j.helpers(), torch.get("torch").asText(),
            torch.get("threads").asInt()))
        .append("Command: `").append(BenchmarkArgs.command(TrainingStepProfile.class.getName(), List.of("--size",
            String.valueOf(size), "--batch", String.valueOf(batch), "--warmup", String.valueOf(warmup), "--steps",
            String.valueOf(steps)))).append("`\n\n")
        .append(String.format(Locale.ROOT, "Step time, unprofiled (median of %d after %d warm-up steps): **DL4J %.2f s, PyTorch %.2f s "
            + "(DL4J/PyTorch %.2f)**. Profiled step: DL4J %.2f s, PyTorch %.2f s.%n%n", steps, warmup,
            dl4j.stepSeconds(), torchStep, dl4j.stepSeconds() / torchStep, dl4j.profiledStepMs() / 1000,
            torch.get("profiled_ms").asDouble() / 1000))
        .append("Milliseconds per step (calls per step). DL4J: ND4J op time (calls of at least 0.1 ms; ")
        .append("the rest in its own row); PyTorch: CPU time of the outermost event of each category.\n\n")
        .append("| category | DL4J ops | DL4J ms (calls) | PyTorch ms (calls) | DL4J - PyTorch ms |\n")
        .append("|---|---|---|---|---|\n");
    Map<String, double[]> rest = new LinkedHashMap<>(dl4j.ops());
    double dl4jSum = 0;
    double torchSum = 0;
    for (Map.Entry<String, List<String>> c : DL4J_OPS.entrySet()) {
      double ms = 0;
      double calls = 0;
      List<String> seen = new ArrayList<>();
      for (String op : c.getValue()) {
        double[] v = rest.remove(op);
        if (v != null) {
          ms += v[0];
          calls += v[1];
          seen.add(op);
        }
      }
      JsonNode t = cats.get(c.getKey());
      double tms = t == null ? 0 : t.get("ms").asDouble();
      double tcalls = t == null ? 0 : t.get("calls").asDouble();
      dl4jSum += ms;
      torchSum += tms;
      sb.append(String.format(Locale.ROOT, "| %s | %s | %.0f (%.0f) | %s | %s |%n", c.getKey(),
          seen.isEmpty() ? "-" : String.join(", ", seen), ms, calls,
          t == null ? "-" : String.format(Locale.ROOT, "%.0f (%.0f)", tms, tcalls),
          t == null ? "-" : String.format(Locale.ROOT, "%+.0f", ms - tms)));
    }
    double otherMs = 0;
    double otherCalls = 0;
    for (double[] v : rest.values()) {
      otherMs += v[0];
      otherCalls += v[1];
    }
    dl4jSum += otherMs + dl4j.shortOpsMs();
    sb.append(String.format(Locale.ROOT, "| other DL4J ops | %s | %.0f (%.0f) | - | - |%n",
        rest.isEmpty() ? "-" : String.join(", ", rest.keySet()), otherMs, otherCalls));
    sb.append(String.format(Locale.ROOT, "| ND4J op calls under 0.1 ms | | %.0f | - | - |%n", dl4j.shortOpsMs()));
    double torchProfiled = torch.get("profiled_ms").asDouble();
    sb.append(String.format(Locale.ROOT, "| outside the categories (DL4J: Java, workspaces; PyTorch: autograd, "
        + "other ops) | | %.0f | %.0f | %+.0f |%n", dl4j.profiledStepMs() - dl4jSum, torchProfiled - torchSum,
        (dl4j.profiledStepMs() - dl4jSum) - (torchProfiled - torchSum)));
    sb.append(String.format(Locale.ROOT, "| **profiled step** | | **%.0f** | **%.0f** | %+.0f |%n",
        dl4j.profiledStepMs(), torchProfiled, dl4j.profiledStepMs() - torchProfiled));
    return sb.toString();
  }
}

package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.ResNet50;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * Where a DL4J ResNet-50 training step spends its time, and which DL4J options change it.
 *
 * <p>Single setting (default): step, train-mode forward and inference forward medians of {@link ResNet50#build}'s
 * graph ({@code --no-helpers}: without {@link LayerHelpers}), optionally ND4J's per-op profile of one step:
 * <pre>{@code
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.Dl4jTrainingProfile --size 224 --batch 8 --steps 3 --workspace ENABLED --profile
 * }</pre>
 *
 * <p>{@code --compare}: the options study of issue #9. For each ND4J native build (OpenBLAS, selected with
 * {@value #OPENBLAS_BUILD}, and oneDNN: the project's {@code linux-x86_64-onednn}, or the jar given with
 * {@code --onednn-jar} placed first on the class path) a child JVM checks that the variants computing torchvision's function give
 * the baseline's pooled features with the baseline's parameters (64 px), then times the variants
 * interleaved: each round builds every variant in turn, runs {@code warmup} untimed calls and one timed
 * call (inference, then a training step), and frees it, so machine load hits all variants alike and one
 * network is in memory at a time. A third child repeats {@code ours+helpers} on the oneDNN build with
 * {@code OMP_NUM_THREADS=1}. Medians over rounds go to {@code dl4j-options.md} and {@code .csv}; wall and
 * process-CPU seconds are both reported, since other processes' load disturbs wall time.
 * <pre>{@code
 * java -Xmx1g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.Dl4jTrainingProfile --compare --size 224 --batch 8 --rounds 3 --onednn-rounds 5
 * # the U-Net with the ResNet-50 encoder:
 *   ... --compare --size 224 --batch 2 --report dl4j-options-unet --variants unet,unet+helpers \
 *       --train-variants unet,unet+helpers --onednn-variants unet,unet+helpers
 * }</pre>
 */
public final class Dl4jTrainingProfile {
  /**
   * JVM option that makes JavaCPP load ND4J's OpenBLAS build although the oneDNN build ({@code networks}'
   * runtime dependency) is on the class path.
   */
  static final String OPENBLAS_BUILD = "-Dorg.bytedeco.javacpp.platform.extension=";

  /** Variants timed in the OpenBLAS build's child. */
  static final List<String> DEFAULT_BUILD_VARIANTS = List.of("ours", "ours+bias", "ours+logstd", "ours+same",
      "ours+nhwc", "ours+ws-none", "ours+helpers", "zoo", "zoo-stride1", "zoo+helpers");
  /** Variants whose training step is timed in the OpenBLAS build's child. */
  static final List<String> DEFAULT_BUILD_TRAIN = List.of("ours", "ours+nhwc", "ours+ws-none", "ours+helpers",
      "zoo", "zoo+helpers");
  /** Variants timed (inference and training) in the oneDNN build's child. */
  static final List<String> ONEDNN_VARIANTS = List.of("ours", "ours+helpers", "ours+helpers+nhwc",
      "ours+helpers+ws-none", "zoo", "zoo+helpers");
  /** Variants timed in the oneDNN build with {@code OMP_NUM_THREADS=1}. */
  static final List<String> ONE_THREAD_VARIANTS = List.of("ours+helpers");

  private static final String LINE = "DL4J-OPTIONS\t";

  private Dl4jTrainingProfile() {}

  /**
   * {@code --size N --batch N --steps N --workspace ENABLED|NONE --profile --no-helpers}, or
   * {@code --compare [--size N --batch N --rounds N --onednn-rounds N --warmup N --out DIR --report NAME
   * --onednn-jar JAR --variants K,.. --train-variants K,.. --onednn-variants K,..]}.
   */
  public static void main(String[] args) throws Exception {
    List<String> list = Arrays.asList(args);
    if (list.contains("--child")) {
      child(args);
    } else if (list.contains("--compare")) {
      compare(args);
    } else {
      profile(args);
    }
  }

  private static void profile(String[] args) {
    int size = 224;
    int batch = 8;
    int steps = 3;
    WorkspaceMode workspace = WorkspaceMode.ENABLED;
    boolean profile = false;
    boolean helpers = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--workspace" -> workspace = WorkspaceMode.valueOf(args[++i]);
        case "--profile" -> profile = true;
        case "--no-helpers" -> helpers = false;
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --size --batch --steps --workspace ENABLED|NONE --profile --no-helpers, or --compare");
      }
    }
    ComputationGraph net = ResNet50.build(Head.linear(2), 0);
    if (!helpers) {
      LayerHelpers.remove(net);
    }
    net.getConfiguration().setTrainingWorkspaceMode(workspace);
    net.getConfiguration().setInferenceWorkspaceMode(workspace);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, size, size);
    DataSet data = new DataSet(x, labels(batch));
    net.fit(data); // warm-up: allocations, workspaces, helper selection

    double fit = median(time(steps, () -> net.fit(data)));
    double trainForward = median(time(steps, () -> net.feedForward(x, true)));
    double inferForward = median(time(steps, () -> net.output(false, x)));
    System.out.printf(Locale.ROOT,
        "RESULT size=%d batch=%d workspace=%s omp=%s blas=%s helpers=%d: fit %.3f s, train-forward %.3f s, "
            + "backward+update ~%.3f s, inference forward %.3f s%n",
        size, batch, workspace, System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
        Nd4j.getExecutioner().getEnvironmentInformation().getOrDefault("blas.vendor", "?"),
        LayerHelpers.count(net), fit, trainForward, fit - trainForward, inferForward);
    if (profile) {
      OpProfiler.getInstance().reset();
      Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
      net.fit(data);
      Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
      OpProfiler.getInstance().printOutDashboard();
    }
  }

  // ---------------------------------------------------------------- options study: parent

  /** One child JVM: a native build, its environment, the variants it times and the number of rounds. */
  record Run(String label, Path prependJar, List<String> javaOptions, Map<String, String> env, List<String> inferVariants,
      List<String> trainVariants, int rounds) {}

  /** Timings of one variant in one run. */
  record Measured(String run, String variant, List<Double> infer, List<Double> inferCpu, List<Double> train,
      List<Double> trainCpu, double gmacs, int helpers, String check) {}

  private static void compare(String[] args) throws IOException, InterruptedException {
    int size = 224;
    int batch = 8;
    int rounds = 3;
    int onednnRounds = 5;
    int warmup = 1;
    Path out = Path.of("benchmarks", "results");
    Path onednn = null;
    String report = "dl4j-options";
    List<String> defaultVariants = DEFAULT_BUILD_VARIANTS;
    List<String> defaultTrain = DEFAULT_BUILD_TRAIN;
    List<String> onednnVariants = ONEDNN_VARIANTS;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--compare" -> { }
        case "--report" -> report = args[++i];
        case "--variants" -> defaultVariants = keys(args[++i]);
        case "--train-variants" -> defaultTrain = keys(args[++i]);
        case "--onednn-variants" -> onednnVariants = keys(args[++i]);
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--onednn-rounds" -> onednnRounds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--onednn-jar" -> onednn = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; --compare takes --size --batch --rounds --onednn-rounds --warmup --out --report NAME "
            + "--onednn-jar JAR "
            + "--variants K,.. --train-variants K,.. --onednn-variants K,.. (empty: skip); variants: "
            + String.join(",", Dl4jVariants.ALL.keySet()));
      }
    }
    Dl4jVariants.select(concat(concat(defaultVariants, defaultTrain), onednnVariants)); // fail early on typos
    List<Run> runs = new ArrayList<>();
    if (!defaultVariants.isEmpty() || !defaultTrain.isEmpty()) {
      runs.add(new Run("ND4J OpenBLAS build", null, List.of(OPENBLAS_BUILD), Map.of(), defaultVariants,
          defaultTrain, rounds));
    }
    String onednnNote;
    if (onednnVariants.isEmpty()) {
      onednnNote = "oneDNN build not run (--onednn-variants empty).";
    } else if (onednn == null || Files.isRegularFile(onednn)) {
      String build = onednn == null ? "ND4J oneDNN build (linux-x86_64-onednn, the project's default)"
          : "ND4J oneDNN build (" + onednn.getFileName() + ")";
      runs.add(new Run(build, onednn, List.of(), Map.of(), onednnVariants, onednnVariants, onednnRounds));
      if (onednnVariants.containsAll(ONE_THREAD_VARIANTS)) {
        runs.add(new Run(build + ", OMP_NUM_THREADS=1", onednn, List.of(), Map.of("OMP_NUM_THREADS", "1"),
            ONE_THREAD_VARIANTS, ONE_THREAD_VARIANTS, rounds));
      }
      onednnNote = onednn == null ? "oneDNN build: nd4j-native:linux-x86_64-onednn as on the class path; the "
          + "OpenBLAS run adds " + OPENBLAS_BUILD + "."
          : "oneDNN build: " + onednn.getFileName() + " placed first on the class path.";
    } else {
      onednnNote = "oneDNN build not measured: " + onednn + " does not exist.";
    }
    List<Measured> all = new ArrayList<>();
    List<String> loads = new ArrayList<>();
    Instant start = Instant.now();
    for (Run run : runs) {
      String before = loadAverage();
      all.addAll(runChild(run, size, batch, warmup));
      loads.add(run.label() + ": load average " + before + " at start, " + loadAverage() + " at end");
    }
    Files.createDirectories(out);
    String md = markdown(all, runs, BenchmarkArgs.command(Dl4jTrainingProfile.class.getName(),
        java.util.Arrays.asList(args)), size, batch, warmup, start, loads, onednnNote);
    Files.writeString(out.resolve(report + ".md"), md);
    Files.writeString(out.resolve(report + ".csv"), csv(all));
    System.out.print(md);
  }

  private static List<Measured> runChild(Run run, int size, int batch, int warmup)
      throws IOException, InterruptedException {
    String cp = System.getProperty("java.class.path");
    if (run.prependJar() != null) {
      cp = run.prependJar() + java.io.File.pathSeparator + cp;
    }
    // JavaCPP's limits make the child fail with OutOfMemoryError before the machine runs out of memory.
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-Dorg.bytedeco.javacpp.maxbytes=6G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=8G"));
    cmd.addAll(run.javaOptions());
    cmd.addAll(List.of("-cp", cp, Dl4jTrainingProfile.class.getName(), "--child",
        "--size", String.valueOf(size), "--batch", String.valueOf(batch), "--rounds", String.valueOf(run.rounds()),
        "--warmup", String.valueOf(warmup), "--infer", String.join(",", run.inferVariants()),
        "--train", String.join(",", run.trainVariants())));
    System.err.println("== " + run.label());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(run.env());
    Process p = pb.start();
    Map<String, List<Double>> infer = new LinkedHashMap<>();
    Map<String, List<Double>> inferCpu = new LinkedHashMap<>();
    Map<String, List<Double>> train = new LinkedHashMap<>();
    Map<String, List<Double>> trainCpu = new LinkedHashMap<>();
    Map<String, String[]> info = new LinkedHashMap<>();
    StringBuilder log = new StringBuilder();
    try (var reader = p.inputReader(StandardCharsets.UTF_8)) {
      String line;
      while ((line = reader.readLine()) != null) {
        log.append(line).append('\n');
        if (!line.startsWith(LINE)) {
          continue;
        }
        System.err.println(line);
        String[] f = line.substring(LINE.length()).split("\t");
        switch (f[0]) {
          case "info" -> info.put(f[1], f);
          case "infer" -> {
            infer.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[2]));
            inferCpu.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[3]));
          }
          case "train" -> {
            train.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[2]));
            trainCpu.computeIfAbsent(f[1], k -> new ArrayList<>()).add(Double.parseDouble(f[3]));
          }
          default -> { }
        }
      }
    }
    if (!p.waitFor(3, TimeUnit.HOURS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("Child JVM for '" + run.label() + "' failed:\n" + tail(log.toString(), 60));
    }
    List<Measured> result = new ArrayList<>();
    for (String v : new LinkedHashSet<>(concat(run.inferVariants(), run.trainVariants()))) {
      String[] f = info.get(v);
      result.add(new Measured(run.label(), v, infer.getOrDefault(v, List.of()), inferCpu.getOrDefault(v, List.of()),
          train.getOrDefault(v, List.of()), trainCpu.getOrDefault(v, List.of()), Double.parseDouble(f[2]),
          Integer.parseInt(f[3]), f[4]));
    }
    return result;
  }

  // ---------------------------------------------------------------- options study: child

  private static void child(String[] args) {
    int size = 224;
    int batch = 8;
    int rounds = 3;
    int warmup = 1;
    List<String> inferKeys = List.of();
    List<String> trainKeys = List.of();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--child" -> { }
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--infer" -> inferKeys = keys(args[++i]);
        case "--train" -> trainKeys = keys(args[++i]);
        default -> throw new IllegalArgumentException("Unknown child option " + args[i]);
      }
    }
    System.out.println(LINE + "env\t" + Nd4j.getBackend().buildInfo().replace('\n', ' ') + "\tthreads "
        + Nd4j.getEnvironment().maxThreads() + "\tblas threads " + Nd4j.factory().blas().getMaxThreads());

    Set<String> keys = new LinkedHashSet<>(concat(inferKeys, trainKeys));
    List<Dl4jVariants.Variant> variants = Dl4jVariants.select(List.copyOf(keys));

    // Which variants compute the baseline's function: small input, one network alive at a time.
    INDArray small = inputs(2, 64);
    INDArray smallNhwc = small.permute(0, 2, 3, 1).dup('c');
    ComputationGraph reference = Dl4jVariants.ours(64, c -> { }, false);
    INDArray referenceFeatures = reference.feedForward(small, false).get(ResNet50.FEATURES).dup();
    for (Dl4jVariants.Variant v : variants) {
      ComputationGraph net = v.build(size);
      String check = v.sameFunction() ? sameFeatures(reference, referenceFeatures, net, v.nhwc() ? smallNhwc : small)
          : "-";
      System.out.printf(Locale.ROOT, "%sinfo\t%s\t%.4f\t%d\t%s%n", LINE, v.key(),
          Dl4jVariants.macsPerImage(net, size, v.nhwc()) / 1e9, LayerHelpers.count(net), check);
      net.close();
    }
    reference.close();

    // Timing: each round builds every variant in turn, warms it up, times one call, and frees it, so only
    // one ResNet-50 (parameters, Adam state, workspaces) is in memory at a time.
    INDArray x = inputs(batch, size);
    INDArray xNhwc = x.permute(0, 2, 3, 1).dup('c');
    DataSet data = new DataSet(x, labels(batch));
    DataSet dataNhwc = new DataSet(xNhwc, labels(batch));
    DataSet dataMask = new DataSet(x, mask(batch, size));
    for (int round = 0; round < rounds; round++) {
      for (Dl4jVariants.Variant v : variants) {
        ComputationGraph net = v.build(size);
        if (inferKeys.contains(v.key())) {
          INDArray in = v.nhwc() ? xNhwc : x;
          for (int w = 0; w < warmup; w++) {
            timed(v, () -> net.output(false, in));
          }
          double[] t = timed(v, () -> net.output(false, in));
          System.out.printf(Locale.ROOT, "%sinfer\t%s\t%.4f\t%.4f%n", LINE, v.key(), t[0], t[1]);
        }
        if (trainKeys.contains(v.key())) {
          DataSet d = v.segmentation() ? dataMask : v.nhwc() ? dataNhwc : data;
          for (int w = 0; w < warmup; w++) {
            timed(v, () -> net.fit(d));
          }
          double[] t = timed(v, () -> net.fit(d));
          System.out.printf(Locale.ROOT, "%strain\t%s\t%.4f\t%.4f%n", LINE, v.key(), t[0], t[1]);
        }
        net.close();
        System.gc();
      }
    }
  }

  /**
   * Copies the reference's parameters into {@code net} by name (a BatchNorm variance becomes
   * {@code log10(std) = log10(var) / 2} where {@code net} stores that) and returns the largest difference of
   * the pooled features relative to the largest feature.
   */
  private static String sameFeatures(ComputationGraph reference, INDArray expected, ComputationGraph net,
      INDArray input) {
    Map<String, INDArray> from = reference.paramTable();
    for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
      String key = e.getKey();
      if (from.containsKey(key)) {
        e.getValue().assign(from.get(key));
      } else if (key.endsWith("_log10stdev")) {
        INDArray var = from.get(key.substring(0, key.length() - "log10stdev".length()) + "var");
        e.getValue().assign(Transforms.log(var, 10.0, true).muli(0.5));
      } else {
        return "no " + key + " in the baseline";
      }
    }
    INDArray actual = net.feedForward(input, false).get(ResNet50.FEATURES);
    double diff = expected.sub(actual).amaxNumber().doubleValue() / expected.amaxNumber().doubleValue();
    return String.format(Locale.ROOT, "%.1e", diff);
  }

  /** Wall-clock and process CPU seconds (all threads) of one call. */
  private static double[] timed(Dl4jVariants.Variant v, Runnable step) {
    v.before().run();
    try {
      long cpu0 = processCpuNanos();
      double wall = time(1, step).get(0);
      return new double[] {wall, (processCpuNanos() - cpu0) / 1e9};
    } finally {
      v.after().run();
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** Reproducible inputs: ND4J's RNG does not repeat under a fixed seed in 1.0.0-M2.1. */
  private static INDArray inputs(int batch, int size) {
    java.util.Random random = new java.util.Random(9);
    float[] v = new float[batch * 3 * size * size];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return Nd4j.create(v, new long[] {batch, 3, size, size}, 'c');
  }

  /** A {@code [N,1,H,W]} mask with a vertical band of ones, for U-Net training steps. */
  private static INDArray mask(int batch, int size) {
    INDArray m = Nd4j.zeros(DataType.FLOAT, batch, 1, size, size);
    for (int i = 0; i < batch; i++) {
      for (int r = 0; r < size; r++) {
        for (int c = size / 3; c < size / 2; c++) {
          m.putScalar(new long[] {i, 0, r, c}, 1.0);
        }
      }
    }
    return m;
  }

  private static INDArray labels(int batch) {
    INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 2);
    for (int i = 0; i < batch; i++) {
      y.putScalar(i, i % 2, 1.0);
    }
    return y;
  }

  // ---------------------------------------------------------------- report

  static String markdown(List<Measured> all, List<Run> runs, String command, int size, int batch, int warmup,
      Instant start, List<String> loads, String onednnNote) {
    StringBuilder sb = new StringBuilder();
    sb.append("# DL4J options for fundus4j's ResNet-50 (issue #9)\n\n")
        .append("Started ").append(start).append("; ").append(cpuCount()).append(" cores, Java ")
        .append(System.getProperty("java.version")).append(", DL4J/ND4J 1.0.0-M2.1. Input ").append(size)
        .append(" px, batch ").append(batch).append("; rounds (number per run below), each building every ")
        .append("variant in turn (interleaved), ").append(warmup).append(" untimed call(s), then one timed call; ")
        .append("cells are the median seconds per batch over rounds (min-max). Training step: Adam(1e-5), L2 ")
        .append("1e-5, 2-class cross-entropy. Wall: elapsed seconds; CPU: CPU seconds of the whole process ")
        .append("(all threads; includes OpenMP spin-waiting), which other processes' load disturbs less. Load ")
        .append("from other processes hits all variants of a run alike; compare within a run (\"vs ours\" = ")
        .append("time of `ours`, or of the run's first variant, / time of the variant).\n")
        .append("Command: `").append(command).append("`\n\n");
    for (String l : loads) {
      sb.append("* ").append(l).append('\n');
    }
    sb.append("* ").append(onednnNote).append('\n')
        .append("* GMAC: multiply-accumulates per image of the convolution and dense layers at this size. ")
        .append("\"features vs ours\": max |difference| of the pooled features from the default-path ")
        .append("baseline with the same parameters, relative to the largest feature (only for variants that ")
        .append("compute torchvision's function).\n");
    for (Run run : runs) {
      sb.append("\n## ").append(run.label()).append(" (").append(run.rounds()).append(" rounds)\n\n")
          .append("| variant | what changes | GMAC/img | helpers | features vs ours | inference s, wall (min-max) ")
          .append("/ CPU | vs ours, wall / CPU | train step s, wall (min-max) / CPU | vs ours, wall / CPU |\n")
          .append("|---|---|---|---|---|---|---|---|---|\n");
      // the baseline is "ours" if the run has it, else its first variant
      List<Measured> rows = all.stream().filter(m -> m.run().equals(run.label())).toList();
      Measured base = rows.stream().filter(m -> m.variant().equals("ours")).findFirst()
          .orElse(rows.isEmpty() ? null : rows.get(0));
      for (Measured m : all) {
        if (!m.run().equals(run.label())) {
          continue;
        }
        sb.append(String.format(Locale.ROOT, "| `%s` | %s | %.2f | %d | %s | %s | %s | %s | %s |%n", m.variant(),
            Dl4jVariants.ALL.get(m.variant()).description(), m.gmacs(), m.helpers(), m.check(),
            cell(m.infer(), m.inferCpu()), base == null ? "—" : ratios(base.infer(), base.inferCpu(), m.infer(),
                m.inferCpu()),
            cell(m.train(), m.trainCpu()), base == null ? "—" : ratios(base.train(), base.trainCpu(), m.train(),
                m.trainCpu())));
      }
    }
    return sb.toString();
  }

  static String csv(List<Measured> all) {
    StringBuilder sb = new StringBuilder("run,variant,gmac_per_image,helpers,features_vs_ours,infer_seconds,"
        + "infer_cpu_seconds,train_seconds,train_cpu_seconds\n");
    for (Measured m : all) {
      sb.append(String.format(Locale.ROOT, "\"%s\",%s,%.4f,%d,%s,%s,%s,%s,%s%n", m.run(), m.variant(), m.gmacs(),
          m.helpers(), m.check(), join(m.infer()), join(m.inferCpu()), join(m.train()), join(m.trainCpu())));
    }
    return sb.toString();
  }

  private static String cell(List<Double> wall, List<Double> cpu) {
    if (wall.isEmpty()) {
      return "—";
    }
    return String.format(Locale.ROOT, "%.2f (%.2f-%.2f) / %.2f", median(wall), wall.stream().mapToDouble(d -> d)
        .min().orElseThrow(), wall.stream().mapToDouble(d -> d).max().orElseThrow(), median(cpu));
  }

  private static String ratios(List<Double> baseWall, List<Double> baseCpu, List<Double> wall, List<Double> cpu) {
    if (baseWall.isEmpty() || wall.isEmpty()) {
      return "—";
    }
    return String.format(Locale.ROOT, "%.2fx / %.2fx", median(baseWall) / median(wall),
        median(baseCpu) / median(cpu));
  }

  private static String join(List<Double> v) {
    return String.join(" ", v.stream().map(d -> String.format(Locale.ROOT, "%.4f", d)).toList());
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  private static int cpuCount() {
    return Runtime.getRuntime().availableProcessors();
  }

  private static String tail(String s, int lines) {
    String[] all = s.split("\n");
    return String.join("\n", Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
  }

  private static List<String> keys(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(k -> !k.isEmpty()).toList();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  static List<Double> time(int n, Runnable r) {
    List<Double> s = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      r.run();
      s.add((System.nanoTime() - t0) / 1e9);
    }
    return s;
  }

  private static double median(List<Double> v) {
    return InterleavedRounds.median(v);
  }
}

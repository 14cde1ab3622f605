package org.fundus4j.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.unet.UNet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * One ResNet-50 training step (2 classes, cross-entropy, Adam lr 1e-5 with L2 1e-5) in DL4J and in PyTorch,
 * interleaved round by round ({@link InterleavedRounds}), issue #19; with {@code --model unet} one step of the
 * segmentation network instead ({@code UNet.resnet50Encoder}, Dice loss on a random mask, against its PyTorch
 * mirror in {@code torch_train_server.py}).
 *
 * <p>Engines: {@code dl4j} (our graph as {@code ResNet50.build} makes it: oneDNN build, layer helpers with
 * {@code OneDnnBatchNormHelper}), {@code dl4j-bn-off} (the same with DL4J's {@code MKLDNNBatchNormHelper},
 * {@value LayerHelpers#BATCH_NORM_PROPERTY}{@code =false}, the state before issue #19), {@code dl4j-relu-off}
 * (DL4J's own {@code ActivationLayer} for the ReLUs, {@value LayerHelpers#RELU_PROPERTY}{@code =false}),
 * {@code dl4j-conv-off} (DL4J's convolution helper, {@value LayerHelpers#CONV_PROPERTY}{@code =false}), and
 * {@code pytorch}
 * (torchvision's resnet50 in a child {@code /usr/bin/python3} that runs {@code torch_train_server.py} and times
 * one step per request; the wall clock here includes the pipe round trip, well under a millisecond).
 *
 * <pre>
 * java -Xmx4g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.TrainingStepBenchmark --size 224 --batch 8 --rounds 7 --warmup 6 --threads 2 \
 *   --out benchmarks/results
 * </pre>
 */
public final class TrainingStepBenchmark {
  private TrainingStepBenchmark() {}

  /** {@code --size PX --batch N --rounds N --warmup N --threads N --engines dl4j,dl4j-bn-off,dl4j-relu-off,dl4j-conv-off,pytorch --out DIR}. */
  public static void main(String[] args) throws Exception {
    int size = 224;
    int batch = 8;
    int rounds = 5;
    int warmup = 6; // DL4J still got faster after 2 (training-step.md, 2026-12-06)
    int threads = 2;
    List<String> names = List.of("dl4j", "dl4j-bn-off", "pytorch");
    Path out = Path.of("benchmarks", "results");
    String model = "resnet50";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--engines" -> names = List.of(args[++i].split(","));
        case "--out" -> out = Path.of(args[++i]);
        case "--model" -> model = args[++i];
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --size --batch --rounds --warmup --threads --engines --model --out");
      }
    }
    if (!model.equals("resnet50") && !model.equals("unet")) {
      throw new IllegalArgumentException("--model is resnet50 or unet, got " + model);
    }
    boolean unet = model.equals("unet");
    int n = batch;
    INDArray x = Nd4j.rand(DataType.FLOAT, batch, 3, size, size);
    INDArray y;
    if (unet) {
      y = Nd4j.rand(DataType.FLOAT, batch, 1, size, size).lt(0.1).castTo(DataType.FLOAT); // a random mask
    } else {
      y = Nd4j.zeros(DataType.FLOAT, batch, 2);
      for (int i = 0; i < batch; i++) {
        y.putScalar(i, i % 2, 1f);
      }
    }
    DataSet data = new DataSet(x, y);
    List<InterleavedRounds.Engine> engines = new ArrayList<>();
    Process python = null;
    String torchVersion = "-";
    for (String name : names) {
      switch (name) {
        case "dl4j" -> engines.add(dl4j(name, null, unet, data, n));
        case "dl4j-bn-off" -> engines.add(dl4j(name, LayerHelpers.BATCH_NORM_PROPERTY, unet, data, n));
        case "dl4j-relu-off" -> engines.add(dl4j(name, LayerHelpers.RELU_PROPERTY, unet, data, n));
        case "dl4j-conv-off" -> engines.add(dl4j(name, LayerHelpers.CONV_PROPERTY, unet, data, n));
        case "pytorch" -> {
          Path script = InferenceBackendBenchmark.script().resolveSibling("torch_train_server.py");
          python = new ProcessBuilder("/usr/bin/python3", script.toString(), String.valueOf(threads),
              String.valueOf(size), String.valueOf(batch), model).redirectError(ProcessBuilder.Redirect.INHERIT).start();
          BufferedReader reader = new BufferedReader(
              new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
          Writer writer = new java.io.OutputStreamWriter(python.getOutputStream(), StandardCharsets.UTF_8);
          String ready = reader.readLine();
          if (ready == null || !ready.contains("ready")) {
            throw new IllegalStateException("torch_train_server.py did not start: " + ready);
          }
          torchVersion = ready.replaceAll(".*\"torch\": \"([^\"]*)\".*", "$1");
          engines.add(new InterleavedRounds.Engine(name, () -> {
            try {
              writer.write("step\n");
              writer.flush();
              String line = reader.readLine();
              if (line == null) {
                throw new IllegalStateException("torch_train_server.py ended");
              }
              return n;
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }));
        }
        default -> throw new IllegalArgumentException("Unknown engine " + name);
      }
    }
    InterleavedRounds.Result result;
    try {
      result = InterleavedRounds.run(engines, warmup, rounds);
    } finally {
      if (python != null) {
        python.getOutputStream().close();
        python.waitFor();
      }
    }
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "## %d px, batch %d%n%n", size, batch));
    md.append(String.format(Locale.ROOT, "%s; %d threads (PyTorch set_num_threads; ND4J OMP_NUM_THREADS=%s); "
            + "%d warm-up steps, %d interleaved rounds; load average %s at start, %s at end; PyTorch %s.%n%n",
        Instant.now(), threads, System.getenv().getOrDefault("OMP_NUM_THREADS", "default"), warmup, rounds,
        result.loadBefore(), result.loadAfter(), torchVersion));
    List<String> given = new ArrayList<>(List.of("--size", String.valueOf(size), "--batch", String.valueOf(batch),
        "--rounds", String.valueOf(rounds), "--warmup", String.valueOf(warmup), "--threads", String.valueOf(threads),
        "--engines", String.join(",", names)));
    if (unet) {
      given.addAll(List.of("--model", "unet"));
    }
    md.append(String.format(Locale.ROOT, "Command: `%s`%n%n",
        BenchmarkArgs.command(TrainingStepBenchmark.class.getName(), given)));
    md.append("| engine | s per step, median (min-max) | images/s, median (min-max) |\n|---|---|---|\n");
    for (String name : names) {
      List<Double> rates = result.rates().get(name);
      double median = result.rate(name);
      double fastest = rates.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
      double slowest = rates.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
      md.append(String.format(Locale.ROOT, "| %s | %.2f (%.2f-%.2f) | %s |%n", name, n / median, n / fastest,
          n / slowest, result.summary(name)));
    }
    md.append('\n');
    if (names.contains("pytorch")) {
      for (String name : names) {
        if (!name.equals("pytorch")) {
          // time ratio = PyTorch's rate / DL4J's rate
          md.append(String.format(Locale.ROOT, "%s / PyTorch step time: %s%n%n", name,
              result.ratio("pytorch", name)));
        }
      }
    }
    System.out.print(md);
    Files.createDirectories(out);
    Path file = out.resolve(String.format(Locale.ROOT, "training-step-%s%d-b%d.md", unet ? "unet-" : "", size,
        batch));
    Files.writeString(file, "# " + (unet ? "U-Net (ResNet-50 encoder, Dice loss)" : "ResNet-50")
        + " training step, DL4J vs PyTorch, interleaved rounds (issue #19)\n\n" + md);
    System.out.println("wrote " + file);
  }

  /** A DL4J engine; {@code offProperty}, if not null, is a {@link LayerHelpers} property set to false while building. */
  private static InterleavedRounds.Engine dl4j(String name, String offProperty, boolean unet, DataSet data, int n) {
    ComputationGraph net;
    String previous = offProperty == null ? null : System.getProperty(offProperty);
    if (offProperty != null) {
      System.setProperty(offProperty, "false");
    }
    try {
      Adam adam = new Adam(1e-5, 0.9, 0.999, 1e-8);
      net = unet ? UNet.resnet50Encoder(42, adam) : ResNet50.build(Head.linear(2), 42, adam);
    } finally {
      if (offProperty != null && previous == null) {
        System.clearProperty(offProperty);
      } else if (offProperty != null) {
        System.setProperty(offProperty, previous);
      }
    }
    System.out.printf(Locale.ROOT, "%s: %d layers with helpers%n", name, LayerHelpers.count(net));
    return new InterleavedRounds.Engine(name, () -> {
      net.fit(data);
      return n;
    });
  }
}

package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.Featurizer;
import org.fundus4j.transfer.TransferRun;
import org.fundus4j.transfer.LinearProbe;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * Linear-probe featurisation rate, ONNX Runtime ({@link Featurizer#of}) against DL4J
 * ({@link Featurizer#dl4j}), on a frozen ResNet-50 ({@code LinearProbe.freeze}) in interleaved rounds;
 * also the largest feature difference between the two relative to the largest feature.
 *
 * <pre>
 * java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.FeaturizerBenchmark --size 224 --batch 8 --rounds 5 --threads 2 --out benchmarks/results
 * </pre>
 */
public final class FeaturizerBenchmark {
  private FeaturizerBenchmark() {}

  public static void main(String[] args) throws IOException {
    int size = 224;
    int batch = 8;
    int rounds = 5;
    int warmup = 1;
    int threads = 2;
    Path out = null;
    for (int k = 0; k < args.length; k++) {
      switch (args[k]) {
        case "--size" -> size = Integer.parseInt(args[++k]);
        case "--batch" -> batch = Integer.parseInt(args[++k]);
        case "--rounds" -> rounds = Integer.parseInt(args[++k]);
        case "--warmup" -> warmup = Integer.parseInt(args[++k]);
        case "--threads" -> threads = Integer.parseInt(args[++k]);
        case "--out" -> out = Path.of(args[++k]);
        default -> throw new IllegalArgumentException("Unknown option " + args[k]
            + "; expected --size --batch --rounds --warmup --threads --out");
      }
    }
    String command = BenchmarkArgs.command(FeaturizerBenchmark.class.getName(), java.util.Arrays.asList(args));
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getRandom().setSeed(42);
    INDArray images = Nd4j.rand(DataType.FLOAT, batch, 3, size, size).subi(0.45).divi(0.25);
    ComputationGraph net = ResNet50.build(Head.linear(2), 42);
    // BatchNorm statistics from real-looking images by the one recipe (a fresh ResNet-50 frozen overflows to NaN)
    java.nio.file.Path synthetic = java.nio.file.Files.createTempDirectory("featurizer-");
    TransferRun.calibrate(net, org.fundus4j.pipelines.LabelKind.BINARY, 2,
        org.fundus4j.pipelines.sources.GenericCsv.read(org.fundus4j.samples.synthetic.SyntheticDataset
            .writeGenericCsv(synthetic, Math.max(2, batch), size, 42)).samples(), size, batch, threads,
        new org.fundus4j.pipelines.SkipReport());
    ComputationGraph frozen = LinearProbe.freeze(net, ResNet50.FEATURES, new Adam(1e-3), 42);
    String result;
    try (Featurizer ort = Featurizer.of(frozen, ResNet50.FEATURES, threads, batch);
         Featurizer dl4j = Featurizer.dl4j(frozen, ResNet50.FEATURES)) {
      if (!ort.engine().equals("onnxruntime")) {
        throw new IllegalStateException("ONNX Runtime did not load: featurizer fell back to " + ort.engine());
      }
      INDArray a = ort.apply(images);
      INDArray b = dl4j.apply(images);
      double maxFeature = b.amaxNumber().doubleValue();
      double diff = a.sub(b).amaxNumber().doubleValue();
      final int n = batch;
      InterleavedRounds.Result r = InterleavedRounds.run(List.of(
          new InterleavedRounds.Engine("onnxruntime", () -> { ort.apply(images); return n; }),
          new InterleavedRounds.Engine("dl4j", () -> { dl4j.apply(images); return n; })), warmup, rounds);
      result = String.format(Locale.ROOT, String.join("\n",
          "# Linear-probe featurisation: ONNX Runtime vs DL4J (%s)",
          "",
          "Command: `%s` (after `mvn -o -q -pl benchmarks -am package -Dmaven.test.skip=true`).",
          "",
          "Frozen ResNet-50 (`LinearProbe.freeze`, BatchNorm re-estimated), %d px, batch %d, %d threads; %d warm-up",
          "batch per engine, then %d rounds, each running every engine once in turn (order rotated). Load average",
          "(1/5/15 min) %s at start, %s at end.",
          "",
          "| engine | images/s, median (min-max) of %d rounds |",
          "|---|---|",
          "| ONNX Runtime, fundus4j export (`Featurizer.of`) | %s |",
          "| DL4J, oneDNN build + layer helpers (`Featurizer.dl4j`) | %s |",
          "| **ONNX Runtime / DL4J** | **%s** |",
          "",
          "Features `[%d, 2048]`: max |ONNX Runtime - DL4J| = %.3g, largest feature %.3g (%.2g of it; bound 1e-4).",
          ""),
          Instant.now(), command, size, batch, threads, warmup, rounds, r.loadBefore(), r.loadAfter(), rounds,
          r.summary("onnxruntime"), r.summary("dl4j"), r.ratio("onnxruntime", "dl4j"), batch, diff, maxFeature,
          diff / maxFeature);
    }
    System.out.println(result);
    if (out != null) {
      Files.createDirectories(out);
      Path file = out.resolve("featurizer-" + size + ".md");
      Files.writeString(file, result);
      System.out.println("wrote " + file);
    }
  }
}

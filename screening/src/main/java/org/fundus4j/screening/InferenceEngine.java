package org.fundus4j.screening;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.inference.Dl4jBackend;
import org.fundus4j.networks.inference.InferenceBackend;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.fundus4j.networks.inference.Precision;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;

/**
 * Which engine runs a saved model forward for screening: ONNX Runtime on fundus4j's own ONNX export
 * (the default: several times faster than DL4J on CPU) or DL4J itself.
 */
public enum InferenceEngine {
  ONNX,
  DL4J;

  /** Parses {@code onnx} or {@code dl4j}, case-insensitive. */
  public static InferenceEngine parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Unknown inference engine '" + text + "'; expected onnx or dl4j");
    }
  }

  /**
   * Opens a backend for {@code graph}. For ONNX the graph is exported to a temporary {@code .onnx} file
   * first (deleted when the JVM exits).
   */
  public InferenceBackend open(ComputationGraph graph, int threads, int batchSize) throws IOException {
    if (this == DL4J) {
      return new Dl4jBackend(graph, batchSize, threads);
    }
    return openOnnxWithOutputs(graph, threads, batchSize);
  }

  /**
   * ONNX Runtime's session options for screening: {@code threads} intra-op threads, batches of {@code batchSize},
   * and intra-op threads that wait for work asleep instead of spinning
   * ({@code session.intra_op.allow_spinning = 0}). Screening decodes and preprocesses images on other threads
   * of the same process while ONNX Runtime runs, on as many cores as it has intra-op threads; a spinning thread
   * whose partner is descheduled burns a core that the decoders (or the partner) need. Measured on 150 images,
   * {@code fundus screen --threads 2 --batch 2} at load 5-6 on 2 cores: 0.43 vs 0.48-0.52 s of CPU per image; on
   * 500 against main at a65b440 (which spins), 0.38 vs 0.45 s in each of 4 interleaved rounds
   * ({@code benchmarks/results/screening-vs-a65b440.md}).
   */
  static OnnxRuntimeBackend.Options onnxOptions(int threads, int batchSize) {
    return OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads).withBatchSize(batchSize)
        .withConfigEntry("session.intra_op.allow_spinning", "0");
  }

  /**
   * Opens ONNX Runtime on fundus4j's export of {@code graph} with the vertices {@code extraOutputs} as further
   * outputs (e.g. the last bottleneck's activations for Grad-CAM), whatever this engine is: DL4J cannot hand back
   * an inner activation from its inference call. The export goes to a temporary {@code .onnx} file, deleted when
   * the JVM exits; with no {@code extraOutputs} this is {@link #ONNX}'s {@link #open(ComputationGraph, int, int)}.
   */
  static OnnxRuntimeBackend openOnnxWithOutputs(ComputationGraph graph, int threads, int batchSize,
      String... extraOutputs) throws IOException {
    Path onnx = Files.createTempFile("fundus4j-screening-", ".onnx");
    onnx.toFile().deleteOnExit();
    OnnxExporter.export(graph, onnx, OnnxExportOptions.defaults().withAdditionalOutputs(extraOutputs));
    return new OnnxRuntimeBackend(onnx, onnxOptions(threads, batchSize));
  }

  /**
   * Opens a backend for the model saved in {@code modelDir} at {@code precision}: {@link Precision#FP32} as
   * {@link #open(ComputationGraph, int, int)}, {@link Precision#INT8} the folder's int8 ONNX model
   * ({@link SavedModel#quantize}) in ONNX Runtime.
   *
   * @throws IllegalArgumentException for int8 with the DL4J engine, or a folder without an int8 model
   */
  public InferenceBackend open(SavedModel model, Path modelDir, Precision precision, int threads, int batchSize)
      throws IOException {
    if (precision == Precision.FP32) {
      return open(model.graph(), threads, batchSize);
    }
    if (this != ONNX) {
      throw new IllegalArgumentException("--precision int8 runs in ONNX Runtime only; use --engine onnx");
    }
    ModelCard.Quantization q = model.card().quantization();
    if (q == null || !Files.isRegularFile(modelDir.resolve(q.file()))) {
      throw new IllegalArgumentException("Model folder " + modelDir + " has no int8 model (model-card.json "
          + (q == null ? "has no quantization record" : "names " + q.file() + ", which is missing")
          + "); make one with 'fundus quantize " + modelDir + "' (SavedModel.quantize, on >= 64 of its training "
          + "images), or screen with --precision fp32");
    }
    if (q.missesBound()) {
      org.slf4j.LoggerFactory.getLogger(InferenceEngine.class).warn("The int8 model of {} differs from float32 by up to {} in probability on {}, "
          + "more than its bound {} (model-card.json, quantization); its calls may differ from --precision fp32's",
          modelDir, String.format(java.util.Locale.ROOT, "%.3f", q.maxDifference()), q.judgedOn(), q.bound());
    }
    return new OnnxRuntimeBackend(modelDir.resolve(q.file()), onnxOptions(threads, batchSize));
  }
}

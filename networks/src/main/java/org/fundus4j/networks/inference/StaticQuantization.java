package org.fundus4j.networks.inference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Static int8 quantisation of a DL4J graph's ONNX export: activation ranges calibrated on images, then
 * an export in ONNX's QDQ form ({@link OnnxExportOptions#withInt8}).
 *
 * <pre>{@code
 * ActivationRanges ranges = StaticQuantization.calibrate(graph, calibrationBatches, 2); // >= 64 images
 * ExportSummary int8 = OnnxExporter.export(graph, Path.of("model-int8.onnx"),
 *     OnnxExportOptions.defaults().withInt8(ranges));
 * }</pre>
 *
 * <p>Calibration runs the float32 export in ONNX Runtime with every tensor that the int8 export quantises
 * ({@link OnnxExporter#quantizedTensors}) as an extra output and keeps each one's minimum and maximum
 * (ONNX Runtime's {@code CalibrationMethod.MinMax}). The batches must be preprocessed exactly as the
 * model's inputs are (size, normalisation), and should come from the model's own training images.
 */
public final class StaticQuantization {
  /** Calibration method recorded in {@link ActivationRanges#method()}. */
  public static final String MINMAX = "minmax";
  private static final Logger LOG = LoggerFactory.getLogger(StaticQuantization.class);

  private StaticQuantization() {}

  /**
   * Measures the range of every tensor an int8 export of {@code graph} quantises.
   *
   * @param batches {@code [N, C, H, W]} float32 inputs, preprocessed as for the model
   * @param threads ONNX Runtime intra-op threads
   * @throws IllegalArgumentException if {@code batches} is empty or a tensor is not finite
   */
  public static ActivationRanges calibrate(ComputationGraph graph, Iterable<INDArray> batches, int threads) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(batches, "batches");
    List<String> tensors = OnnxExporter.quantizedTensors(graph);
    List<String> inputs = graph.getConfiguration().getNetworkInputs();
    List<String> vertices = new ArrayList<>();
    for (String t : tensors) {
      if (!inputs.contains(t)) {
        vertices.add(t);
      }
    }
    Map<String, ActivationRanges.Range> ranges = new LinkedHashMap<>();
    int images = 0;
    Path onnx = null;
    try {
      onnx = Files.createTempFile("fundus4j-calibration-", ".onnx");
      OnnxExporter.export(graph, onnx, OnnxExportOptions.defaults()
          .withAdditionalOutputs(vertices.toArray(String[]::new)));
      try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(onnx,
          OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads))) {
        Files.deleteIfExists(onnx);
        for (INDArray batch : batches) {
          for (String t : tensors) {
            if (inputs.contains(t)) {
              merge(ranges, t, batch);
            }
          }
          ort.visit(batch, vertices, (name, shape, values) -> {
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = values.position(); i < values.limit(); i++) {
              float v = values.get(i);
              min = Math.min(min, v);
              max = Math.max(max, v);
            }
            merge(ranges, name, min, max);
          });
          images += (int) batch.size(0);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the calibration model", e);
    } finally {
      if (onnx != null) {
        try {
          Files.deleteIfExists(onnx);
        } catch (IOException ignored) {
          // a temporary file; nothing else to do
        }
      }
    }
    if (images == 0) {
      throw new IllegalArgumentException("Calibration got no images");
    }
    LOG.info("Calibrated {} activation ranges on {} images ({})", ranges.size(), images, MINMAX);
    // Keep the topological order of the tensors.
    Map<String, ActivationRanges.Range> ordered = new LinkedHashMap<>();
    for (String t : tensors) {
      ordered.put(t, ranges.get(t));
    }
    return new ActivationRanges(ordered, images, MINMAX);
  }

  private static void merge(Map<String, ActivationRanges.Range> ranges, String name, INDArray values) {
    merge(ranges, name, values.minNumber().floatValue(), values.maxNumber().floatValue());
  }

  private static void merge(Map<String, ActivationRanges.Range> ranges, String name, float min, float max) {
    if (!Float.isFinite(min) || !Float.isFinite(max)) {
      throw new IllegalArgumentException("Tensor '" + name + "' is not finite on a calibration batch (min "
          + min + ", max " + max + "); re-estimate BatchNorm statistics or check the inputs");
    }
    ranges.merge(name, new ActivationRanges.Range(min, max), ActivationRanges.Range::union);
  }
}

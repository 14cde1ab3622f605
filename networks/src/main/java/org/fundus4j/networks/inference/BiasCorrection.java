package org.fundus4j.networks.inference;

import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Frozen;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Empirical bias correction of the output layer of an int8 export: the output layer's bias is shifted by the mean,
 * over calibration images, of float32's pre-activations minus the int8 export's, so the int8 model's outputs carry no
 * systematic offset from float32's (the empirical bias correction of Nagel et al. 2019, "Data-Free Quantization
 * Through Weight Equalization and Bias Correction", section 4.2, applied to the one layer whose error reaches the
 * outputs directly). The output layer itself stays float32 in fundus4j's int8 export, so the shift is exact on the
 * calibration images: their mean int8 pre-activation becomes float32's.
 *
 * <p>Both pre-activations come from ONNX Runtime, the float32 and the int8 export of the graph, each with the output
 * layer's input as an extra output, multiplied by that layer's weights in float64.
 *
 * <p>Measured (benchmarks/results/int8-screening.md, 2026-12-05): on a ResNet-50 linear probe whose all-int8 export
 * strayed from float32 by up to 0.0848 (RMS 0.0239) on 120 held-out images, the shift from 64 calibration images
 * took that to 0.0652 (RMS 0.0156), at no cost in speed. It applies to a dense output layer ({@code OutputLayer}:
 * the ResNet-50 heads); {@link #applies} is false for others (the U-Net's parameter-free loss layer).
 *
 * <pre>{@code
 * BiasCorrection.Shift s = BiasCorrection.measure(graph, ranges, List.of(), calibrationBatches, 2);
 * ComputationGraph corrected = s.apply(graph);   // a copy; export it with withInt8(ranges)
 * }</pre>
 */
public final class BiasCorrection {
  private BiasCorrection() {}

  /**
   * The shift of one int8 export's output-layer bias.
   *
   * @param layer the output layer whose bias moves
   * @param shift per output unit, mean of {@code z_fp32 - z_int8} over {@code images}
   * @param images calibration images it was measured on
   */
  public record Shift(String layer, double[] shift, int images) {
    public Shift {
      Objects.requireNonNull(layer, "layer");
      shift = shift.clone();
      if (images < 1) {
        throw new IllegalArgumentException("A bias shift needs >= 1 image, got " + images);
      }
    }

    @Override
    public double[] shift() {
      return shift.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Shift other && layer.equals(other.layer) && java.util.Arrays.equals(shift, other.shift)
          && images == other.images;
    }

    @Override
    public int hashCode() {
      return Objects.hash(layer, java.util.Arrays.hashCode(shift), images);
    }

    @Override
    public String toString() {
      return "Shift[layer=" + layer + ", shift=" + java.util.Arrays.toString(shift) + ", images=" + images + "]";
    }

    /** Largest {@code |shift|} over the output units. */
    public double largest() {
      double m = 0;
      for (double s : shift) {
        m = Math.max(m, Math.abs(s));
      }
      return m;
    }

    /** A copy of {@code graph} whose output-layer bias is moved by {@link #shift}; {@code graph} is not changed. */
    public ComputationGraph apply(ComputationGraph graph) {
      ComputationGraph copy = graph.clone();
      INDArray b = copy.getLayer(layer).getParam("b");
      if (b.length() != shift.length) {
        throw new IllegalArgumentException("Output layer '" + layer + "' has " + b.length() + " biases, the shift "
            + shift.length);
      }
      for (int i = 0; i < shift.length; i++) {
        b.putScalar(i, b.getDouble(i) + shift[i]);
      }
      return copy;
    }
  }

  /** Whether {@code graph} has one output and it is a dense output layer ({@code W}, {@code b}) the shift can move. */
  public static boolean applies(ComputationGraph graph) {
    List<String> outputs = graph.getConfiguration().getNetworkOutputs();
    if (outputs.size() != 1) {
      return false;
    }
    if (!(graph.getConfiguration().getVertices().get(outputs.get(0)) instanceof LayerVertex v)) {
      return false;
    }
    return Frozen.unwrap(v.getLayerConf().getLayer()) instanceof BaseOutputLayer o && o.hasBias()
        && graph.getConfiguration().getVertexInputs().get(outputs.get(0)).size() == 1;
  }

  /**
   * Measures the shift that makes the int8 export of {@code graph} ({@code ranges}, {@code keepFloat} in float32)
   * give the graph's mean float32 pre-activations on {@code batches}.
   *
   * @param batches {@code [N, C, H, W]} inputs, preprocessed as for the model (the calibration images)
   * @throws IllegalArgumentException if the output layer is not one the shift applies to ({@link #applies})
   */
  public static Shift measure(ComputationGraph graph, ActivationRanges ranges, List<String> keepFloat,
      List<INDArray> batches, int threads) {
    if (!applies(graph)) {
      throw new IllegalArgumentException("Bias correction needs one dense output layer; outputs "
          + graph.getConfiguration().getNetworkOutputs());
    }
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("Bias correction got no calibration batches");
    }
    String output = graph.getConfiguration().getNetworkOutputs().get(0);
    String input = graph.getConfiguration().getVertexInputs().get(output).get(0);
    double[] fp32 = preActivationSum(graph, output, input, OnnxExportOptions.defaults(), batches, threads);
    double[] int8 = preActivationSum(graph, output, input, OnnxExportOptions.defaults().withInt8(ranges, keepFloat),
        batches, threads);
    int images = batches.stream().mapToInt(b -> (int) b.size(0)).sum();
    double[] shift = new double[fp32.length];
    for (int j = 0; j < shift.length; j++) {
      shift[j] = (fp32[j] - int8[j]) / images;
    }
    return new Shift(output, shift, images);
  }

  /** Sum over the images of the output layer's pre-activations {@code a W + b}, per output unit, in float64. */
  private static double[] preActivationSum(ComputationGraph graph, String output, String input,
      OnnxExportOptions options, List<INDArray> batches, int threads) {
    INDArray w = graph.getLayer(output).getParam("W"); // [nIn, nOut]
    INDArray b = graph.getLayer(output).getParam("b");
    int nIn = (int) w.size(0);
    int nOut = (int) w.size(1);
    double[][] weights = new double[nIn][nOut];
    for (int i = 0; i < nIn; i++) {
      for (int j = 0; j < nOut; j++) {
        weights[i][j] = w.getDouble(i, j);
      }
    }
    double[] sum = new double[nOut];
    try (OnnxRuntimeBackend ort = OnnxRuntimeBackend.ofExport(graph, options.withAdditionalOutputs(input),
        OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads))) {
      for (INDArray batch : batches) {
        ort.visit(batch, List.of(input), (name, shape, values) -> {
          if (shape.length != 2 || shape[1] != nIn) {
            throw new IllegalStateException("Output layer input '" + input + "' has shape "
                + java.util.Arrays.toString(shape) + ", expected [N, " + nIn + "]");
          }
          int base = values.position();
          for (int r = 0; r < shape[0]; r++) {
            for (int j = 0; j < nOut; j++) {
              double z = b.getDouble(j);
              for (int i = 0; i < nIn; i++) {
                z += values.get(base + r * nIn + i) * weights[i][j];
              }
              sum[j] += z;
            }
          }
        });
      }
    }
    return sum;
  }
}

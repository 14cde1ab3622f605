package org.fundus4j.networks.inference;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Frozen;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Quantisation-aware training by distillation: a copy of a float32 graph learns, with every tensor its int8 export
 * quantises rounded as the export rounds it ({@link FakeQuantization}, straight-through gradients), to give the
 * float32 graph's own outputs. Its weights, exported in int8 with the same ranges, then stay closer to the float32
 * model than the float32 weights do in int8.
 *
 * <pre>{@code
 * ComputationGraph aware = QuantizationAwareTraining.distill(graph, ranges, List.of(), trainingBatches,
 *     new QuantizationAwareTraining.Options(3, 1e-5, 42));
 * OnnxExporter.export(aware, Path.of("model-int8.onnx"), OnnxExportOptions.defaults().withInt8(ranges));
 * }</pre>
 *
 * <p>The copy ({@link #student}) is the same graph with an activation layer after each quantised tensor, read by the
 * consumers that the export quantises (convolutions, additions, poolings); other consumers read the float tensor,
 * as in the export. BatchNorm layers run with their running statistics in training too
 * ({@link LayerHelpers#freezeBatchNormStatistics}), since the export folds them into the convolutions. The targets
 * are the float32 graph's output probabilities (soft labels for the graph's own loss, whose minimum is there). Each
 * step sees the convolution weights rounded as the export rounds them ({@link OnnxExporter#int8Weights}) and
 * updates the float weights (straight-through).
 */
public final class QuantizationAwareTraining {
  /** Suffix of the activation layer that rounds a quantised tensor in {@link #student}. */
  public static final String SUFFIX = "_fakequant";
  /** Suffix of the copy of a graph input that {@link #student} rounds. */
  private static final String COPY = "_copy";
  private static final Logger LOG = LoggerFactory.getLogger(QuantizationAwareTraining.class);

  private QuantizationAwareTraining() {}

  /**
   * How the copy is trained.
   *
   * @param epochs passes over the batches; 0 trains nothing
   * @param learningRate Adam's learning rate, for every layer
   * @param seed order of the batches in each epoch
   */
  public record Options(int epochs, double learningRate, long seed) {
    public Options {
      if (epochs < 0 || !(learningRate > 0)) {
        throw new IllegalArgumentException("Quantisation-aware training needs epochs >= 0 and a learning rate > 0, "
            + "got " + epochs + " and " + learningRate);
      }
    }

    /**
     * 2 epochs at Adam 1e-7, seed 42. Measured (benchmarks/results/int8-screening.md, 2026-12-04) on a ResNet-50 at
     * 128 px over its 360 training images: held-out all-int8 max |dP| 0.0848 (RMS 0.0239) untrained, 0.0617 (RMS
     * 0.0138) after; 3e-7 and 1e-6 gave RMS 0.0120 and 0.0129. Adam moves every weight by about the learning rate per
     * step, so larger rates drift from the float32 model: 1e-5 (1 epoch) was 0.2055 off on its own training images.
     */
    public static Options standard() {
      return new Options(2, 1e-7, 42);
    }

    /** Whether any training is asked for. */
    public boolean enabled() {
      return epochs > 0;
    }
  }

  /** Told the mean loss after each epoch. */
  @FunctionalInterface
  public interface EpochReport {
    void epoch(int epoch, int epochs, double meanLoss);
  }

  /**
   * The copy of {@code graph} that {@link #distill} trains: every tensor of {@link OnnxExporter#quantizedTensors}
   * but {@code keepFloat} rounded as an int8 export with {@code ranges} rounds it, every layer trainable with Adam
   * at {@code learningRate} and no regularisation, BatchNorm statistics frozen, weights copied from {@code graph}.
   *
   * @throws IllegalArgumentException if a quantised tensor has no range in {@code ranges}
   */
  public static ComputationGraph student(ComputationGraph graph, ActivationRanges ranges,
      Collection<String> keepFloat, double learningRate) {
    Objects.requireNonNull(ranges, "ranges");
    ComputationGraphConfiguration conf = graph.getConfiguration();
    Set<String> rounded = new HashSet<>(OnnxExporter.quantizedTensors(graph));
    rounded.removeAll(keepFloat);
    ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
        .dataType(conf.getDataType())
        .updater(new Adam(learningRate))
        .graphBuilder()
        .addInputs(conf.getNetworkInputs());
    for (String input : conf.getNetworkInputs()) {
      if (rounded.contains(input)) {
        // DL4J's ActivationLayer rounds its input in place in inference: a copy first, so the caller's batch is kept
        b.addVertex(input + COPY, new org.deeplearning4j.nn.conf.graph.ScaleVertex(1.0), input);
        b.addLayer(input + SUFFIX, rounding(conf, ranges, input), input + COPY);
      }
    }
    for (String name : conf.getTopologicalOrderStr()) {
      if (conf.getNetworkInputs().contains(name)) {
        continue;
      }
      boolean quantizes = OnnxExporter.quantizesInputs(conf, name);
      String[] inputs = conf.getVertexInputs().get(name).stream()
          .map(in -> quantizes && rounded.contains(in) ? in + SUFFIX : in).toArray(String[]::new);
      GraphVertex v = Frozen.unwrap(conf.getVertices().get(name));
      if (v instanceof LayerVertex lv) {
        org.deeplearning4j.nn.conf.layers.Layer layer = Frozen.unwrap(lv.getLayerConf().getLayer()).clone();
        layer.setIDropout(null);
        if (layer instanceof BaseLayer bl) {
          bl.setIUpdater(new Adam(learningRate));
          bl.setBiasUpdater(null);
          bl.setRegularization(new ArrayList<>());
          bl.setRegularizationBias(new ArrayList<>());
          bl.setWeightNoise(null);
        }
        b.addLayer(name, layer, lv.getPreProcessor() == null ? null : lv.getPreProcessor().clone(), inputs);
      } else {
        b.addVertex(name, v.clone(), inputs);
      }
      if (rounded.contains(name)) {
        b.addLayer(name + SUFFIX, rounding(conf, ranges, name), name);
      }
    }
    b.setOutputs(conf.getNetworkOutputs().toArray(new String[0]));
    ComputationGraph student = new ComputationGraph(b.build());
    student.init();
    copyWeights(graph, student);
    LayerHelpers.freezeBatchNormStatistics(student);
    return student;
  }

  /**
   * Trains {@link #student} of {@code graph} on {@code batches} towards {@code graph}'s own outputs and returns a
   * copy of {@code graph} (same configuration, names and layout) holding the trained weights: the graph to export in
   * int8 with {@code ranges} and {@code keepFloat}. {@code graph} itself is not changed.
   *
   * @param batches {@code [N, C, H, W]} inputs, preprocessed as for the model, e.g. its training images
   */
  public static ComputationGraph distill(ComputationGraph graph, ActivationRanges ranges, Collection<String> keepFloat,
      List<INDArray> batches, Options options, EpochReport report) {
    Objects.requireNonNull(options, "options");
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("Quantisation-aware training got no batches");
    }
    if (graph.getConfiguration().getNetworkOutputs().size() != 1) {
      throw new IllegalArgumentException("Quantisation-aware training supports graphs with one output, not "
          + graph.getConfiguration().getNetworkOutputs());
    }
    List<INDArray> targets = new ArrayList<>();
    for (INDArray x : batches) {
      targets.add(graph.outputSingle(false, x).dup());
    }
    ComputationGraph student = student(graph, ranges, keepFloat, options.learningRate());
    List<INDArray> weights = roundedWeights(graph.getConfiguration(), keepFloat, student);
    Random random = new Random(options.seed());
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < batches.size(); i++) {
      order.add(i);
    }
    for (int epoch = 1; epoch <= options.epochs(); epoch++) {
      java.util.Collections.shuffle(order, random);
      double loss = 0;
      for (int i : order) {
        // the step sees the weights as the export rounds them; its update goes to the float weights
        // (straight-through): w <- round(w) + update + (w - round(w))
        List<INDArray> residuals = new ArrayList<>();
        for (INDArray w : weights) {
          INDArray r = round(w);
          residuals.add(w.sub(r));
          w.assign(r);
        }
        student.fit(new DataSet(batches.get(i), targets.get(i)));
        for (int k = 0; k < weights.size(); k++) {
          weights.get(k).addi(residuals.get(k));
        }
        loss += student.score();
      }
      loss /= order.size();
      LOG.info("Quantisation-aware training epoch {}/{}: mean loss {}", epoch, options.epochs(),
          String.format(java.util.Locale.ROOT, "%.5f", loss));
      if (report != null) {
        report.epoch(epoch, options.epochs(), loss);
      }
    }
    ComputationGraph trained = graph.clone();
    copyWeights(student, trained);
    LayerHelpers.installIfOneDnn(trained);
    return trained;
  }

  /**
   * The weights of {@code student}'s convolutions that an int8 export rounds: those reading a quantised tensor (the
   * export folds the BatchNorm after a convolution into it first; rounding per output channel commutes with that
   * per-channel scaling, so the unfolded weights are rounded here).
   */
  private static List<INDArray> roundedWeights(ComputationGraphConfiguration conf, Collection<String> keepFloat,
      ComputationGraph student) {
    Set<String> quantized = new HashSet<>(OnnxExporter.quantizedTensors(conf));
    quantized.removeAll(keepFloat);
    List<INDArray> weights = new ArrayList<>();
    for (String name : conf.getTopologicalOrderStr()) {
      Layer layer = student.getLayer(name);
      List<String> inputs = conf.getVertexInputs().get(name);
      if (layer instanceof org.deeplearning4j.nn.layers.convolution.ConvolutionLayer
          && layer.getClass() == org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class
          && OnnxExporter.quantizesInputs(conf, name) && inputs.size() == 1 && quantized.contains(inputs.get(0))) {
        weights.add(layer.getParam("W"));
      }
    }
    return weights;
  }

  /** {@code w} ({@code [out, ...]}) rounded as {@link OnnxExporter#int8Weights} rounds it, as float32. */
  static INDArray round(INDArray w) {
    float[] values = w.dup('c').data().asFloat();
    int out = (int) w.size(0);
    int[] q = new int[values.length];
    float[] scale = OnnxExporter.int8Weights(values, out, q);
    int per = values.length / out;
    for (int i = 0; i < values.length; i++) {
      values[i] = q[i] * scale[i / per];
    }
    return org.nd4j.linalg.factory.Nd4j.create(values, w.shape(), 'c');
  }

  private static ActivationLayer rounding(ComputationGraphConfiguration conf, ActivationRanges ranges, String tensor) {
    return new ActivationLayer.Builder()
        .activation(new FakeQuantization(OnnxExporter.quantizationRange(conf, ranges, tensor))).build();
  }

  /** Copies every parameter of {@code from}'s layers into the layer of the same name in {@code to}. */
  private static void copyWeights(ComputationGraph from, ComputationGraph to) {
    for (org.deeplearning4j.nn.graph.vertex.GraphVertex vertex : from.getVertices()) {
      if (!vertex.hasLayer()) {
        continue;
      }
      String name = vertex.getVertexName();
      Map<String, INDArray> params = vertex.getLayer().paramTable();
      if (params.isEmpty()) {
        continue;
      }
      Layer target = to.getLayer(name);
      if (target == null) {
        throw new IllegalStateException("Layer '" + name + "' has no counterpart in the copy");
      }
      Map<String, INDArray> into = target.paramTable();
      for (Map.Entry<String, INDArray> p : params.entrySet()) {
        INDArray dest = into.get(p.getKey());
        if (dest == null || !java.util.Arrays.equals(dest.shape(), p.getValue().shape())) {
          throw new IllegalStateException("Parameter " + name + "." + p.getKey() + " differs in the copy");
        }
        dest.assign(p.getValue());
      }
    }
  }
}

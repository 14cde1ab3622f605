package org.fundus4j.evaluation.visualize;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.misc.ElementWiseMultiplicationLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Grad-CAM heat maps (Selvaraju et al., ICCV 2017) for a convolutional layer of a
 * {@link ComputationGraph}, including graphs whose backbone is frozen for linear probing.
 *
 * <p>For class c and target activations A of shape {@code [1, C, h, w]}: the weight of channel k is
 * the spatial mean of dy_c/dA_k, where y_c is the raw class score (the output layer's
 * pre-activation, the logit before softmax or sigmoid, as pytorch-grad-cam); the map is
 * ReLU(sum_k w_k A_k), min-max scaled to [0, 1] (with +1e-7 in the denominator as pytorch-grad-cam)
 * and resized bilinearly to the input.
 *
 * <p>How the gradient is obtained: DL4J has no hook on intermediate activations and a
 * {@code FrozenLayer} passes no gradient back, so this class builds once per activation shape an
 * inference-equivalent copy of the graph: frozen wrappers are removed, BatchNormalization becomes
 * the per-channel affine map it computes at inference (running statistics), dropout is removed, the
 * output layers get an identity activation and a loss whose gradient is the one-hot class score,
 * and an identity {@code ElementWiseMultiplicationLayer} is inserted after the target layer. The
 * gradient of that layer's bias is exactly dy_c/dA. Everything the target depends on is frozen in the
 * copy, so backpropagation stops at the target. The original graph is never modified.
 *
 * <pre>{@code
 * GradCam cam = new GradCam(model, GradCam.lastConvolutionalLayer(model, InputType.convolutional(512, 512, 3)));
 * INDArray heat = cam.heatMap(image, 1);                  // image [1, 3, H, W] -> heat [H, W] in [0, 1]
 * BufferedImage shown = GradCam.overlay(photo, heat);
 * }</pre>
 *
 * <p>Only NCHW activations and graphs with one input are supported. Not thread-safe.
 */
public final class GradCam {
  private static final String PROBE = "gradcam-probe";
  private static final String RESTORE = "gradcam-restore";
  private static final String AFFINE = "-affine";

  private final ComputationGraph graph;
  private final String layerName;
  private final int outputIndex;
  private final Map<String, ComputationGraph> probes = new HashMap<>();

  /** Targets {@code layerName} and the graph's first output. */
  public GradCam(ComputationGraph graph, String layerName) {
    this(graph, layerName, 0);
  }

  /**
   * Targets {@code layerName} and output number {@code outputIndex} of the graph.
   *
   * @throws IllegalArgumentException when the vertex does not exist, is a network input or output,
   *     or the graph does not have one input
   */
  public GradCam(ComputationGraph graph, String layerName, int outputIndex) {
    ComputationGraphConfiguration conf = graph.getConfiguration();
    if (!conf.getVertices().containsKey(layerName)) {
      throw new IllegalArgumentException("no vertex '" + layerName + "' in the graph; vertices: "
          + conf.getVertices().keySet());
    }
    if (conf.getNetworkOutputs().contains(layerName)) {
      throw new IllegalArgumentException("'" + layerName + "' is a network output; pick a "
          + "convolutional layer before it");
    }
    if (conf.getNetworkInputs().size() != 1) {
      throw new IllegalArgumentException("Grad-CAM supports graphs with one input, this one has "
          + conf.getNetworkInputs());
    }
    if (outputIndex < 0 || outputIndex >= conf.getNetworkOutputs().size()) {
      throw new IllegalArgumentException("output index " + outputIndex + " out of range; outputs: "
          + conf.getNetworkOutputs());
    }
    GraphVertex target = conf.getVertices().get(layerName);
    while (target instanceof FrozenVertex f) {
      target = f.getUnderlying();
    }
    if (target instanceof LayerVertex lv) {
      org.deeplearning4j.nn.conf.layers.Layer layer = unwrap(lv.getLayerConf().getLayer());
      CNN2DFormat format = layer instanceof ConvolutionLayer c ? c.getCnn2dDataFormat()
          : layer instanceof SubsamplingLayer s ? s.getCnn2dDataFormat()
          : layer instanceof BatchNormalization b ? b.getCnn2DFormat() : CNN2DFormat.NCHW;
      if (format == CNN2DFormat.NHWC) {
        throw new IllegalArgumentException("layer '" + layerName + "' uses NHWC; Grad-CAM supports "
            + "NCHW activations only");
      }
    }
    this.graph = graph;
    this.layerName = layerName;
    this.outputIndex = outputIndex;
  }

  /** Returns the target vertex's name. */
  public String layerName() {
    return layerName;
  }

  /**
   * Returns the name of the last vertex, in topological order, whose output is a convolutional
   * activation for inputs of {@code inputType}; for a ResNet that is the last bottleneck's output.
   */
  public static String lastConvolutionalLayer(ComputationGraph graph, InputType inputType) {
    Map<String, InputType> types = graph.getConfiguration().getLayerActivationTypes(inputType);
    String last = null;
    for (String name : graph.getConfiguration().getTopologicalOrderStr()) {
      InputType t = types.get(name);
      if (t instanceof InputType.InputTypeConvolutional
          && !graph.getConfiguration().getNetworkInputs().contains(name)) {
        last = name;
      }
    }
    if (last == null) {
      throw new IllegalArgumentException("no vertex with convolutional output for " + inputType);
    }
    return last;
  }

  /**
   * Returns the heat map of class {@code classIndex} resized to the input.
   *
   * @param input one image, {@code [1, C, H, W]}, preprocessed as for the model
   * @return {@code [H, W]} in [0, 1]
   */
  public INDArray heatMap(INDArray input, int classIndex) {
    return heatMaps(input, classIndex)[0];
  }

  /**
   * Returns one heat map per class index (e.g. every label of a multi-label head), each
   * {@code [H, W]} in [0, 1]; the forward pass through the original graph is shared.
   */
  public INDArray[] heatMaps(INDArray input, int... classIndices) {
    INDArray[] low = lowResolutionHeatMaps(input, classIndices);
    INDArray[] out = new INDArray[low.length];
    for (int i = 0; i < low.length; i++) {
      out[i] = resizeBilinear(low[i], (int) input.size(2), (int) input.size(3));
    }
    return out;
  }

  /** Returns the heat maps at the target layer's resolution {@code [h, w]}, before resizing. */
  public INDArray[] lowResolutionHeatMaps(INDArray input, int... classIndices) {
    if (input.rank() != 4 || input.size(0) != 1) {
      throw new IllegalArgumentException("Grad-CAM expects one image [1, C, H, W], got "
          + Arrays.toString(input.shape()));
    }
    Map<String, INDArray> acts = graph.feedForward(input, false);
    INDArray a = acts.get(layerName);
    if (a == null || a.rank() != 4) {
      throw new IllegalArgumentException("layer '" + layerName + "' gives "
          + (a == null ? "no activation" : Arrays.toString(a.shape()))
          + "; Grad-CAM needs a convolutional [1, C, h, w] activation");
    }
    a = a.castTo(DataType.DOUBLE).dup();
    String outName = graph.getConfiguration().getNetworkOutputs().get(outputIndex);
    long classes = acts.get(outName).size(1);
    ComputationGraph probe = probeFor(a, acts);
    INDArray[] out = new INDArray[classIndices.length];
    for (int k = 0; k < classIndices.length; k++) {
      int c = classIndices[k];
      if (c < 0 || c >= classes) {
        throw new IllegalArgumentException("class index " + c + " out of range: output '" + outName
            + "' has " + classes + " classes");
      }
      INDArray grad = classScoreGradient(probe, input, acts, c).reshape(a.shape());
      out[k] = weightedMap(a, grad.mean(2, 3).reshape(a.size(1)));
    }
    return out;
  }

  /**
   * The Grad-CAM map of activations {@code a} ({@code [1, C, h, w]}) with channel weights {@code weights}
   * ({@code [C]}, the spatial means of dy_c/dA_k): ReLU(sum_k w_k A_k), min-max scaled to [0, 1] with +1e-7 in the
   * denominator as pytorch-grad-cam; {@code [h, w]}, double.
   */
  public static INDArray weightedMap(INDArray a, INDArray weights) {
    INDArray acts = a.castTo(DataType.DOUBLE);
    INDArray w = weights.castTo(DataType.DOUBLE).reshape(1, acts.size(1), 1, 1);
    INDArray cam = acts.mul(w).sum(1).reshape(acts.size(2), acts.size(3));
    cam = Transforms.relu(cam, false);
    cam.subi(cam.minNumber());
    cam.divi(cam.maxNumber().doubleValue() + 1e-7);
    return cam;
  }

  /**
   * Grad-CAM without a backward pass, for a layer that feeds global average pooling followed by one linear layer
   * (fundus4j's {@code linear} and {@code multiLabel} heads): y_c = sum_k W[k, c] mean(A_k) + b_c, so
   * dy_c/dA_k(i, j) = W[k, c] / (h w) everywhere and the channel weights are {@code W[:, c] / (h w)}. Equal to
   * {@link #lowResolutionHeatMaps} on that layer; the activations may come from any engine (e.g. an extra output of
   * an ONNX model).
   *
   * @param activations the layer's output {@code [1, C, h, w]}
   * @param headWeights the linear head's weight matrix {@code [C, classes]} (DL4J's layout)
   * @return one {@code [h, w]} map in [0, 1] per class index
   */
  public static INDArray[] pooledLinearHeadMaps(INDArray activations, INDArray headWeights, int... classIndices) {
    if (activations.rank() != 4 || activations.size(0) != 1 || headWeights.rank() != 2
        || headWeights.size(0) != activations.size(1)) {
      throw new IllegalArgumentException("Expected activations [1, C, h, w] and head weights [C, classes], got "
          + Arrays.toString(activations.shape()) + " and " + Arrays.toString(headWeights.shape()));
    }
    double cells = activations.size(2) * activations.size(3);
    INDArray[] out = new INDArray[classIndices.length];
    for (int k = 0; k < classIndices.length; k++) {
      if (classIndices[k] < 0 || classIndices[k] >= headWeights.size(1)) {
        throw new IllegalArgumentException("class index " + classIndices[k] + " out of range: the head has "
            + headWeights.size(1) + " classes");
      }
      out[k] = weightedMap(activations, headWeights.getColumn(classIndices[k]).castTo(DataType.DOUBLE).div(cells));
    }
    return out;
  }

  /** The inference-equivalent probe graph used for {@code input}'s activation shape. */
  ComputationGraph probe(INDArray input) {
    Map<String, INDArray> acts = graph.feedForward(input, false);
    return probeFor(acts.get(layerName), acts);
  }

  /** Raw class scores (pre-activation of the chosen output) computed by the probe graph. */
  INDArray rawScores(INDArray input) {
    Map<String, INDArray> acts = graph.feedForward(input, false);
    INDArray a = acts.get(layerName).castTo(DataType.DOUBLE);
    ComputationGraph probe = probeFor(a, acts);
    return probe.output(false, input.castTo(probe.getConfiguration().getDataType()))[outputIndex];
  }

  /** Gradient of class c's raw score w.r.t. the target activations, flattened in C order. */
  private INDArray classScoreGradient(ComputationGraph probe, INDArray input,
      Map<String, INDArray> acts, int c) {
    List<String> outputs = graph.getConfiguration().getNetworkOutputs();
    INDArray[] labels = new INDArray[outputs.size()];
    DataType dt = probe.getConfiguration().getDataType();
    for (int i = 0; i < labels.length; i++) {
      labels[i] = Nd4j.zeros(dt, acts.get(outputs.get(i)).shape());
    }
    labels[outputIndex].putScalar(new long[] {0, c}, 1.0);
    probe.setInputs(input.castTo(dt));
    probe.setLabels(labels);
    probe.computeGradientAndScore();
    INDArray g = probe.gradient().getGradientFor(PROBE + "_b");
    if (g == null) {
      throw new IllegalStateException("no gradient reached '" + layerName + "'");
    }
    return g.castTo(DataType.DOUBLE).dup();
  }

  private ComputationGraph probeFor(INDArray a, Map<String, INDArray> acts) {
    String key = Arrays.toString(a.shape());
    ComputationGraph probe = probes.get(key);
    if (probe == null) {
      probe = buildProbe((int) a.size(1), (int) a.size(2), (int) a.size(3), acts);
      probes.put(key, probe);
    }
    return probe;
  }

  private ComputationGraph buildProbe(int channels, int h, int w, Map<String, INDArray> acts) {
    ComputationGraphConfiguration conf = graph.getConfiguration();
    ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder()
        .dataType(DataType.DOUBLE)
        .graphBuilder()
        .validateOutputLayerConfig(false)
        .addInputs(conf.getNetworkInputs());
    Map<String, INDArray[]> replacedParams = new HashMap<>();
    java.util.Set<String> upstream = upstreamOfTarget(conf);
    for (String name : conf.getTopologicalOrderStr()) {
      if (conf.getNetworkInputs().contains(name)) {
        continue;
      }
      GraphVertex v = conf.getVertices().get(name);
      String[] inputs = conf.getVertexInputs().get(name).stream()
          .map(in -> in.equals(layerName) ? RESTORE : in).toArray(String[]::new);
      while (v instanceof FrozenVertex f) {
        v = f.getUnderlying();
      }
      if (v instanceof LayerVertex lv) {
        org.deeplearning4j.nn.conf.layers.Layer layer = unwrap(lv.getLayerConf().getLayer()).clone();
        layer.setIDropout(null);
        if (layer instanceof BaseLayer bl) {
          bl.setWeightNoise(null);
        }
        if (layer instanceof BatchNormalization bn) {
          addAffineOfBatchNorm(b, bn, name, inputs, acts.get(name), replacedParams,
              upstream.contains(name));
          if (name.equals(layerName)) {
            addProbe(b, channels, h, w);
          }
          continue;
        } else if (layer instanceof BaseOutputLayer ol) {
          ol.setActivationFn(new ActivationIdentity());
          ol.setLossFn(new ClassScoreLoss());
        } else if (layer instanceof LossLayer ll) {
          ll.setActivationFn(new ActivationIdentity());
          ll.setLossFn(new ClassScoreLoss());
        }
        if (upstream.contains(name)) {
          layer = new FrozenLayer(layer); // no gradient needed below the target: skip that backprop
        }
        b.addLayer(name, layer, lv.getPreProcessor() == null ? null : lv.getPreProcessor().clone(),
            inputs);
      } else {
        b.addVertex(name, upstream.contains(name) ? new FrozenVertex(v.clone()) : v.clone(), inputs);
      }
      if (name.equals(layerName)) {
        addProbe(b, channels, h, w);
      }
    }
    b.setOutputs(conf.getNetworkOutputs().toArray(new String[0]));
    ComputationGraph probe = new ComputationGraph(b.build());
    probe.init();
    for (Map.Entry<String, INDArray[]> e : replacedParams.entrySet()) {
      Layer affineLayer = probe.getLayer(e.getKey());
      affineLayer.getParam("W").assign(e.getValue()[0].reshape(affineLayer.getParam("W").shape()));
      affineLayer.getParam("b").assign(e.getValue()[1].reshape(affineLayer.getParam("b").shape()));
    }
    for (org.deeplearning4j.nn.graph.vertex.GraphVertex vertex : graph.getVertices()) {
      if (!vertex.hasLayer()) {
        continue;
      }
      String name = vertex.getVertexName();
      Layer l = vertex.getLayer();
      Layer target = probe.getLayer(name);
      if (unwrap(l.conf().getLayer()) instanceof BatchNormalization) {
        continue; // replaced by its affine equivalent above
      } else if (l.numParams() > 0) {
        target.params().assign(l.params().castTo(DataType.DOUBLE));
      }
    }
    probe.getLayer(PROBE).getParam("W").assign(1.0);
    probe.getLayer(PROBE).getParam("b").assign(0.0);
    return probe;
  }

  private static org.deeplearning4j.nn.conf.layers.Layer frozenIf(boolean freeze,
      org.deeplearning4j.nn.conf.layers.Layer layer) {
    return freeze ? new FrozenLayer(layer) : layer;
  }

  /** The target and every vertex it depends on (network inputs excluded). */
  private java.util.Set<String> upstreamOfTarget(ComputationGraphConfiguration conf) {
    java.util.Set<String> seen = new java.util.HashSet<>();
    java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>(List.of(layerName));
    while (!todo.isEmpty()) {
      String v = todo.pop();
      if (conf.getNetworkInputs().contains(v) || !seen.add(v)) {
        continue;
      }
      todo.addAll(conf.getVertexInputs().getOrDefault(v, List.of()));
    }
    return seen;
  }

  private static org.deeplearning4j.nn.conf.layers.Layer unwrap(
      org.deeplearning4j.nn.conf.layers.Layer layer) {
    while (true) {
      if (layer instanceof FrozenLayer f) {
        layer = f.getLayer();
      } else if (layer instanceof FrozenLayerWithBackprop f) {
        layer = f.getUnderlying();
      } else {
        return layer;
      }
    }
  }

  /** The inference-mode BatchNormalization as scale and shift per channel: {scale, shift}. */
  private static INDArray[] affineOfBatchNorm(BatchNormalization conf, Layer layer) {
    Map<String, INDArray> p = layer.paramTable();
    INDArray mean = p.get(BatchNormalizationParamInitializer.GLOBAL_MEAN).castTo(DataType.DOUBLE);
    INDArray var;
    if (conf.isUseLogStd()) {
      INDArray log10s = p.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD).castTo(DataType.DOUBLE);
      var = Transforms.pow(Nd4j.valueArrayOf(log10s.shape(), 10.0, DataType.DOUBLE), log10s);
      var.muli(var);
    } else {
      var = p.get(BatchNormalizationParamInitializer.GLOBAL_VAR).castTo(DataType.DOUBLE);
    }
    INDArray std = Transforms.sqrt(var.add(conf.getEps()));
    INDArray gamma;
    INDArray beta;
    if (conf.isLockGammaBeta()) {
      // DL4J applies the locked values only when gamma != 1 and beta != 0 (BatchNormalization.preOutput)
      boolean apply = conf.getGamma() != 1.0 && conf.getBeta() != 0.0;
      gamma = Nd4j.valueArrayOf(mean.shape(), apply ? conf.getGamma() : 1.0, DataType.DOUBLE);
      beta = Nd4j.valueArrayOf(mean.shape(), apply ? conf.getBeta() : 0.0, DataType.DOUBLE);
    } else {
      gamma = p.get(BatchNormalizationParamInitializer.GAMMA).castTo(DataType.DOUBLE);
      beta = p.get(BatchNormalizationParamInitializer.BETA).castTo(DataType.DOUBLE);
    }
    INDArray scale = gamma.div(std);
    INDArray shift = beta.sub(mean.mul(scale));
    return new INDArray[] {scale.reshape(-1), shift.reshape(-1)};
  }

  private void addProbe(ComputationGraphConfiguration.GraphBuilder b, int channels, int h, int w) {
    long n = (long) channels * h * w;
    b.addLayer(PROBE, new ElementWiseMultiplicationLayer.Builder().nIn(n).nOut(n)
        .activation(new ActivationIdentity()).build(),
        new CnnToFeedForwardPreProcessor(h, w, channels), layerName);
    b.addVertex(RESTORE, new PreprocessorVertex(new FeedForwardToCnnPreProcessor(h, w, channels)),
        PROBE);
  }

  /**
   * Adds the inference-mode BatchNormalization {@code name} as an element-wise scale and shift:
   * a layer {@code name + "-affine"} on the flattened input and, for rank 4, a vertex {@code name}
   * that restores the shape (so consumers keep their input names).
   */
  private void addAffineOfBatchNorm(ComputationGraphConfiguration.GraphBuilder b,
      BatchNormalization bn, String name, String[] inputs, INDArray output,
      Map<String, INDArray[]> replacedParams, boolean freeze) {
    // DL4J's BatchNormalization layer never applies its configured activation (activate() returns
    // preOutput), so neither does its replacement.
    IActivation act = new ActivationIdentity();
    INDArray[] perChannel = affineOfBatchNorm(bn, graph.getLayer(name));
    if (output.rank() == 2) {
      long n = output.size(1);
      b.addLayer(name, frozenIf(freeze, new ElementWiseMultiplicationLayer.Builder().nIn(n).nOut(n)
          .activation(act).build()), inputs);
      replacedParams.put(name, perChannel);
    } else if (output.rank() == 4) {
      if (bn.getCnn2DFormat() == CNN2DFormat.NHWC) {
        throw new IllegalArgumentException("BatchNormalization '" + name + "' uses NHWC; Grad-CAM "
            + "supports NCHW graphs only");
      }
      int c = (int) output.size(1);
      int h = (int) output.size(2);
      int w = (int) output.size(3);
      long n = (long) c * h * w;
      b.addLayer(name + AFFINE, frozenIf(freeze, new ElementWiseMultiplicationLayer.Builder().nIn(n)
          .nOut(n).activation(act).build()), new CnnToFeedForwardPreProcessor(h, w, c), inputs);
      GraphVertex restore = new PreprocessorVertex(new FeedForwardToCnnPreProcessor(h, w, c));
      b.addVertex(name, freeze ? new FrozenVertex(restore) : restore, name + AFFINE);
      double[] sc = perChannel[0].toDoubleVector();
      double[] sh = perChannel[1].toDoubleVector();
      double[] scale = new double[(int) n];
      double[] shift = new double[(int) n];
      for (int i = 0; i < n; i++) {
        scale[i] = sc[i / (h * w)];
        shift[i] = sh[i / (h * w)];
      }
      replacedParams.put(name + AFFINE, new INDArray[] {Nd4j.createFromArray(scale),
          Nd4j.createFromArray(shift)});
    } else {
      throw new IllegalArgumentException("BatchNormalization '" + name + "' on rank-"
          + output.rank() + " activations is not supported by Grad-CAM");
    }
  }

  /**
   * Resizes a {@code [h, w]} map to {@code [height, width]} by bilinear interpolation with
   * half-pixel centres (OpenCV's {@code INTER_LINEAR}, which pytorch-grad-cam uses).
   */
  public static INDArray resizeBilinear(INDArray map, int height, int width) {
    if (map.rank() != 2) {
      throw new IllegalArgumentException("expected a [h, w] map, got " + Arrays.toString(map.shape()));
    }
    int h = (int) map.size(0);
    int w = (int) map.size(1);
    double[][] src = map.castTo(DataType.DOUBLE).toDoubleMatrix();
    double[][] dst = new double[height][width];
    double sy = (double) h / height;
    double sx = (double) w / width;
    for (int y = 0; y < height; y++) {
      double fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
      int y0 = (int) Math.floor(fy);
      int y1 = Math.min(y0 + 1, h - 1);
      double ty = fy - y0;
      for (int x = 0; x < width; x++) {
        double fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
        int x0 = (int) Math.floor(fx);
        int x1 = Math.min(x0 + 1, w - 1);
        double tx = fx - x0;
        double top = src[y0][x0] * (1 - tx) + src[y0][x1] * tx;
        double bottom = src[y1][x0] * (1 - tx) + src[y1][x1] * tx;
        dst[y][x] = top * (1 - ty) + bottom * ty;
      }
    }
    return Nd4j.createFromArray(dst);
  }

  /** Overlays {@code heat} on {@code photo} half and half with the jet colour map. */
  public static BufferedImage overlay(BufferedImage photo, INDArray heat) {
    return overlay(photo, heat, 0.5);
  }

  /**
   * Returns a new RGB image of the photo's size: {@code imageWeight * photo + (1 - imageWeight) *
   * jet(heat)}, as pytorch-grad-cam's {@code show_cam_on_image}; the heat map ({@code [h, w]} in
   * [0, 1]) is resized to the photo when its size differs.
   */
  public static BufferedImage overlay(BufferedImage photo, INDArray heat, double imageWeight) {
    if (heat.rank() != 2) {
      throw new IllegalArgumentException("heat map must be [H, W], got " + Arrays.toString(heat.shape()));
    }
    if (!(imageWeight >= 0 && imageWeight <= 1)) {
      throw new IllegalArgumentException("image weight must be in [0, 1], got " + imageWeight);
    }
    int width = photo.getWidth();
    int height = photo.getHeight();
    INDArray resized = heat.size(0) == height && heat.size(1) == width ? heat
        : resizeBilinear(heat, height, width);
    double[][] hm = resized.castTo(DataType.DOUBLE).toDoubleMatrix();
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = photo.getRGB(x, y);
        int[] jet = jet(hm[y][x]);
        int r = (int) Math.round(imageWeight * ((rgb >> 16) & 0xff) + (1 - imageWeight) * jet[0]);
        int g = (int) Math.round(imageWeight * ((rgb >> 8) & 0xff) + (1 - imageWeight) * jet[1]);
        int bl = (int) Math.round(imageWeight * (rgb & 0xff) + (1 - imageWeight) * jet[2]);
        out.setRGB(x, y, (r << 16) | (g << 8) | bl);
      }
    }
    return out;
  }

  /** The jet colour map: 0 dark blue, 0.5 green-yellow, 1 dark red. */
  static int[] jet(double v) {
    double t = Math.min(Math.max(v, 0), 1);
    double r = clamp(1.5 - Math.abs(4 * t - 3));
    double g = clamp(1.5 - Math.abs(4 * t - 2));
    double b = clamp(1.5 - Math.abs(4 * t - 1));
    return new int[] {(int) Math.round(255 * r), (int) Math.round(255 * g), (int) Math.round(255 * b)};
  }

  private static double clamp(double v) {
    return Math.min(Math.max(v, 0), 1);
  }

  /** Returns the list of vertex names, for error messages and tests. */
  List<String> vertexNames() {
    return new ArrayList<>(graph.getConfiguration().getVertices().keySet());
  }
}

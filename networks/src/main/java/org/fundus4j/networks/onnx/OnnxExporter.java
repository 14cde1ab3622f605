package org.fundus4j.networks.onnx;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.InputPreProcessor;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.Convolution2D;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.Pooling2D;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.networks.onnx.OnnxGraphBuilder.Attribute;
import org.fundus4j.networks.onnx.OnnxGraphBuilder.ValueInfo;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationHardSigmoid;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationSwish;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a DL4J {@link ComputationGraph} as a standard ONNX model for inference.
 *
 * <p>The graph is walked generically in topological order; each vertex becomes one or a few ONNX
 * nodes in the default domain, with the trained parameters as float32 initializers. Inputs are
 * declared {@code [batch, C, height, width]} (or {@code [batch, n]} for feed-forward inputs) with
 * symbolic batch and spatial sizes, so one file serves any batch size and, for fully convolutional
 * graphs or graphs ending in global pooling, any image size. BatchNormalization is exported with
 * its running statistics (inference mode), and output layers with their activation only (the loss
 * is a training concern).
 *
 * <p>Supported: {@code ConvolutionLayer}/{@code Convolution2D} (padding, stride, dilation, bias,
 * {@code Truncate}/{@code Strict}/{@code Same} modes), {@code Deconvolution2D},
 * {@code BatchNormalization} (variance or log10-std storage, locked gamma/beta; like DL4J itself,
 * its activation setting is ignored),
 * {@code SubsamplingLayer} max/avg/pnorm with padding, {@code GlobalPoolingLayer}
 * avg/max/sum/pnorm, {@code DenseLayer}, {@code OutputLayer}, {@code LossLayer},
 * {@code CnnLossLayer}, {@code ActivationLayer}, {@code DropoutLayer}, {@code Upsampling2D},
 * {@code ZeroPaddingLayer}, {@code Cropping2D}, {@code FrozenLayer} and
 * {@code FrozenLayerWithBackprop} (unwrapped), {@code ElementWiseVertex}, {@code MergeVertex},
 * {@code ScaleVertex}, {@code ShiftVertex}, {@code PreprocessorVertex}, {@code FrozenVertex}, the
 * CNN-to-feed-forward and feed-forward-to-CNN preprocessors; activations identity, ReLU (with
 * optional upper bound), leaky ReLU, ELU, sigmoid, hard sigmoid, tanh, softplus, swish and softmax.
 * Anything else fails with an {@link UnsupportedLayerException} naming the vertex. Only NCHW
 * graphs are supported.
 *
 * <pre>{@code
 * ExportSummary s = OnnxExporter.export(graph, Path.of("resnet50.onnx"),
 *     OnnxExportOptions.defaults().withMetadata("normalization.mean", "0.485,0.456,0.406"));
 * try (InferenceBackend ort = new OnnxRuntimeBackend(s.file(), 2)) {
 *   INDArray probabilities = ort.predict(images);   // [N, 3, H, W] -> [N, classes]
 * }
 * }</pre>
 *
 * <p>Format reference: the ONNX specification's {@code onnx.proto} (IR version 7) and operator
 * documents for opset 13.
 */
public final class OnnxExporter {
  /** ONNX IR version written to {@code ModelProto.ir_version} (the IR that introduced opset 13). */
  public static final int IR_VERSION = 7;

  private static final Logger LOG = LoggerFactory.getLogger(OnnxExporter.class);

  /**
   * Largest weight magnitude in quantisation steps: symmetric, 127 steps either side of the zero point.
   */
  static final int WEIGHT_QMAX = 127;

  /**
   * Weights are stored as uint8 with zero point 128 (symmetric, as int8 with 0): ONNX Runtime then runs uint8 x
   * uint8 kernels. Its uint8 x int8 kernels on x86 CPUs without VNNI (AVX2, AVX-512F) add pairs of products in
   * int16 ({@code vpmaddubsw}), which saturates for 255 x 127 x 2 and measurably moved outputs on an AVX2 CPU.
   */
  static final int WEIGHT_ZERO_POINT = 128;

  private static byte[] zeroPoints(int n) {
    byte[] z = new byte[n];
    java.util.Arrays.fill(z, (byte) WEIGHT_ZERO_POINT);
    return z;
  }

  private OnnxExporter() {}

  /** Exports with {@link OnnxExportOptions#defaults()}. */
  public static ExportSummary export(ComputationGraph graph, Path out) {
    return export(graph, out, OnnxExportOptions.defaults());
  }

  /**
   * Exports {@code graph} to {@code out}, replacing the file atomically if it exists.
   *
   * @throws UnsupportedLayerException if a vertex, layer or activation cannot be expressed
   * @throws UncheckedIOException if the file cannot be written
   */
  public static ExportSummary export(ComputationGraph graph, Path out, OnnxExportOptions options) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(options, "options");
    if (graph.getConfiguration() == null || graph.params() == null) {
      throw new IllegalArgumentException("ComputationGraph must be initialised (call init()) before export");
    }
    long start = System.nanoTime();
    Translation t = new Translation(graph, options.additionalOutputs(), options.int8(), options.int8Float());
    t.translate();
    Path absolute = out.toAbsolutePath();
    try {
      AtomicFiles.write(absolute, os -> t.builder.writeModel(os, IR_VERSION, options.opset(), options.graphName(),
          options.docString(), producerVersion(), options.metadata()));
      long bytes = Files.size(absolute);
      LOG.info("Exported {} vertices, {} parameters to ONNX opset {} ({} bytes) in {} ms",
          t.order.size(), t.builder.parameterCount(), options.opset(), bytes,
          (System.nanoTime() - start) / 1_000_000);
      return new ExportSummary(absolute, options.opset(), t.inputNames, t.outputNames,
          t.builder.parameterCount(), t.builder.opCounts(), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  private static String producerVersion() {
    String v = OnnxExporter.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /**
   * The vertices and graph inputs whose outputs an int8 export ({@link OnnxExportOptions#withInt8})
   * quantises, in topological order: every input of a convolution, element-wise {@code Add}, max
   * pooling or global average pooling vertex. {@link org.fundus4j.networks.inference.StaticQuantization#calibrate} measures these.
   */
  public static List<String> quantizedTensors(ComputationGraph graph) {
    return quantizedTensors(graph.getConfiguration());
  }

  /** {@link #quantizedTensors(ComputationGraph)} of a graph's configuration. */
  public static List<String> quantizedTensors(ComputationGraphConfiguration conf) {
    java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
    for (String name : conf.getTopologicalOrderStr()) {
      GraphVertex v = conf.getVertices().get(name);
      if (v != null && quantizesInputs(v)) {
        names.addAll(conf.getVertexInputs().get(name));
      }
    }
    List<String> ordered = new ArrayList<>();
    for (String name : conf.getTopologicalOrderStr()) {
      if (names.contains(name)) {
        ordered.add(name);
      }
    }
    return ordered;
  }

  /**
   * The 8-bit rounding of an int8 export's convolution weights, per output channel and symmetric: {@code scale =
   * max|w| / 127} over the channel (1 if it is all 0) and {@code q = clamp(round(w / scale), -127, 127)}.
   *
   * @param w weights, output channel first ({@code [out, ...]} in row-major order)
   * @param q receives the integers, as long as {@code w}
   * @return the scale of each output channel
   */
  public static float[] int8Weights(float[] w, int out, int[] q) {
    if (out < 1 || w.length % out != 0 || q.length != w.length) {
      throw new IllegalArgumentException("int8 weights need " + w.length + " values in " + out + " channels and as "
          + "many integers, got " + q.length);
    }
    int per = w.length / out;
    float[] scale = new float[out];
    for (int o = 0; o < out; o++) {
      float max = 0f;
      for (int j = 0; j < per; j++) {
        max = Math.max(max, Math.abs(w[o * per + j]));
      }
      scale[o] = max > 0 ? max / WEIGHT_QMAX : 1f;
      for (int j = 0; j < per; j++) {
        q[o * per + j] = Math.max(-WEIGHT_QMAX, Math.min(WEIGHT_QMAX, Math.round(w[o * per + j] / scale[o])));
      }
    }
    return scale;
  }

  /**
   * The range an int8 export quantises {@code tensor} (one of {@link #quantizedTensors}) with: its calibrated one,
   * except that a max pooling keeps its input's range, so ONNX Runtime runs it on uint8 directly.
   */
  public static ActivationRanges.Range quantizationRange(ComputationGraphConfiguration conf, ActivationRanges ranges,
      String tensor) {
    GraphVertex v = conf.getVertices().get(tensor);
    if (v != null && unwrap(v) instanceof LayerVertex lv && lv.getPreProcessor() == null
        && unwrap(lv.getLayerConf().getLayer()) instanceof SubsamplingLayer sub
        && sub.getPoolingType() == PoolingType.MAX) {
      return quantizationRange(conf, ranges, conf.getVertexInputs().get(tensor).get(0));
    }
    return ranges.get(tensor);
  }

  /**
   * Whether an int8 export reads the inputs of vertex {@code name} through {@code QuantizeLinear ->
   * DequantizeLinear} (those of its inputs that are not kept in float32).
   */
  public static boolean quantizesInputs(ComputationGraphConfiguration conf, String name) {
    GraphVertex v = conf.getVertices().get(name);
    return v != null && quantizesInputs(v);
  }

  /** Whether an int8 export puts {@code QuantizeLinear -> DequantizeLinear} on the inputs of {@code vertex}. */
  private static boolean quantizesInputs(GraphVertex vertex) {
    GraphVertex v = unwrap(vertex);
    if (v instanceof ElementWiseVertex ew) {
      return ew.getOp() == ElementWiseVertex.Op.Add;
    }
    if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null) {
      return false;
    }
    Layer layer = unwrap(lv.getLayerConf().getLayer());
    Class<?> type = layer.getClass();
    return type == ConvolutionLayer.class || type == Convolution2D.class
        || ((type == SubsamplingLayer.class || type == Pooling2D.class)
            && ((SubsamplingLayer) layer).getPoolingType() == PoolingType.MAX)
        || (type == GlobalPoolingLayer.class && ((GlobalPoolingLayer) layer).getPoolingType() == PoolingType.AVG);
  }

  /**
   * A tensor in the ONNX graph: its name, rank, channel count ({@code -1} if unknown) and, for the output
   * of a {@code DequantizeLinear}, its quantisation scale ({@code NaN} otherwise).
   */
  private record Tensor(String name, int rank, long channels, float scale) {
    Tensor(String name, int rank, long channels) {
      this(name, rank, channels, Float.NaN);
    }

    boolean quantized() {
      return !Float.isNaN(scale);
    }
  }

  /** State of one export: the builder and the ONNX tensor produced by each DL4J vertex. */
  private static final class Translation {
    private final ComputationGraph graph;
    private final ComputationGraphConfiguration conf;
    private final OnnxGraphBuilder builder = new OnnxGraphBuilder();
    private final Map<String, Tensor> produced = new HashMap<>();
    private final List<String> order;
    private final List<String> inputNames;
    private final List<String> outputNames;
    /** Activation ranges of an int8 export, or {@code null}. */
    private final ActivationRanges int8;
    /** Tensors an int8 export leaves in float32. */
    private final java.util.Set<String> keepFloat;
    /** Convolution vertex to the BatchNorm vertex folded into it (int8 exports). */
    private final Map<String, String> foldedInto = new HashMap<>();
    /** DequantizeLinear output per quantised source vertex, shared by all its consumers. */
    private final Map<String, Tensor> dequantized = new HashMap<>();

    Translation(ComputationGraph graph, List<String> additionalOutputs, ActivationRanges int8,
        java.util.Set<String> keepFloat) {
      this.graph = graph;
      this.int8 = int8;
      this.keepFloat = keepFloat;
      this.conf = graph.getConfiguration();
      if (!keepFloat.isEmpty()) {
        List<String> quantized = quantizedTensors(graph);
        for (String k : keepFloat) {
          if (!quantized.contains(k)) {
            throw new IllegalArgumentException("Tensor '" + k + "' kept in float32 is not one an int8 export "
                + "quantises; expected one of OnnxExporter.quantizedTensors (" + quantized.size() + " tensors)");
          }
        }
      }
      this.order = conf.getTopologicalOrderStr();
      this.inputNames = List.copyOf(conf.getNetworkInputs());
      List<String> outputs = new ArrayList<>(conf.getNetworkOutputs());
      for (String extra : additionalOutputs) {
        if (!conf.getVertices().containsKey(extra)) {
          throw new IllegalArgumentException("Additional output '" + extra + "' is not a vertex of the graph");
        }
        if (!outputs.contains(extra)) {
          outputs.add(extra);
        }
      }
      this.outputNames = List.copyOf(outputs);
      if (int8 != null) {
        findFoldableBatchNorms();
      }
    }

    /**
     * Convolutions (identity activation, not a graph output) whose only consumer is a BatchNorm layer
     * fed by nothing else: their BatchNorm is folded into the weights, as integer kernels need.
     */
    private void findFoldableBatchNorms() {
      Map<String, List<String>> consumers = new HashMap<>();
      conf.getVertexInputs().forEach((v, ins) -> ins.forEach(i -> consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(v)));
      for (String name : order) {
        GraphVertex v = unwrap(conf.getVertices().get(name));
        List<String> users = consumers.getOrDefault(name, List.of());
        if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null || users.size() != 1
            || outputNames.contains(name)) {
          continue;
        }
        Layer layer = unwrap(lv.getLayerConf().getLayer());
        boolean conv = (layer.getClass() == ConvolutionLayer.class || layer.getClass() == Convolution2D.class)
            && (((ConvolutionLayer) layer).getActivationFn() == null
                || ((ConvolutionLayer) layer).getActivationFn() instanceof ActivationIdentity);
        String user = users.get(0);
        GraphVertex u = unwrap(conf.getVertices().get(user));
        if (conv && u instanceof LayerVertex ulv && ulv.getPreProcessor() == null
            && unwrap(ulv.getLayerConf().getLayer()).getClass() == BatchNormalization.class
            && conf.getVertexInputs().get(user).size() == 1) {
          foldedInto.put(name, user);
        }
      }
    }

    /** {@code QuantizeLinear -> DequantizeLinear} on the output of {@code source}, made once per source. */
    private Tensor dequantized(String source, Tensor t) {
      Tensor cached = dequantized.get(source);
      if (cached != null) {
        return cached;
      }
      ActivationRanges.Range range = rangeOf(source);
      float scale = range.uint8Scale();
      String s = builder.floatInitializer(source + ".q_scale", new long[0], new float[] {scale});
      String zp = builder.byteInitializer(source + ".q_zero_point", new long[0], OnnxGraphBuilder.DATA_TYPE_UINT8,
          new byte[] {(byte) range.uint8ZeroPoint()});
      String q = builder.node("QuantizeLinear", source + "/QuantizeLinear", List.of(t.name(), s, zp),
          List.of(source + "/quantized"));
      String dq = builder.node("DequantizeLinear", source + "/DequantizeLinear", List.of(q, s, zp),
          List.of(source + "/dequantized"));
      Tensor out = new Tensor(dq, t.rank(), t.channels(), scale);
      dequantized.put(source, out);
      return out;
    }

    private ActivationRanges.Range rangeOf(String source) {
      return quantizationRange(conf, int8, source);
    }

    void translate() {
      boolean singleInput = inputNames.size() == 1;
      for (int k = 0; k < inputNames.size(); k++) {
        declareInput(inputNames.get(k), k, singleInput);
      }
      for (String name : order) {
        if (inputNames.contains(name)) {
          continue;
        }
        GraphVertex vertex = conf.getVertices().get(name);
        boolean quantize = int8 != null && quantizesInputs(vertex);
        List<Tensor> in = new ArrayList<>();
        for (String src : conf.getVertexInputs().get(name)) {
          Tensor t = Objects.requireNonNull(produced.get(src), () -> "vertex " + src + " not yet produced");
          in.add(quantize && !keepFloat.contains(src) ? dequantized(src, t) : t);
        }
        produced.put(name, vertex(name, vertex, in));
      }
      for (String name : outputNames) {
        Tensor t = produced.get(name);
        if (!t.name().equals(name)) {
          builder.node("Identity", name + "/output", List.of(t.name()), List.of(name));
        }
        List<Object> dims = new ArrayList<>();
        dims.add("batch");
        dims.add(t.channels() >= 0 ? (Object) t.channels() : null);
        for (int d = 2; d < t.rank(); d++) {
          dims.add(null);
        }
        builder.output(new ValueInfo(name, dims));
      }
    }

    private void declareInput(String name, int index, boolean singleInput) {
      // The configuration does not keep the builder's InputTypes: infer rank/channels from consumers.
      long[] inferred = inferInputFromConsumers(name);
      int rank = (int) inferred[0];
      long channels = inferred[1];
      List<Object> dims = new ArrayList<>();
      dims.add("batch");
      dims.add(channels >= 0 ? (Object) channels : null);
      if (rank == 4) {
        dims.add(singleInput ? "height" : name + "_height");
        dims.add(singleInput ? "width" : name + "_width");
      }
      builder.input(new ValueInfo(name, dims));
      produced.put(name, new Tensor(name, rank, channels));
    }

    /** Without InputTypes: a graph input consumed by a convolution is NCHW, by a dense layer 2-D. */
    private long[] inferInputFromConsumers(String input) {
      for (Map.Entry<String, List<String>> e : conf.getVertexInputs().entrySet()) {
        if (!e.getValue().contains(input)) {
          continue;
        }
        GraphVertex v = unwrap(conf.getVertices().get(e.getKey()));
        if (v instanceof LayerVertex lv && lv.getPreProcessor() == null) {
          Layer layer = unwrap(lv.getLayerConf().getLayer());
          if (layer instanceof ConvolutionLayer c) {
            return new long[] {4, c.getNIn()};
          }
          if (layer instanceof SubsamplingLayer || layer instanceof ZeroPaddingLayer
              || layer instanceof Upsampling2D || layer instanceof Cropping2D) {
            return new long[] {4, -1};
          }
          if (layer instanceof DenseLayer || layer instanceof OutputLayer) {
            return new long[] {2, ((FeedForwardLayer) layer).getNIn()};
          }
        }
      }
      throw new UnsupportedLayerException(input, "cannot infer the input's rank: the graph input must feed "
          + "a convolution, pooling, padding, upsampling or dense layer directly");
    }

    private Tensor vertex(String name, GraphVertex vertex, List<Tensor> in) {
      GraphVertex v = unwrap(vertex);
      if (v instanceof LayerVertex lv) {
        Tensor x = single(name, in);
        if (lv.getPreProcessor() != null) {
          x = preprocess(name, lv.getPreProcessor(), x);
        }
        return layer(name, unwrap(lv.getLayerConf().getLayer()), x);
      }
      if (v instanceof ElementWiseVertex ew) {
        return elementWise(name, ew.getOp(), in);
      }
      if (v instanceof MergeVertex merge) {
        long channels = 0;
        for (Tensor t : in) {
          channels = channels < 0 || t.channels() < 0 ? -1 : channels + t.channels();
        }
        int axis = merge.getMergeAxis();
        if (axis != 1) {
          throw new UnsupportedLayerException(name, "MergeVertex along axis " + axis
              + " is not supported (only the channel axis 1)");
        }
        return out(builder.node("Concat", name, names(in), List.of(name), Attribute.ofInt("axis", 1)),
            in.get(0).rank(), channels);
      }
      if (v instanceof ScaleVertex scale) {
        Tensor x = single(name, in);
        String c = builder.floatInitializer(name + ".scale", new long[0],
            new float[] {(float) scale.getScaleFactor()});
        return out(builder.node("Mul", name, List.of(x.name(), c), List.of(name)), x.rank(), x.channels());
      }
      if (v instanceof ShiftVertex shift) {
        Tensor x = single(name, in);
        String c = builder.floatInitializer(name + ".shift", new long[0],
            new float[] {(float) shift.getShiftFactor()});
        return out(builder.node("Add", name, List.of(x.name(), c), List.of(name)), x.rank(), x.channels());
      }
      if (v instanceof PreprocessorVertex pv) {
        Tensor x = preprocess(name, pv.getPreProcessor(), single(name, in));
        if (!x.name().equals(name)) {
          builder.node("Identity", name, List.of(x.name()), List.of(name));
        }
        return new Tensor(name, x.rank(), x.channels());
      }
      throw new UnsupportedLayerException(name, "graph vertex type "
          + vertex.getClass().getSimpleName() + " is not supported");
    }

    private Tensor layer(String name, Layer layer, Tensor x) {
      Class<?> type = layer.getClass();
      if (type == ConvolutionLayer.class || type == Convolution2D.class) {
        return convolution(name, (ConvolutionLayer) layer, x);
      }
      if (type == Deconvolution2D.class) {
        return deconvolution(name, (Deconvolution2D) layer, x);
      }
      if (type == BatchNormalization.class) {
        return batchNorm(name, (BatchNormalization) layer, x);
      }
      if (type == SubsamplingLayer.class || type == Pooling2D.class) {
        return subsampling(name, (SubsamplingLayer) layer, x);
      }
      if (type == GlobalPoolingLayer.class) {
        return globalPooling(name, (GlobalPoolingLayer) layer, x);
      }
      if (type == DenseLayer.class || type == OutputLayer.class) {
        if (type == DenseLayer.class && ((DenseLayer) layer).isHasLayerNorm()) {
          throw new UnsupportedLayerException(name, "DenseLayer with layer normalisation is not supported");
        }
        return dense(name, (FeedForwardLayer) layer, x);
      }
      if (type == ActivationLayer.class) {
        return activation(name, ((ActivationLayer) layer).getActivationFn(), x, name);
      }
      if (type == LossLayer.class || type == CnnLossLayer.class) {
        if (layer instanceof CnnLossLayer cnn && cnn.getFormat() != CNN2DFormat.NCHW) {
          throw nhwc(name, layer);
        }
        return activation(name, ((BaseLayer) layer).getActivationFn(), x, name);
      }
      if (type == DropoutLayer.class) {
        return out(builder.node("Identity", name, List.of(x.name()), List.of(name)), x.rank(), x.channels());
      }
      if (type == Upsampling2D.class) {
        return upsampling(name, (Upsampling2D) layer, x);
      }
      if (type == ZeroPaddingLayer.class) {
        ZeroPaddingLayer zp = (ZeroPaddingLayer) layer;
        if (zp.getDataFormat() != CNN2DFormat.NCHW) {
          throw nhwc(name, layer);
        }
        int[] p = zp.getPadding(); // top, bottom, left, right
        String pads = builder.int64Initializer(name + ".pads", 0, 0, p[0], p[2], 0, 0, p[1], p[3]);
        return out(builder.node("Pad", name, List.of(x.name(), pads), List.of(name),
            Attribute.ofString("mode", "constant")), 4, x.channels());
      }
      if (type == Cropping2D.class) {
        Cropping2D crop = (Cropping2D) layer;
        if (crop.getDataFormat() != CNN2DFormat.NCHW) {
          throw nhwc(name, layer);
        }
        int[] c = crop.getCropping(); // top, bottom, left, right
        String starts = builder.int64Initializer(name + ".starts", c[0], c[2]);
        String ends = builder.int64Initializer(name + ".ends",
            c[1] == 0 ? Long.MAX_VALUE : -c[1], c[3] == 0 ? Long.MAX_VALUE : -c[3]);
        String axes = builder.int64Initializer(name + ".axes", 2, 3);
        return out(builder.node("Slice", name, List.of(x.name(), starts, ends, axes), List.of(name)),
            4, x.channels());
      }
      throw new UnsupportedLayerException(name, "layer type " + type.getName() + " is not supported");
    }

    private Tensor convolution(String name, ConvolutionLayer c, Tensor x) {
      requireRank(name, c, x, 4);
      if (c.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
        throw nhwc(name, c);
      }
      Map<String, INDArray> p = params(name);
      String bnName = foldedInto.get(name);
      List<String> inputs = new ArrayList<>(List.of(x.name()));
      if (bnName == null && !x.quantized()) {
        inputs.add(weight(name, "W", p));
        if (c.hasBias()) {
          inputs.add(bias(name, "b", p));
        }
      } else {
        inputs.addAll(foldedQuantizedWeights(name, c, p, bnName, x));
      }
      List<Attribute> attrs = new ArrayList<>();
      attrs.add(Attribute.ofInts("kernel_shape", c.getKernelSize()));
      attrs.add(Attribute.ofInts("strides", c.getStride()));
      attrs.add(Attribute.ofInts("dilations", c.getDilation()));
      attrs.add(Attribute.ofInt("group", 1));
      attrs.add(padding(name, c, c.getConvolutionMode(), c.getPadding()));
      String y = builder.node("Conv", name + "/Conv", inputs, List.of(bnName != null ? bnName : name + "/conv"),
          attrs.toArray(Attribute[]::new));
      return activation(name, c.getActivationFn(), new Tensor(y, 4, c.getNOut()), name);
    }

    /**
     * Weight and bias inputs of a convolution whose BatchNorm {@code bnName} (may be {@code null}) is
     * folded in ({@code W' = W gamma / sqrt(var + eps)}, {@code b' = (b - mean) gamma / sqrt(var + eps)
     * + beta}) and, if its input {@code x} is quantised, the weights 8-bit per output channel (uint8 around 128)
     * ({@code scale = max|W'| / 127}, stored uint8 around zero point 128: {@link #WEIGHT_ZERO_POINT}) and the bias int32 with scale {@code x.scale * weight scale}.
     */
    private List<String> foldedQuantizedWeights(String name, ConvolutionLayer c, Map<String, INDArray> p,
        String bnName, Tensor x) {
      INDArray wArray = param(name, "W", p);
      long[] wShape = wArray.shape();
      float[] w = toFloats(wArray);
      int out = (int) wShape[0];
      int per = w.length / out;
      double[] b = new double[out];
      if (c.hasBias()) {
        float[] b0 = floats(name, "b", p);
        for (int o = 0; o < out; o++) {
          b[o] = b0[o];
        }
      }
      if (bnName != null) {
        BatchNormalization bn = (BatchNormalization) unwrap(
            ((LayerVertex) unwrap(conf.getVertices().get(bnName))).getLayerConf().getLayer());
        float[][] gbmv = batchNormParameters(bnName, bn);
        for (int o = 0; o < out; o++) {
          double k = gbmv[0][o] / Math.sqrt(gbmv[3][o] + bn.getEps());
          for (int j = 0; j < per; j++) {
            w[o * per + j] = (float) (w[o * per + j] * k);
          }
          b[o] = (b[o] - gbmv[2][o]) * k + gbmv[1][o];
        }
      }
      boolean withBias = bnName != null || c.hasBias();
      if (!x.quantized()) {
        List<String> names = new ArrayList<>(List.of(builder.floatInitializer(name + ".W", wShape, w)));
        if (withBias) {
          float[] bf = new float[out];
          for (int o = 0; o < out; o++) {
            bf[o] = (float) b[o];
          }
          names.add(builder.floatInitializer(name + ".b", new long[] {out}, bf));
        }
        return names;
      }
      int[] q = new int[w.length];
      float[] wScale = int8Weights(w, out, q);
      byte[] wq = new byte[w.length];
      for (int i = 0; i < w.length; i++) {
        wq[i] = (byte) (WEIGHT_ZERO_POINT + q[i]);
      }
      long[] perChannel = {out};
      String wDq = builder.node("DequantizeLinear", name + "/W/DequantizeLinear", List.of(
          builder.byteInitializer(name + ".W_quantized", wShape, OnnxGraphBuilder.DATA_TYPE_UINT8, wq),
          builder.floatInitializer(name + ".W_scale", perChannel, wScale),
          builder.byteInitializer(name + ".W_zero_point", perChannel, OnnxGraphBuilder.DATA_TYPE_UINT8, zeroPoints(out))),
          List.of(name + ".W_dequantized"), Attribute.ofInt("axis", 0));
      if (!withBias) {
        return List.of(wDq);
      }
      float[] bScale = new float[out];
      int[] bq = new int[out];
      for (int o = 0; o < out; o++) {
        bScale[o] = x.scale() * wScale[o];
        bq[o] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round(b[o] / bScale[o])));
      }
      String bDq = builder.node("DequantizeLinear", name + "/b/DequantizeLinear", List.of(
          builder.int32Initializer(name + ".b_quantized", perChannel, bq),
          builder.floatInitializer(name + ".b_scale", perChannel, bScale),
          builder.int32Initializer(name + ".b_zero_point", perChannel, new int[out])),
          List.of(name + ".b_dequantized"), Attribute.ofInt("axis", 0));
      return List.of(wDq, bDq);
    }

    private Tensor deconvolution(String name, Deconvolution2D d, Tensor x) {
      requireRank(name, d, x, 4);
      if (d.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
        throw nhwc(name, d);
      }
      Map<String, INDArray> p = params(name);
      // DL4J stores deconvolution weights as [nIn, nOut, kH, kW], ONNX ConvTranspose's own layout.
      List<String> inputs = new ArrayList<>(List.of(x.name(), weight(name, "W", p)));
      if (d.hasBias()) {
        inputs.add(bias(name, "b", p));
      }
      String y = builder.node("ConvTranspose", name + "/ConvTranspose", inputs, List.of(name + "/deconv"),
          Attribute.ofInts("kernel_shape", d.getKernelSize()),
          Attribute.ofInts("strides", d.getStride()),
          Attribute.ofInts("dilations", d.getDilation()),
          padding(name, d, d.getConvolutionMode(), d.getPadding()));
      return activation(name, d.getActivationFn(), new Tensor(y, 4, d.getNOut()), name);
    }

    private Attribute padding(String name, Layer layer, ConvolutionMode mode, int[] pad) {
      if (mode == ConvolutionMode.Same) {
        // DL4J puts the odd extra padding at the bottom/right, like TensorFlow: SAME_UPPER.
        return Attribute.ofString("auto_pad", "SAME_UPPER");
      }
      if (mode == ConvolutionMode.Truncate || mode == ConvolutionMode.Strict) {
        return Attribute.ofInts("pads", pad[0], pad[1], pad[0], pad[1]);
      }
      throw new UnsupportedLayerException(name, "convolution mode " + mode + " of "
          + layer.getClass().getSimpleName() + " is not supported (use Truncate, Strict or Same)");
    }

    private Tensor batchNorm(String name, BatchNormalization bn, Tensor x) {
      if (x.rank() == 4 && bn.getCnn2DFormat() != CNN2DFormat.NCHW) {
        throw nhwc(name, bn);
      }
      if (x.rank() != 2 && x.rank() != 4) {
        throw new UnsupportedLayerException(name, "BatchNormalization on rank-" + x.rank() + " input");
      }
      if (foldedInto.containsValue(name)) {
        return x; // folded into the convolution that produced x
      }
      float[][] gbmv = batchNormParameters(name, bn);
      int n = gbmv[0].length;
      long[] shape = {n};
      List<String> inputs = List.of(x.name(),
          builder.floatInitializer(name + ".gamma", shape, gbmv[0]),
          builder.floatInitializer(name + ".beta", shape, gbmv[1]),
          builder.floatInitializer(name + ".mean", shape, gbmv[2]),
          builder.floatInitializer(name + ".var", shape, gbmv[3]));
      // DL4J 1.0.0-M2.1 never applies a BatchNormalization layer's activation function (activate()
      // returns preOutput()), although the builder accepts one: neither do we.
      String y = builder.node("BatchNormalization", name, inputs, List.of(name),
          Attribute.ofFloat("epsilon", (float) bn.getEps()));
      return new Tensor(y, x.rank(), n);
    }

    /** gamma, beta, running mean and running variance of a BatchNorm layer, in that order. */
    private float[][] batchNormParameters(String name, BatchNormalization bn) {
      Map<String, INDArray> p = params(name);
      int n = (int) bn.getNOut();
      float[] gamma;
      float[] beta;
      if (bn.isLockGammaBeta()) {
        gamma = new float[n];
        beta = new float[n];
        Arrays.fill(gamma, (float) bn.getGamma());
        Arrays.fill(beta, (float) bn.getBeta());
      } else {
        gamma = floats(name, "gamma", p);
        beta = floats(name, "beta", p);
      }
      float[] mean = floats(name, "mean", p);
      float[] var;
      if (bn.isUseLogStd()) {
        // Since 1.0.0-beta4 DL4J stores log10(std) by default; inference uses var = (10^s)^2.
        float[] log10std = floats(name, "log10stdev", p);
        var = new float[n];
        for (int k = 0; k < n; k++) {
          double std = Math.pow(10.0, log10std[k]);
          var[k] = (float) (std * std);
        }
      } else {
        var = floats(name, "var", p);
      }
      return new float[][] {gamma, beta, mean, var};
    }

    private Tensor subsampling(String name, SubsamplingLayer s, Tensor x) {
      requireRank(name, s, x, 4);
      if (s.getCnn2dDataFormat() != CNN2DFormat.NCHW) {
        throw nhwc(name, s);
      }
      List<Attribute> attrs = new ArrayList<>();
      attrs.add(Attribute.ofInts("kernel_shape", s.getKernelSize()));
      attrs.add(Attribute.ofInts("strides", s.getStride()));
      attrs.add(padding(name, s, s.getConvolutionMode(), s.getPadding()));
      boolean dilated = s.getDilation()[0] != 1 || s.getDilation()[1] != 1;
      String op;
      PoolingType type = s.getPoolingType();
      switch (type) {
        case MAX -> {
          op = "MaxPool";
          if (dilated) {
            attrs.add(Attribute.ofInts("dilations", s.getDilation()));
          }
        }
        case AVG -> {
          op = "AveragePool";
          attrs.add(Attribute.ofInt("count_include_pad", s.isAvgPoolIncludePadInDivisor() ? 1 : 0));
        }
        case PNORM -> {
          op = "LpPool";
          attrs.add(Attribute.ofInt("p", s.getPnorm()));
        }
        default -> throw new UnsupportedLayerException(name, "pooling type " + type + " is not supported");
      }
      if (dilated && type != PoolingType.MAX) {
        throw new UnsupportedLayerException(name, "dilated " + type + " pooling is not supported");
      }
      String y = builder.node(op, name, List.of(x.name()), List.of(name), attrs.toArray(Attribute[]::new));
      return new Tensor(y, 4, x.channels());
    }

    private Tensor globalPooling(String name, GlobalPoolingLayer g, Tensor x) {
      requireRank(name, g, x, 4);
      int[] dims = g.getPoolingDimensions();
      if (dims != null && !(dims.length == 2 && dims[0] == 2 && dims[1] == 3)) {
        throw new UnsupportedLayerException(name, "global pooling over dimensions " + Arrays.toString(dims)
            + " is not supported (only [2, 3] of NCHW)");
      }
      String pooled = name + "/pool";
      switch (g.getPoolingType()) {
        case AVG -> builder.node("GlobalAveragePool", pooled, List.of(x.name()), List.of(pooled));
        case MAX -> builder.node("GlobalMaxPool", pooled, List.of(x.name()), List.of(pooled));
        case PNORM -> builder.node("GlobalLpPool", pooled, List.of(x.name()), List.of(pooled),
            Attribute.ofInt("p", g.getPnorm()));
        case SUM -> builder.node("ReduceSum", pooled,
            List.of(x.name(), builder.int64Initializer(name + ".axes", 2, 3)), List.of(pooled),
            Attribute.ofInt("keepdims", 1));
        default -> throw new UnsupportedLayerException(name, "global pooling type "
            + g.getPoolingType() + " is not supported");
      }
      if (!g.isCollapseDimensions()) {
        return new Tensor(pooled, 4, x.channels());
      }
      return out(builder.node("Flatten", name, List.of(pooled), List.of(name), Attribute.ofInt("axis", 1)),
          2, x.channels());
    }

    private Tensor dense(String name, FeedForwardLayer layer, Tensor x) {
      requireRank(name, layer, x, 2);
      Map<String, INDArray> p = params(name);
      // DL4J dense weights are [nIn, nOut]: y = x W + b, i.e. Gemm without transposition.
      String w = weight(name, "W", p);
      boolean hasBias = layer instanceof DenseLayer d ? d.hasBias() : ((BaseOutputLayer) layer).hasBias();
      String y;
      if (hasBias) {
        y = builder.node("Gemm", name + "/Gemm", List.of(x.name(), w, bias(name, "b", p)),
            List.of(name + "/linear"));
      } else {
        y = builder.node("MatMul", name + "/MatMul", List.of(x.name(), w), List.of(name + "/linear"));
      }
      return activation(name, ((BaseLayer) layer).getActivationFn(), new Tensor(y, 2, layer.getNOut()), name);
    }

    private Tensor upsampling(String name, Upsampling2D u, Tensor x) {
      requireRank(name, u, x, 4);
      if (u.getFormat() != CNN2DFormat.NCHW) {
        throw nhwc(name, u);
      }
      int[] size = u.getSize();
      String scales = builder.floatInitializer(name + ".scales", new long[] {4},
          new float[] {1f, 1f, size[0], size[size.length > 1 ? 1 : 0]});
      // Nearest-neighbour repeat: out[i] = in[floor(i / s)], which is Resize's asymmetric + floor.
      String y = builder.node("Resize", name, List.of(x.name(), "", scales), List.of(name),
          Attribute.ofString("mode", "nearest"),
          Attribute.ofString("coordinate_transformation_mode", "asymmetric"),
          Attribute.ofString("nearest_mode", "floor"));
      return new Tensor(y, 4, x.channels());
    }

    private Tensor elementWise(String name, ElementWiseVertex.Op op, List<Tensor> in) {
      if (in.size() < 2) {
        throw new UnsupportedLayerException(name, "ElementWiseVertex needs at least 2 inputs, got " + in.size());
      }
      int rank = in.get(0).rank();
      long channels = in.get(0).channels();
      String onnxOp = switch (op) {
        case Add -> in.size() == 2 ? "Add" : "Sum";
        case Subtract -> "Sub";
        case Product -> "Mul";
        case Average -> "Mean";
        case Max -> "Max";
      };
      if (op == ElementWiseVertex.Op.Subtract && in.size() != 2) {
        throw new UnsupportedLayerException(name, "Subtract needs exactly 2 inputs, got " + in.size());
      }
      if (op == ElementWiseVertex.Op.Product && in.size() > 2) {
        String acc = in.get(0).name();
        for (int k = 1; k < in.size(); k++) {
          String o = k == in.size() - 1 ? name : name + "/mul" + k;
          acc = builder.node("Mul", name + "/Mul" + k, List.of(acc, in.get(k).name()), List.of(o));
        }
        return new Tensor(acc, rank, channels);
      }
      return out(builder.node(onnxOp, name, names(in), List.of(name)), rank, channels);
    }

    private Tensor preprocess(String name, InputPreProcessor pre, Tensor x) {
      if (pre instanceof CnnToFeedForwardPreProcessor cnn) {
        if (cnn.getFormat() != CNN2DFormat.NCHW) {
          throw new UnsupportedLayerException(name, "CnnToFeedForwardPreProcessor with format " + cnn.getFormat());
        }
        requireRank(name, null, x, 4);
        long c = cnn.getNumChannels() * cnn.getInputHeight() * cnn.getInputWidth();
        String y = builder.node("Flatten", name + "/flatten", List.of(x.name()), List.of(name + "/flat"),
            Attribute.ofInt("axis", 1));
        return new Tensor(y, 2, c > 0 ? c : -1);
      }
      if (pre instanceof FeedForwardToCnnPreProcessor ff) {
        requireRank(name, null, x, 2);
        String shape = builder.int64Initializer(name + ".shape",
            -1, ff.getNumChannels(), ff.getInputHeight(), ff.getInputWidth());
        String y = builder.node("Reshape", name + "/reshape", List.of(x.name(), shape),
            List.of(name + "/cnn"));
        return new Tensor(y, 4, ff.getNumChannels());
      }
      throw new UnsupportedLayerException(name, "input preprocessor " + pre.getClass().getSimpleName()
          + " is not supported");
    }

    /** Applies {@code fn}; the last node's output is named {@code outName} unless fn is identity. */
    private Tensor activation(String name, IActivation fn, Tensor x, String outName) {
      if (fn == null || fn instanceof ActivationIdentity) {
        return x;
      }
      List<String> in = List.of(x.name());
      List<String> out = List.of(outName);
      String node = name + "/" + fn.getClass().getSimpleName().replace("Activation", "");
      String y;
      if (fn instanceof ActivationReLU relu) {
        boolean plain = isZero(relu.getThreshold()) && isZero(relu.getNegativeSlope());
        if (!plain) {
          throw new UnsupportedLayerException(name, "ReLU with threshold " + relu.getThreshold()
              + " / negative slope " + relu.getNegativeSlope() + " is not supported");
        }
        if (relu.getMax() == null || relu.getMax() == 0.0) {
          y = builder.node("Relu", node, in, out);
        } else {
          String lo = builder.floatInitializer(name + ".clip_min", new long[0], new float[] {0f});
          String hi = builder.floatInitializer(name + ".clip_max", new long[0],
              new float[] {relu.getMax().floatValue()});
          y = builder.node("Clip", node, List.of(x.name(), lo, hi), out);
        }
      } else if (fn instanceof ActivationLReLU lrelu) {
        y = builder.node("LeakyRelu", node, in, out, Attribute.ofFloat("alpha", (float) lrelu.getAlpha()));
      } else if (fn instanceof ActivationELU elu) {
        y = builder.node("Elu", node, in, out, Attribute.ofFloat("alpha", (float) elu.getAlpha()));
      } else if (fn instanceof ActivationSigmoid) {
        y = builder.node("Sigmoid", node, in, out);
      } else if (fn instanceof ActivationHardSigmoid) {
        y = builder.node("HardSigmoid", node, in, out,
            Attribute.ofFloat("alpha", 0.2f), Attribute.ofFloat("beta", 0.5f));
      } else if (fn instanceof ActivationTanH) {
        y = builder.node("Tanh", node, in, out);
      } else if (fn instanceof ActivationSoftPlus) {
        y = builder.node("Softplus", node, in, out);
      } else if (fn instanceof ActivationSwish) {
        String s = builder.node("Sigmoid", node + "/Sigmoid", in, List.of(name + "/sigmoid"));
        y = builder.node("Mul", node, List.of(x.name(), s), out);
      } else if (fn instanceof ActivationSoftmax) {
        // DL4J applies softmax over the class/channel dimension: 2-D [N, C], or per pixel in CnnLossLayer.
        y = builder.node("Softmax", node, in, out, Attribute.ofInt("axis", 1));
      } else {
        throw new UnsupportedLayerException(name, "activation " + fn + " ("
            + fn.getClass().getSimpleName() + ") is not supported");
      }
      return new Tensor(y, x.rank(), x.channels());
    }

    private Map<String, INDArray> params(String name) {
      return graph.getLayer(name).paramTable();
    }

    private String weight(String name, String key, Map<String, INDArray> p) {
      INDArray w = param(name, key, p);
      return builder.floatInitializer(name + "." + key, w.shape(), toFloats(w));
    }

    private String bias(String name, String key, Map<String, INDArray> p) {
      INDArray b = param(name, key, p);
      return builder.floatInitializer(name + "." + key, new long[] {b.length()}, toFloats(b));
    }

    private float[] floats(String name, String key, Map<String, INDArray> p) {
      return toFloats(param(name, key, p));
    }

    private static INDArray param(String name, String key, Map<String, INDArray> p) {
      INDArray a = p.get(key);
      if (a == null) {
        throw new IllegalStateException("Vertex '" + name + "' has no parameter '" + key
            + "'; parameters present: " + p.keySet());
      }
      return a;
    }
  }

  private static float[] toFloats(INDArray a) {
    return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
  }

  private static boolean isZero(Double d) {
    return d == null || d == 0.0;
  }

  private static Tensor single(String name, List<Tensor> in) {
    if (in.size() != 1) {
      throw new UnsupportedLayerException(name, "expected exactly one input, got " + in.size());
    }
    return in.get(0);
  }

  private static Tensor out(String name, int rank, long channels) {
    return new Tensor(name, rank, channels);
  }

  private static List<String> names(List<Tensor> in) {
    return in.stream().map(Tensor::name).toList();
  }

  private static void requireRank(String name, Layer layer, Tensor x, int rank) {
    if (x.rank() != rank) {
      throw new UnsupportedLayerException(name, (layer == null ? "preprocessor" : layer.getClass().getSimpleName())
          + " expects a rank-" + rank + " input but receives rank " + x.rank());
    }
  }

  private static UnsupportedLayerException nhwc(String name, Layer layer) {
    return new UnsupportedLayerException(name, layer.getClass().getSimpleName()
        + " uses NHWC; only NCHW graphs can be exported");
  }

  private static GraphVertex unwrap(GraphVertex v) {
    return org.fundus4j.networks.Frozen.unwrap(v);
  }

  private static Layer unwrap(Layer layer) {
    return org.fundus4j.networks.Frozen.unwrap(layer);
  }
}

package org.fundus4j.networks.inference;

import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Frozen;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Activation equalisation before int8 calibration: each channel of a group of tensors is scaled by a positive factor
 * so that its range comes closer to the group's widest channel, and the layers that read the group divide their
 * weights for that channel by the same factor, so the float32 network computes the same function (up to float
 * rounding) while a per-tensor int8 range wastes fewer of its 255 steps on empty ranges of narrow channels (the idea
 * of SmoothQuant, Xiao et al. 2023, with ReLU's positive homogeneity in place of a matrix product).
 *
 * <p>A group starts at BatchNormalization layers (their gamma and beta are scaled) and runs through ReLU and
 * identity activation layers, additions and max and average poolings, which all commute with a positive per-channel
 * scale; it ends at convolutions and dense layers (their input channels are divided). A group in which any tensor
 * reaches anything else (the network output, another kind of vertex, a preprocessor) is left as it is. In ResNet-50
 * the groups are the stem's output, each stage's residual stream (block outputs, downsample outputs, the last
 * BatchNorm of every block) and the two ReLUs inside every bottleneck.
 *
 * <p>The factor of channel {@code c} is {@code clamp((M / m_c)^alpha, 1, maxFactor)}, with {@code m_c} the channel's
 * largest magnitude over the calibration images in the group's quantised tensors and {@code M} the largest
 * {@code m_c}: alpha 0 changes nothing, 1 gives every channel the range of the widest.
 */
public final class ActivationEqualization {
  private ActivationEqualization() {}

  /** One group: the BatchNorms whose outputs it scales, its tensors, and the layers reading it. */
  public record Group(List<String> producers, List<String> tensors, List<String> consumers) {
    public Group {
      producers = List.copyOf(producers);
      tensors = List.copyOf(tensors);
      consumers = List.copyOf(consumers);
    }
  }

  /** What {@link #equalize} did: each group with its factors' largest value. */
  public record Result(List<Group> groups, List<Double> largestFactors) {
    public Result {
      groups = List.copyOf(groups);
      largestFactors = List.copyOf(largestFactors);
    }
  }

  /** The groups of {@code conf} that can be scaled without changing the network's function. */
  public static List<Group> groups(ComputationGraphConfiguration conf) {
    Map<String, List<String>> inputs = conf.getVertexInputs();
    Map<String, List<String>> consumers = new HashMap<>();
    for (Map.Entry<String, List<String>> e : inputs.entrySet()) {
      for (String in : e.getValue()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(e.getKey());
      }
    }
    Set<String> outputs = Set.copyOf(conf.getNetworkOutputs());
    Set<String> quantized = Set.copyOf(OnnxExporter.quantizedTensors(conf));
    Set<String> assigned = new LinkedHashSet<>();
    List<Group> groups = new ArrayList<>();
    for (String start : conf.getTopologicalOrderStr()) {
      if (assigned.contains(start) || kind(conf, start) != Kind.PRODUCER) {
        continue;
      }
      Set<String> members = new LinkedHashSet<>();
      Set<String> readers = new LinkedHashSet<>();
      Deque<String> todo = new ArrayDeque<>(List.of(start));
      boolean valid = true;
      while (!todo.isEmpty() && valid) {
        String v = todo.pop();
        if (!members.add(v)) {
          continue;
        }
        if (outputs.contains(v)) {
          valid = false;
          break;
        }
        // every input of a pass-through vertex belongs to the group too (both inputs of an addition)
        if (kind(conf, v) == Kind.PASS) {
          for (String in : inputs.getOrDefault(v, List.of())) {
            Kind k = kind(conf, in);
            if (k == Kind.PRODUCER || k == Kind.PASS) {
              todo.push(in);
            } else {
              valid = false;
            }
          }
        }
        for (String u : consumers.getOrDefault(v, List.of())) {
          switch (kind(conf, u)) {
            case PASS -> todo.push(u);
            case CONSUMER -> readers.add(u);
            default -> valid = false;
          }
        }
      }
      assigned.addAll(members);
      if (!valid || readers.isEmpty()) {
        continue;
      }
      List<String> producers = new ArrayList<>();
      List<String> tensors = new ArrayList<>();
      for (String name : conf.getTopologicalOrderStr()) {
        if (members.contains(name)) {
          if (kind(conf, name) == Kind.PRODUCER) {
            producers.add(name);
          }
          if (quantized.contains(name)) {
            tensors.add(name);
          }
        }
      }
      if (!tensors.isEmpty()) {
        groups.add(new Group(producers, tensors, List.copyOf(readers)));
      }
    }
    return groups;
  }

  /**
   * Equalises {@code graph}'s groups in place from the channel ranges over {@code batches} (measured through ONNX
   * Runtime on the float32 export, as calibration measures them).
   *
   * @param alpha migration strength, 0 to 1
   * @param maxFactor the largest factor of a channel, at least 1
   */
  public static Result equalize(ComputationGraph graph, Iterable<INDArray> batches, double alpha, double maxFactor,
      int threads) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(batches, "batches");
    if (!(alpha >= 0 && alpha <= 1) || !(maxFactor >= 1)) {
      throw new IllegalArgumentException("activation equalisation needs alpha in [0, 1] and a largest factor of "
          + "at least 1, got alpha " + alpha + " and " + maxFactor);
    }
    ComputationGraphConfiguration conf = graph.getConfiguration();
    List<Group> groups = groups(conf);
    List<String> tensors = new ArrayList<>();
    groups.forEach(g -> tensors.addAll(g.tensors()));
    Map<String, double[]> channelMax = new LinkedHashMap<>();
    int images = 0;
    try (OnnxRuntimeBackend ort = OnnxRuntimeBackend.ofExport(graph,
        OnnxExportOptions.defaults().withAdditionalOutputs(tensors.toArray(String[]::new)),
        OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads))) {
      for (INDArray batch : batches) {
        ort.visit(batch, tensors, (name, shape, values) -> merge(channelMax, name, shape, values));
        images += (int) batch.size(0);
      }
    }
    if (images == 0) {
      throw new IllegalArgumentException("activation equalisation needs at least one calibration image");
    }
    List<Double> largest = new ArrayList<>();
    for (Group g : groups) {
      double[] m = null;
      for (String t : g.tensors()) {
        double[] c = channelMax.get(t);
        if (m == null) {
          m = c.clone();
        } else if (m.length == c.length) {
          for (int i = 0; i < m.length; i++) {
            m[i] = Math.max(m[i], c[i]);
          }
        } else {
          throw new IllegalStateException("tensors of one equalisation group have " + m.length + " and "
              + c.length + " channels: " + g.tensors());
        }
      }
      double widest = 0;
      for (double v : m) {
        widest = Math.max(widest, v);
      }
      double[] factor = new double[m.length];
      double most = 1;
      for (int i = 0; i < m.length; i++) {
        factor[i] = widest > 0 && m[i] > 0 ? Math.min(maxFactor, Math.max(1, Math.pow(widest / m[i], alpha))) : 1;
        most = Math.max(most, factor[i]);
      }
      apply(graph, g, factor);
      largest.add(most);
    }
    return new Result(groups, largest);
  }

  private static void apply(ComputationGraph graph, Group g, double[] factor) {
    INDArray f = Nd4j.createFromArray(factor).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT);
    for (String p : g.producers()) {
      Map<String, INDArray> params = graph.getLayer(p).paramTable();
      for (String key : List.of("gamma", "beta")) {
        INDArray v = params.get(key);
        v.assign(v.reshape(factor.length).mul(f.castTo(v.dataType())).reshape(v.shape()));
      }
    }
    for (String c : g.consumers()) {
      INDArray w = graph.getLayer(c).paramTable().get("W");
      INDArray divisor = f.castTo(w.dataType());
      if (w.rank() == 4) { // convolution [out, in, kh, kw]
        for (int i = 0; i < factor.length; i++) {
          w.get(NDArrayIndex.all(), NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.all())
              .divi(divisor.getDouble(i));
        }
      } else { // dense [in, out]
        w.diviColumnVector(divisor.reshape(factor.length, 1));
      }
    }
  }

  private static void merge(Map<String, double[]> channelMax, String name, long[] shape, FloatBuffer values) {
    int channels = (int) shape[1];
    long per = 1;
    for (int d = 2; d < shape.length; d++) {
      per *= shape[d];
    }
    double[] m = channelMax.computeIfAbsent(name, k -> new double[channels]);
    int base = values.position();
    long n = shape[0];
    for (long i = 0; i < n; i++) {
      for (int c = 0; c < channels; c++) {
        long offset = (i * channels + c) * per;
        double max = m[c];
        for (long j = 0; j < per; j++) {
          max = Math.max(max, Math.abs(values.get(base + (int) (offset + j))));
        }
        m[c] = max;
      }
    }
  }

  private enum Kind { PRODUCER, PASS, CONSUMER, OTHER }

  private static Kind kind(ComputationGraphConfiguration conf, String name) {
    GraphVertex vertex = conf.getVertices().get(name);
    if (vertex == null) {
      return Kind.OTHER; // a network input
    }
    GraphVertex v = Frozen.unwrap(vertex);
    if (v instanceof ElementWiseVertex ew) {
      return ew.getOp() == ElementWiseVertex.Op.Add ? Kind.PASS : Kind.OTHER;
    }
    if (!(v instanceof LayerVertex lv) || lv.getPreProcessor() != null) {
      return Kind.OTHER;
    }
    Layer layer = Frozen.unwrap(lv.getLayerConf().getLayer());
    if (layer instanceof BatchNormalization bn) {
      // DL4J's BatchNormalization layer applies no activation function (its configuration may name one)
      return !bn.isLockGammaBeta() ? Kind.PRODUCER : Kind.OTHER;
    }
    if (layer instanceof ActivationLayer a) {
      return homogeneous(a.getActivationFn()) ? Kind.PASS : Kind.OTHER;
    }
    if (layer instanceof SubsamplingLayer s) {
      return s.getPoolingType() == PoolingType.MAX || s.getPoolingType() == PoolingType.AVG ? Kind.PASS : Kind.OTHER;
    }
    if (layer instanceof GlobalPoolingLayer gp) {
      return gp.getPoolingType() == PoolingType.MAX || gp.getPoolingType() == PoolingType.AVG ? Kind.PASS
          : Kind.OTHER;
    }
    if (layer.getClass() == ConvolutionLayer.class
        || layer.getClass() == org.deeplearning4j.nn.conf.layers.Convolution2D.class) {
      return Kind.CONSUMER;
    }
    if (layer instanceof DenseLayer || layer instanceof BaseOutputLayer) {
      return Kind.CONSUMER;
    }
    return Kind.OTHER;
  }

  private static boolean homogeneous(org.nd4j.linalg.activations.IActivation fn) {
    // a leaky slope commutes with a positive scale too; a threshold or a cap does not
    return fn instanceof ActivationIdentity || (fn instanceof ActivationReLU r && r.getMax() == null
        && (r.getThreshold() == null || r.getThreshold() == 0.0));
  }
}

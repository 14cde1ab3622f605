package org.fundus4j.networks;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.graph.vertex.impl.LayerVertex;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.layers.LayerHelper;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.convolution.subsampling.SubsamplingLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNSubsamplingHelper;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches on DL4J's native CPU implementations of convolution, BatchNorm and pooling for the layers of a
 * graph, which DL4J 1.0.0-M2.1 ships but never uses.
 *
 * <p>DL4J's {@code MKLDNNConvHelper}, {@code MKLDNNBatchNormHelper} and {@code MKLDNNSubsamplingHelper} run a
 * layer as one libnd4j op ({@code conv2d}/{@code conv2d_bp}, {@code batchnorm}/{@code batchnorm_bp},
 * {@code maxpool2d}/{@code avgpool2d}), which uses oneDNN when the ND4J native build has it (the
 * {@code nd4j-native} classifiers {@code linux-x86_64-onednn}, {@code linux-x86_64-onednn-avx512}) and libnd4j's own kernels otherwise.
 * Without them a {@code ConvolutionLayer} runs DL4J's Java path: an {@code im2col} copy, a gemm, and
 * {@code col2im} in backprop, which is what dominated the training profile of issue #9. In M2.1 a layer never
 * gets a helper on CPU, for two reasons found in its sources: {@code HelperUtils.createHelper} returns
 * {@code null} unless the system property {@code org.eclipse.deeplearning4j.helpers.disable} is set to
 * {@code false} (its default is {@code true}), and with it set, {@code BaseMKLDNNHelper.mklDnnEnabled()}
 * looks up {@code org.nd4j.nativeblas.Nd4jCpu$Environment}, a class that M2.1 ships as
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}, so the check fails and the helper is
 * dropped. {@link #install} sets the helpers on the layers directly.
 *
 * <p>The helpers compute the same functions in float32 with a different summation order (ResNet-50 logits
 * moved closer to PyTorch's: 3.4e-5 instead of 6.8e-5 at 64 px). Other data types fall back to DL4J's Java
 * path per call, as does any call a helper fails on (DL4J logs a warning). Measured on 2 AVX-512 cores
 * ({@code benchmarks/results/dl4j-options.md}, ResNet-50, 224 px, batch 8): with ND4J's oneDNN build
 * inference is 4.8x and a training step 3.4x faster; with the default OpenBLAS build inference is about
 * 1.3x faster but a training step about 10 % slower. The {@code networks} module therefore puts the oneDNN
 * build ({@code nd4j-native}, classifier {@code linux-x86_64-onednn}; oneDNN picks AVX2/AVX-512 kernels at
 * run time) on the class path, and {@link ResNet50#build}, the {@code UNet} builders and the graphs that
 * {@code transfer} restores or rebuilds call {@link #installIfOneDnn}; the inference-only {@code Dl4jBackend}
 * calls {@link #install}.
 *
 * <p>Convolutions get {@link OneDnnConvHelper}, whose oneDNN primitives are made once per shape and kept
 * ({@value #CONV_PROPERTY}{@code =false}, or a JVM where JavaCPP's {@code dnnl} preset does not load, gives them
 * DL4J's helper); with the identity activation it also skips the forward convolution that DL4J repeats in every
 * backprop, as {@link ReusingConvHelper} does for DL4J's helper ({@value #REUSE_PROPERTY}{@code =false} turns that
 * off).
 * BatchNorm layers get {@link OneDnnBatchNormHelper}, whose training-mode statistics and backward are each one
 * oneDNN call ({@value #BATCH_NORM_PROPERTY}{@code =false}, or a JVM where JavaCPP's {@code dnnl} preset does not
 * load, gives them DL4J's {@code MKLDNNBatchNormHelper}). {@code ActivationLayer}s whose activation is a plain ReLU
 * are replaced by {@link OneDnnReluLayer}, the same layer without its copies, whose training-mode forward and
 * backward are each one oneDNN call ({@value #RELU_PROPERTY}{@code =false} keeps DL4J's); the configuration is
 * unchanged, so a saved model does not know.
 *
 * <p>Helpers are transient layer state: a graph from {@code ModelSerializer.restoreComputationGraph},
 * {@code TransferLearning}, {@code clone()} or {@code new ComputationGraph(conf)} has none until
 * {@link #install} is called on it. Frozen layers are unwrapped. Only these exact layer classes get a helper
 * (subclasses such as {@code Deconvolution2DLayer} or {@code Subsampling1DLayer} compute something else).
 * {@link #count} counts those ReLU layers with the helpers.
 * Setting the system property {@value #PROPERTY} to {@code false} makes {@link #install} a no-op, to compare
 * with DL4J's own path; on a non-CPU ND4J backend or with ND4J's helpers disallowed it is a no-op as well.
 *
 * <pre>{@code
 * ComputationGraph restored = ModelSerializer.restoreComputationGraph(file, false);
 * LayerHelpers.install(restored);   // returns the number of layers that now have a helper
 * }</pre>
 */
public final class LayerHelpers {
  /** System property; {@code false} disables {@link #install}. */
  public static final String PROPERTY = "fundus4j.layerHelpers";

  /**
   * System property; {@code false} gives identity-activation convolutions DL4J's own helper, which
   * convolves again in backprop, instead of {@link ReusingConvHelper}.
   */
  public static final String REUSE_PROPERTY = "fundus4j.layerHelpers.reuseForward";

  /**
   * System property; {@code false} gives BatchNorm layers DL4J's own helper (batch statistics in Java, libnd4j's
   * {@code batchnorm_bp}) instead of {@link OneDnnBatchNormHelper}. Both give PyTorch's float32 gradients within
   * 1.2e-5 of each parameter's largest gradient on a batch whose ReLU masks are float64's
   * ({@code TrainingStepTests}); the session that turned this helper off had compared them on a batch where a
   * ReLU input flipped in float32.
   */
  public static final String BATCH_NORM_PROPERTY = "fundus4j.layerHelpers.oneDnnBatchNorm";

  /**
   * System property; {@code false} gives convolutions DL4J's {@code MKLDNNConvHelper} (libnd4j's {@code conv2d} and
   * {@code conv2d_bp}) instead of {@link OneDnnConvHelper}.
   */
  public static final String CONV_PROPERTY = "fundus4j.layerHelpers.oneDnnConv";

  /**
   * System property; {@code false} keeps DL4J's {@code ActivationLayer} for ReLUs instead of {@link OneDnnReluLayer}.
   */
  public static final String RELU_PROPERTY = "fundus4j.layerHelpers.oneDnnRelu";

  private static final Logger LOG = LoggerFactory.getLogger(LayerHelpers.class);
  private static volatile Boolean oneDnnLoads;

  private static final Field CONV_HELPER = field(ConvolutionLayer.class);
  private static final Field BATCH_NORM_HELPER = field(BatchNormalization.class);
  private static final Field SUBSAMPLING_HELPER = field(SubsamplingLayer.class);
  private static final Field CONV_FAILURES = declaredField(ConvolutionLayer.class, "helperCountFail");
  private static final Field BATCH_NORM_FAILURES = declaredField(BatchNormalization.class, "helperCountFail");
  private static final Field VERTEX_LAYER = declaredField(LayerVertex.class, "layer");
  private static final Field GRAPH_LAYERS = declaredField(ComputationGraph.class, "layers");

  private LayerHelpers() {}

  /**
   * Whether {@link #install} would install anything in this JVM: property {@value #PROPERTY} not
   * {@code false}, ND4J's CPU backend, and ND4J helpers allowed.
   */
  public static boolean enabled() {
    return !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim())
        && "CPU".equalsIgnoreCase(Nd4j.getExecutioner().getEnvironmentInformation().getProperty("backend"))
        && Nd4j.getEnvironment().helpersAllowed();
  }

  /**
   * Whether the loaded ND4J native build has oneDNN (its build information lists {@code HAVE_ONEDNN}), e.g.
   * {@code nd4j-native} with classifier {@code linux-x86_64-onednn} (this project's default) or
   * {@code linux-x86_64-onednn-avx512}.
   */
  public static boolean oneDnn() {
    return Nd4j.getBackend().buildInfo().contains("HAVE_ONEDNN");
  }

  /**
   * {@link #install} when {@link #oneDnn()}, where helpers speed up training as well as inference; otherwise
   * nothing.
   *
   * @return the number of layers given a helper by this call
   */
  public static int installIfOneDnn(ComputationGraph graph) {
    Objects.requireNonNull(graph, "graph");
    return oneDnn() ? install(graph) : 0;
  }

  /**
   * Gives every convolution, BatchNorm and pooling layer of {@code graph} a native helper, unless it
   * already has a helper or {@link #enabled()} is false, and replaces its plain ReLU layers by
   * {@link OneDnnReluLayer}. A convolution that alone reads a network input computes no gradient for that input
   * (which {@code ComputationGraph} never exposes; {@link #skippedInputGradients}).
   *
   * @return the number of layers given a helper or replaced by this call
   */
  public static int install(ComputationGraph graph) {
    Objects.requireNonNull(graph, "graph");
    if (!enabled()) {
      return 0;
    }
    DataType dataType = graph.getConfiguration().getDataType();
    Set<Layer> soleInputReaders = soleInputReaders(graph);
    int installed = 0;
    for (Slot slot : slots(graph)) {
      if (slot.helper() == null) {
        slot.set(newHelper(slot.layer(), soleInputReaders.contains(slot.layer())).apply(dataType));
        installed++;
      }
    }
    if (Boolean.parseBoolean(System.getProperty(RELU_PROPERTY, "true")) && oneDnnLoads()) {
      for (LayerVertex vertex : reluVertices(graph)) {
        if (vertex.getLayer().getClass() == ActivationLayer.class) {
          replace(graph, vertex, new OneDnnReluLayer(vertex.getLayer().conf(), dataType));
          installed++;
        }
      }
    }
    return installed;
  }

  /**
   * Makes every BatchNorm layer of {@code graph} normalise with its running statistics in training mode too, and
   * keep them: backprop then treats each BatchNorm as the fixed per-channel affine map that inference and an ONNX
   * export (which folds it into the convolution before it) use. Quantisation-aware training needs this: the
   * network it trains must be the one that is quantised. The other helpers are installed as by {@link #install}.
   *
   * @return the number of BatchNorm layers changed
   * @throws IllegalStateException if {@link #enabled()} is false or oneDNN does not load: only
   *     {@link OneDnnBatchNormHelper} has this mode
   */
  public static int freezeBatchNormStatistics(ComputationGraph graph) {
    Objects.requireNonNull(graph, "graph");
    if (!enabled() || !oneDnnLoads()) {
      throw new IllegalStateException("BatchNorm with frozen statistics needs ND4J's CPU backend with helpers "
          + "allowed (property " + PROPERTY + " not false) and oneDNN (org.bytedeco:dnnl)");
    }
    install(graph);
    DataType dataType = graph.getConfiguration().getDataType();
    int changed = 0;
    for (Slot slot : slots(graph)) {
      if (slot.field() == BATCH_NORM_HELPER) {
        slot.set(new OneDnnBatchNormHelper(dataType, true));
        // a failing helper must not fall back to DL4J's batch statistics unnoticed
        ((org.deeplearning4j.nn.conf.layers.BatchNormalization) slot.layer().conf().getLayer())
            .setCudnnAllowFallback(false);
        changed++;
      }
    }
    return changed;
  }

  /**
   * Removes the helpers {@link #install} sets (any DL4J helper of those layers) and puts DL4J's
   * {@code ActivationLayer} back in place of {@link OneDnnReluLayer}, so the graph runs DL4J's built-in Java
   * implementations again.
   *
   * @return the number of layers whose helper was removed or that were put back
   */
  public static int remove(ComputationGraph graph) {
    int removed = 0;
    for (Slot slot : slots(graph)) {
      if (slot.helper() != null) {
        slot.set(null);
        removed++;
      }
    }
    DataType dataType = graph.getConfiguration().getDataType();
    for (LayerVertex vertex : reluVertices(graph)) {
      if (vertex.getLayer() instanceof OneDnnReluLayer) {
        replace(graph, vertex, new ActivationLayer(vertex.getLayer().conf(), dataType));
        removed++;
      }
    }
    return removed;
  }

  /**
   * The number of convolution, BatchNorm and pooling layers of {@code graph} that have a helper, plus its ReLU
   * layers that are {@link OneDnnReluLayer}s.
   */
  public static int count(ComputationGraph graph) {
    return (int) slots(graph).stream().filter(slot -> slot.helper() != null).count()
        + (int) reluVertices(graph).stream().filter(v -> v.getLayer() instanceof OneDnnReluLayer).count();
  }

  /** The graph's layer vertices that hold a plain ReLU {@code ActivationLayer} (not frozen). */
  private static List<LayerVertex> reluVertices(ComputationGraph graph) {
    List<LayerVertex> relus = new ArrayList<>();
    for (GraphVertex vertex : graph.getVertices()) {
      if (vertex instanceof LayerVertex lv && lv.getLayer() instanceof ActivationLayer
          && lv.getLayer().conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.ActivationLayer conf
          && OneDnnReluLayer.plainRelu(conf)) {
        relus.add(lv);
      }
    }
    return relus;
  }

  /** Puts {@code replacement} (same configuration) where the vertex's layer was, in the vertex and the graph. */
  private static void replace(ComputationGraph graph, LayerVertex vertex, Layer replacement) {
    Layer old = vertex.getLayer();
    replacement.setIndex(old.getIndex());
    replacement.setListeners(old.getListeners());
    replacement.setIterationCount(old.getIterationCount());
    replacement.setEpochCount(old.getEpochCount());
    Layer[] layers = (Layer[]) read(GRAPH_LAYERS, graph);
    for (int i = 0; i < layers.length; i++) {
      if (layers[i] == old) {
        layers[i] = replacement;
      }
    }
    try {
      VERTEX_LAYER.set(vertex, replacement);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot set " + VERTEX_LAYER, e);
    }
  }

  /**
   * The number of forward convolutions that the graph's {@link ReusingConvHelper}s have skipped in backprop
   * so far.
   */
  public static long reusedForwardConvolutions(ComputationGraph graph) {
    return slots(graph).stream().map(Slot::helper).filter(ReusingConvHelper.class::isInstance)
        .mapToLong(h -> ((ReusingConvHelper) h).reused()).sum();
  }

  /**
   * How many calls a helper of {@code graph}'s convolution or BatchNorm layers failed, so that DL4J ran its own
   * implementation instead (DL4J logs a warning each time and carries on); 0 when every call ran in its helper.
   */
  public static int fallbacks(ComputationGraph graph) {
    int failed = 0;
    for (Slot slot : slots(graph)) {
      Field count = slot.field() == CONV_HELPER ? CONV_FAILURES : slot.field() == BATCH_NORM_HELPER
          ? BATCH_NORM_FAILURES : null;
      if (count != null) {
        failed += (Integer) read(count, slot.layer());
      }
    }
    return failed;
  }

  /** A layer that can have a helper (frozen wrappers removed) and its {@code helper} field. */
  private record Slot(Layer layer, Field field) {
    Object helper() {
      return get(field, layer);
    }

    void set(Object helper) {
      LayerHelpers.set(field, layer, helper);
    }
  }

  private static List<Slot> slots(ComputationGraph graph) {
    Objects.requireNonNull(graph, "graph");
    List<Slot> slots = new ArrayList<>();
    for (Layer layer : graph.getLayers()) {
      Layer inner = unwrap(layer);
      Field field = helperField(inner);
      if (field != null) {
        slots.add(new Slot(inner, field));
      }
    }
    return slots;
  }

  private static Layer unwrap(Layer layer) {
    return Frozen.unwrap(layer);
  }

  private static Field helperField(Layer layer) {
    Class<?> c = layer.getClass();
    if (c == ConvolutionLayer.class) {
      return CONV_HELPER;
    } else if (c == BatchNormalization.class) {
      return BATCH_NORM_HELPER;
    } else if (c == SubsamplingLayer.class) {
      return SUBSAMPLING_HELPER;
    }
    return null;
  }

  /**
   * The layers (frozen wrappers removed) whose input gradient nothing reads: each is the only reader of one of the
   * network's inputs, with no preprocessor and no dropout. DL4J's {@code ComputationGraph} stops its backprop at
   * input vertices and exposes no input gradient, so {@link OneDnnConvHelper} leaves it out for these.
   */
  private static Set<Layer> soleInputReaders(ComputationGraph graph) {
    Set<Layer> readers = new HashSet<>();
    for (GraphVertex input : graph.getVertices()) {
      if (!input.isInputVertex() || input.getOutputVertices() == null || input.getOutputVertices().length != 1) {
        continue;
      }
      GraphVertex reader = graph.getVertices()[input.getOutputVertices()[0].getVertexIndex()];
      if (reader instanceof LayerVertex lv && lv.getInputVertices().length == 1 && lv.getLayerPreProcessor() == null
          && lv.getLayer().conf().getLayer() instanceof org.deeplearning4j.nn.conf.layers.BaseLayer conf
          && conf.getIDropout() == null) {
        readers.add(unwrap(lv.getLayer()));
      }
    }
    return readers;
  }

  /** The number of backprop calls so far in which a convolution left out its unread input gradient. */
  public static long skippedInputGradients(ComputationGraph graph) {
    return slots(graph).stream().map(Slot::helper).filter(OneDnnConvHelper.class::isInstance)
        .mapToLong(h -> ((OneDnnConvHelper) h).inputGradientsSkipped()).sum();
  }

  private static Function<DataType, LayerHelper> newHelper(Layer layer, boolean soleInputReader) {
    if (layer instanceof ConvolutionLayer conv) {
      boolean reuse = conv.layerConf().getActivationFn() instanceof ActivationIdentity
          && Boolean.parseBoolean(System.getProperty(REUSE_PROPERTY, "true"));
      if (Boolean.parseBoolean(System.getProperty(CONV_PROPERTY, "true")) && oneDnnLoads()) {
        return dataType -> new OneDnnConvHelper(dataType, reuse, !soleInputReader);
      }
      return reuse ? ReusingConvHelper::new : MKLDNNConvHelper::new;
    } else if (layer instanceof BatchNormalization) {
      return Boolean.parseBoolean(System.getProperty(BATCH_NORM_PROPERTY, "true")) && oneDnnLoads()
          ? OneDnnBatchNormHelper::new : MKLDNNBatchNormHelper::new;
    }
    return MKLDNNSubsamplingHelper::new;
  }

  /** Whether JavaCPP's oneDNN preset loads here (once per JVM; logs why not). */
  private static boolean oneDnnLoads() {
    if (oneDnnLoads == null) {
      try {
        OneDnn.load();
        oneDnnLoads = true;
      } catch (Throwable e) {
        LOG.warn("oneDNN (org.bytedeco:dnnl) does not load ({}); convolutions and BatchNorm layers get DL4J's "
            + "helpers and ReLU layers stay DL4J's ActivationLayer",
            e.toString());
        oneDnnLoads = false;
      }
    }
    return oneDnnLoads;
  }

  private static Field field(Class<?> layerClass) {
    return declaredField(layerClass, "helper");
  }

  private static Field declaredField(Class<?> type, String name) {
    try {
      Field f = type.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("DL4J " + type.getName() + " has no '" + name + "' field; LayerHelpers "
          + "was written for DL4J 1.0.0-M2.1 and needs updating for this version", e);
    }
  }

  private static Object read(Field field, Object owner) {
    try {
      return field.get(owner);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot read " + field, e);
    }
  }

  private static Object get(Field field, Layer layer) {
    try {
      return field.get(layer);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot read " + field + " of " + layer.getClass().getName(), e);
    }
  }

  private static void set(Field field, Layer layer, Object helper) {
    try {
      field.set(layer, helper);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot set " + field + " of " + layer.getClass().getName(), e);
    }
  }
}

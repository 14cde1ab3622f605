package org.fundus4j.networks;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_MEAN;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCALE;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SHIFT;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_VARIANCE;
import static org.bytedeco.dnnl.global.dnnl.dnnl_backward;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_backward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_global_stats;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_scale;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_shift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNBatchNormHelper;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BatchNorm in training mode as two oneDNN primitives: {@code forward_training}, which computes the batch mean
 * and (biased) variance and normalises in one pass, and {@code backward}, which gives the input, scale and shift
 * gradients in one call (issue #19).
 *
 * <p>DL4J's {@link MKLDNNBatchNormHelper} computes the batch statistics in Java with ND4J's legacy mean and
 * {@code Variance} ops, then calls libnd4j's {@code batchnorm}; its backprop calls libnd4j's {@code batchnorm_bp},
 * whose oneDNN path runs the backward with the statistics treated as constants and then adds the terms for
 * their dependence on the input with six more whole-tensor ND4J passes. That was 774 ms of a 224 px batch-8
 * ResNet-50 step against PyTorch's 74 ms ({@code benchmarks/results/training-step-profile.md}). oneDNN's own
 * backward computes the full gradient. Inference ({@code training == false}), other data types than float32,
 * other layouts than NCHW / [N, C], and a backprop without this helper's own forward fall back to
 * {@link MKLDNNBatchNormHelper}.
 *
 * <p>With {@code frozenStatistics} ({@link LayerHelpers#freezeBatchNormStatistics}) a training-mode forward
 * normalises with the layer's running mean and variance instead of the batch's (oneDNN's
 * {@code use_global_stats}), its backward is that of a fixed per-channel affine map ({@code dx = dy * gamma /
 * sqrt(var + eps)}, with the scale and shift gradients), and the running statistics stay as they are: the
 * training-mode network computes what the inference-mode one does, which quantisation-aware training needs.
 *
 * <p>oneDNN is JavaCPP's preset ({@link OneDnn}). Primitives are cached per input shape; the helper belongs to one
 * layer and, like DL4J's layers, is not thread-safe.
 */
final class OneDnnBatchNormHelper extends MKLDNNBatchNormHelper {

  private final dnnl_stream stream = OneDnn.newStream();
  private final Map<List<Long>, Primitives> primitives = new HashMap<>();
  private INDArray meanCache;
  private INDArray varCache;
  /**
   * Where the input of this helper's last training-mode forward call lies (address of its first element) and
   * its shape, whose batch statistics {@link #meanCache} and {@link #varCache} hold; DL4J hands backprop the same
   * buffer, not always the same {@code INDArray} object.
   */
  private long lastInput;
  private long[] lastShape;
  private final boolean frozenStatistics;

  OneDnnBatchNormHelper(DataType dataType) {
    this(dataType, false);
  }

  OneDnnBatchNormHelper(DataType dataType, boolean frozenStatistics) {
    super(dataType);
    this.frozenStatistics = frozenStatistics;
  }

  @Override
  public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
      INDArray mean, INDArray var, double decay, double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
    if (!training || !supported(x, format) || gamma == null || beta == null
        || (frozenStatistics && (mean == null || var == null))) {
      if (training && frozenStatistics) {
        throw new IllegalStateException("BatchNorm with frozen statistics needs float32 NCHW or [N, C] input, "
            + "gamma, beta and running statistics; got " + x.dataType() + " rank " + x.rank() + " " + format);
      }
      lastShape = null;
      return super.preOutput(x, training, shape, gamma, beta, mean, var, decay, eps, format, workspaceMgr);
    }
    INDArray in = OneDnn.dense(x);
    long channels = in.size(1);
    if (meanCache == null || meanCache.length() != channels) {
      try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
        meanCache = Nd4j.createUninitialized(DataType.FLOAT, channels);
        varCache = Nd4j.createUninitialized(DataType.FLOAT, channels);
      }
    }
    if (frozenStatistics) {
      // inputs of the forward and backward; DL4J's running-statistics update then adds 0
      meanCache.assign(mean.reshape(channels));
      varCache.assign(var.reshape(channels));
    }
    INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, in.shape());
    Primitives p = primitives(in, eps);
    OneDnn.execute(stream, p.forward, DNNL_ARG_SRC, p.data, in, DNNL_ARG_DST, p.data, out,
        DNNL_ARG_SCALE, p.vector, OneDnn.dense(gamma), DNNL_ARG_SHIFT, p.vector, OneDnn.dense(beta),
        DNNL_ARG_MEAN, p.vector, meanCache, DNNL_ARG_VARIANCE, p.vector, varCache);
    lastInput = OneDnn.address(x).address();
    lastShape = x.shape();
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
      INDArray beta, INDArray dGammaView, INDArray dBetaView, double eps, CNN2DFormat format,
      LayerWorkspaceMgr workspaceMgr) {
    if (!sameAsLastInput(input) || !supported(epsilon, format) || !OneDnn.contiguous(dGammaView)
        || !OneDnn.contiguous(dBetaView)) {
      if (frozenStatistics) {
        throw new IllegalStateException("BatchNorm with frozen statistics: backprop without this helper's own "
            + "training-mode forward of the same input, or with a non-contiguous gradient view");
      }
      return super.backpropGradient(input, epsilon, shape, gamma, beta, dGammaView, dBetaView, eps, format,
          workspaceMgr);
    }
    INDArray in = OneDnn.dense(input);
    INDArray gradOut = OneDnn.dense(epsilon);
    INDArray gradIn = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, in.shape());
    Primitives p = primitives(in, eps);
    OneDnn.execute(stream, p.backward, DNNL_ARG_SRC, p.data, in, DNNL_ARG_DIFF_DST, p.data, gradOut,
        DNNL_ARG_SCALE, p.vector, OneDnn.dense(gamma), DNNL_ARG_SHIFT, p.vector, OneDnn.dense(beta),
        DNNL_ARG_MEAN, p.vector, meanCache, DNNL_ARG_VARIANCE, p.vector, varCache,
        DNNL_ARG_DIFF_SRC, p.data, gradIn, DNNL_ARG_DIFF_SCALE, p.vector, dGammaView,
        DNNL_ARG_DIFF_SHIFT, p.vector, dBetaView);
    Gradient g = new DefaultGradient();
    g.setGradientFor("gamma", dGammaView);
    g.setGradientFor("beta", dBetaView);
    return new Pair<>(g, gradIn);
  }

  @Override
  public INDArray getMeanCache(DataType dataType) {
    return lastShape != null ? meanCache : super.getMeanCache(dataType);
  }

  @Override
  public INDArray getVarCache(DataType dataType) {
    return lastShape != null ? varCache : super.getVarCache(dataType);
  }

  private boolean sameAsLastInput(INDArray input) {
    return lastShape != null && Arrays.equals(lastShape, input.shape()) && OneDnn.address(input).address() == lastInput;
  }

  private static boolean supported(INDArray x, CNN2DFormat format) {
    return x.dataType() == DataType.FLOAT && (x.rank() == 2 || (x.rank() == 4 && format != CNN2DFormat.NHWC));
  }

  /** The forward and backward primitives for this input shape and epsilon, made on first use. */
  private Primitives primitives(INDArray x, double eps) {
    List<Long> key = new ArrayList<>(x.rank() + 1);
    for (long s : x.shape()) {
      key.add(s);
    }
    key.add(Double.doubleToLongBits(eps));
    return primitives.computeIfAbsent(key, k -> new Primitives(x.shape(), (float) eps, frozenStatistics));
  }

  /** oneDNN batch normalisation primitives for one shape; they live as long as the helper. */
  private static final class Primitives {
    final dnnl_memory_desc_t data;
    final dnnl_memory_desc_t vector;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    Primitives(long[] shape, float eps, boolean globalStatistics) {
      data = OneDnn.plain(shape);
      vector = OneDnn.plain(new long[] {shape[1]});
      int flags = dnnl_use_scale | dnnl_use_shift | (globalStatistics ? dnnl_use_global_stats : 0);
      dnnl_batch_normalization_desc_t fwd = new dnnl_batch_normalization_desc_t();
      OneDnn.check(dnnl_batch_normalization_forward_desc_init(fwd, dnnl_forward_training, data, eps, flags),
          "dnnl_batch_normalization_forward_desc_init");
      dnnl_primitive_desc fwdPd = OneDnn.primitiveDesc(fwd, null, "BatchNorm forward");
      forward = OneDnn.primitive(fwdPd, "BatchNorm forward");
      dnnl_batch_normalization_desc_t bwd = new dnnl_batch_normalization_desc_t();
      OneDnn.check(dnnl_batch_normalization_backward_desc_init(bwd, dnnl_backward, data, data, eps, flags),
          "dnnl_batch_normalization_backward_desc_init");
      backward = OneDnn.primitive(OneDnn.primitiveDesc(bwd, fwdPd, "BatchNorm backward"), "BatchNorm backward");
    }
  }
}

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
import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_backward;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_backward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_batch_normalization_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nchw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_scale;
import static org.bytedeco.dnnl.global.dnnl.dnnl_use_shift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_batch_normalization_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
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
import org.nd4j.linalg.api.shape.Shape;
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
 * <p>oneDNN comes from JavaCPP's {@code org.bytedeco:dnnl} preset (oneDNN 2.5.2); ND4J's oneDNN build links its
 * copy statically and exports none of it. Primitives are cached per input shape; the helper belongs to one
 * layer and, like DL4J's layers, is not thread-safe.
 */
final class OneDnnBatchNormHelper extends MKLDNNBatchNormHelper {

  private static final dnnl_engine ENGINE = new dnnl_engine();

  static {
    check(dnnl_engine_create(ENGINE, dnnl_cpu, 0), "dnnl_engine_create");
  }

  private final dnnl_stream stream = new dnnl_stream();
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

  OneDnnBatchNormHelper(DataType dataType) {
    super(dataType);
    check(dnnl_stream_create(stream, ENGINE, dnnl_stream_default_flags), "dnnl_stream_create");
  }

  /** Loads the native library; throws if it cannot (then {@link LayerHelpers} uses DL4J's helper). */
  static void load() {
    org.bytedeco.javacpp.Loader.load(org.bytedeco.dnnl.global.dnnl.class);
  }

  @Override
  public INDArray preOutput(INDArray x, boolean training, long[] shape, INDArray gamma, INDArray beta,
      INDArray mean, INDArray var, double decay, double eps, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
    if (!training || !supported(x, format) || gamma == null || beta == null) {
      lastShape = null;
      return super.preOutput(x, training, shape, gamma, beta, mean, var, decay, eps, format, workspaceMgr);
    }
    INDArray in = dense(x);
    long channels = in.size(1);
    if (meanCache == null || meanCache.length() != channels) {
      try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
        meanCache = Nd4j.createUninitialized(DataType.FLOAT, channels);
        varCache = Nd4j.createUninitialized(DataType.FLOAT, channels);
      }
    }
    INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, in.shape());
    Primitives p = primitives(in, eps);
    execute(p.forward, DNNL_ARG_SRC, p.data, in, DNNL_ARG_DST, p.data, out, DNNL_ARG_SCALE, p.vector, vector(gamma),
        DNNL_ARG_SHIFT, p.vector, vector(beta), DNNL_ARG_MEAN, p.vector, meanCache, DNNL_ARG_VARIANCE, p.vector,
        varCache);
    lastInput = address(x).address();
    lastShape = x.shape();
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray epsilon, long[] shape, INDArray gamma,
      INDArray beta, INDArray dGammaView, INDArray dBetaView, double eps, CNN2DFormat format,
      LayerWorkspaceMgr workspaceMgr) {
    if (!sameAsLastInput(input) || !supported(epsilon, format) || !denseVector(dGammaView)
        || !denseVector(dBetaView)) {
      return super.backpropGradient(input, epsilon, shape, gamma, beta, dGammaView, dBetaView, eps, format,
          workspaceMgr);
    }
    INDArray in = dense(input);
    INDArray gradOut = dense(epsilon);
    INDArray gradIn = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, in.shape());
    Primitives p = primitives(in, eps);
    execute(p.backward, DNNL_ARG_SRC, p.data, in, DNNL_ARG_DIFF_DST, p.data, gradOut, DNNL_ARG_SCALE, p.vector,
        vector(gamma), DNNL_ARG_SHIFT, p.vector, vector(beta), DNNL_ARG_MEAN, p.vector, meanCache, DNNL_ARG_VARIANCE, p.vector, varCache,
        DNNL_ARG_DIFF_SRC, p.data, gradIn, DNNL_ARG_DIFF_SCALE, p.vector, dGammaView, DNNL_ARG_DIFF_SHIFT, p.vector,
        dBetaView);
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
    return lastShape != null && Arrays.equals(lastShape, input.shape()) && address(input).address() == lastInput;
  }

  private static boolean supported(INDArray x, CNN2DFormat format) {
    return x.dataType() == DataType.FLOAT && (x.rank() == 2 || (x.rank() == 4 && format != CNN2DFormat.NHWC));
  }

  private static boolean contiguous(INDArray a) {
    return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a);
  }

  /** Whether {@code a} ({@code [C]} or a {@code [1, C]} view of DL4J's gradient) has its values side by side. */
  private static boolean denseVector(INDArray a) {
    return a.isVectorOrScalar() && (a.length() == 1 || a.elementWiseStride() == 1);
  }

  private static INDArray vector(INDArray a) {
    return denseVector(a) ? a : a.dup('c');
  }

  private static INDArray dense(INDArray a) {
    return contiguous(a) ? a : a.dup('c');
  }

  /** The forward and backward primitives for this input shape and epsilon, made on first use. */
  private Primitives primitives(INDArray x, double eps) {
    List<Long> key = new ArrayList<>(x.rank() + 1);
    for (long s : x.shape()) {
      key.add(s);
    }
    key.add(Double.doubleToLongBits(eps));
    return primitives.computeIfAbsent(key, k -> new Primitives(x.shape(), (float) eps));
  }

  /** Runs a primitive on {arg, memory descriptor, array} triples and waits for it. */
  private void execute(dnnl_primitive primitive, Object... args) {
    int n = args.length / 3;
    dnnl_memory[] memories = new dnnl_memory[n];
    try (dnnl_exec_arg_t exec = new dnnl_exec_arg_t(n)) {
      for (int i = 0; i < n; i++) {
        INDArray array = (INDArray) args[3 * i + 2];
        memories[i] = new dnnl_memory();
        check(dnnl_memory_create(memories[i], (dnnl_memory_desc_t) args[3 * i + 1], ENGINE, address(array)),
            "dnnl_memory_create");
        exec.position(i).arg((Integer) args[3 * i]).memory(memories[i]);
      }
      exec.position(0);
      check(dnnl_primitive_execute(primitive, stream, n, exec), "dnnl_primitive_execute");
      check(dnnl_stream_wait(stream), "dnnl_stream_wait");
    } finally {
      for (dnnl_memory m : memories) {
        if (m != null && !m.isNull()) {
          dnnl_memory_destroy(m);
        }
      }
    }
  }

  /** The first element of {@code a} as a native pointer. */
  private static Pointer address(INDArray a) {
    long address = a.data().address() + a.offset() * a.data().getElementSize();
    return new Address(address);
  }

  private static final class Address extends Pointer {
    Address(long address) {
      this.address = address;
    }
  }

  private static void check(int status, String call) {
    if (status != dnnl_success) {
      throw new IllegalStateException("oneDNN " + call + " failed with status " + status);
    }
  }

  /** oneDNN batch normalisation primitives for one shape; they live as long as the helper. */
  private static final class Primitives {
    final dnnl_memory_desc_t data = new dnnl_memory_desc_t();
    final dnnl_memory_desc_t vector = new dnnl_memory_desc_t();
    final dnnl_primitive forward = new dnnl_primitive();
    final dnnl_primitive backward = new dnnl_primitive();

    Primitives(long[] shape, float eps) {
      check(dnnl_memory_desc_init_by_tag(data, shape.length, shape, dnnl_f32, shape.length == 4 ? dnnl_nchw : dnnl_nc),
          "dnnl_memory_desc_init_by_tag " + Arrays.toString(shape));
      check(dnnl_memory_desc_init_by_tag(vector, 1, new long[] {shape[1]}, dnnl_f32, dnnl_a),
          "dnnl_memory_desc_init_by_tag");
      int flags = dnnl_use_scale | dnnl_use_shift;
      dnnl_batch_normalization_desc_t fwd = new dnnl_batch_normalization_desc_t();
      check(dnnl_batch_normalization_forward_desc_init(fwd, dnnl_forward_training, data, eps, flags),
          "dnnl_batch_normalization_forward_desc_init");
      dnnl_primitive_desc fwdPd = new dnnl_primitive_desc();
      check(dnnl_primitive_desc_create(fwdPd, new const_dnnl_op_desc_t(fwd), null, ENGINE, null),
          "dnnl_primitive_desc_create (forward)");
      check(dnnl_primitive_create(forward, fwdPd), "dnnl_primitive_create (forward)");
      dnnl_batch_normalization_desc_t bwd = new dnnl_batch_normalization_desc_t();
      check(dnnl_batch_normalization_backward_desc_init(bwd, dnnl_backward, data, data, eps, flags),
          "dnnl_batch_normalization_backward_desc_init");
      dnnl_primitive_desc bwdPd = new dnnl_primitive_desc();
      check(dnnl_primitive_desc_create(bwdPd, new const_dnnl_op_desc_t(bwd), null, ENGINE, fwdPd),
          "dnnl_primitive_desc_create (backward)");
      check(dnnl_primitive_create(backward, bwdPd), "dnnl_primitive_create (backward)");
    }
  }
}

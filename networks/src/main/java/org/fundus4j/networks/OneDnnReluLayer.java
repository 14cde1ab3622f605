package org.fundus4j.networks;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_backward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_eltwise_relu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.ActivationLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's {@code ActivationLayer} with a plain ReLU, trained without its copies: in training mode the forward is
 * one oneDNN {@code eltwise_relu} from the input into a new array, and the backward one oneDNN {@code eltwise_relu}
 * backward from the input and the incoming gradient into a new array (issue #19).
 *
 * <p>DL4J 1.0.0-M2.1's {@code ActivationLayer} copies its input before the activation in the forward, copies it
 * again in backprop, and then runs libnd4j's {@code relu_bp}, which on 2 AVX-512 cores took 12.8 ms for a
 * [8, 256, 56, 56] float32 tensor against 2.0 ms for the forward ReLU of the same tensor. In a 224 px batch-8
 * ResNet-50 step its 49 ReLU layers spent about 300 ms that way.
 *
 * <p>Same function: both compute {@code max(x, 0)} and pass the gradient where {@code x > 0} (0 at {@code x == 0},
 * like PyTorch's {@code threshold_backward}); tests compare it with DL4J's layer bit for bit. Inference
 * ({@code training == false}), float64 or non-contiguous inputs, dropout and any ReLU with a threshold, slope or
 * maximum run DL4J's own code. {@link LayerHelpers#install} puts this class in place of the graph's
 * {@code ActivationLayer}s whose activation is a plain {@link ActivationReLU}; the configuration, and so the saved
 * model, is DL4J's own. Not thread-safe, like DL4J's layers.
 */
final class OneDnnReluLayer extends ActivationLayer {

  private final dnnl_stream stream = OneDnn.newStream();
  private final Map<List<Long>, Primitives> primitives = new HashMap<>();

  OneDnnReluLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  /** Whether a layer with this configuration computes a plain ReLU that this class can run. */
  static boolean plainRelu(org.deeplearning4j.nn.conf.layers.ActivationLayer conf) {
    return conf.getActivationFn() instanceof ActivationReLU relu && conf.getIDropout() == null
        && relu.getMax() == null && zeroOrUnset(relu.getThreshold()) && zeroOrUnset(relu.getNegativeSlope());
  }

  private static boolean zeroOrUnset(Double value) {
    return value == null || value == 0.0;
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(false);
    if (!training || !OneDnn.denseFloat(input)) {
      return super.activate(training, workspaceMgr);
    }
    INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, input.shape(), 'c');
    Primitives p = primitives(input.shape());
    OneDnn.execute(stream, p.forward, DNNL_ARG_SRC, p.data, input, DNNL_ARG_DST, p.data, out);
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    assertInputSet(true);
    if (!OneDnn.denseFloat(input) || epsilon.dataType() != DataType.FLOAT
        || !Arrays.equals(epsilon.shape(), input.shape())) {
      return super.backpropGradient(epsilon, workspaceMgr);
    }
    INDArray gradOut = OneDnn.dense(epsilon);
    INDArray gradIn = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, input.shape(), 'c');
    Primitives p = primitives(input.shape());
    OneDnn.execute(stream, p.backward, DNNL_ARG_SRC, p.data, input, DNNL_ARG_DIFF_DST, p.data, gradOut,
        DNNL_ARG_DIFF_SRC, p.data, gradIn);
    return new Pair<>(new DefaultGradient(), gradIn);
  }

  private Primitives primitives(long[] shape) {
    return primitives.computeIfAbsent(Arrays.stream(shape).boxed().toList(), k -> new Primitives(shape));
  }

  /** oneDNN ReLU forward (training) and backward for one shape; they live as long as the layer. */
  private static final class Primitives {
    final dnnl_memory_desc_t data;
    final dnnl_primitive forward;
    final dnnl_primitive backward;

    Primitives(long[] shape) {
      data = OneDnn.plain(shape);
      dnnl_eltwise_desc_t fwd = new dnnl_eltwise_desc_t();
      OneDnn.check(dnnl_eltwise_forward_desc_init(fwd, dnnl_forward_training, dnnl_eltwise_relu, data, 0f, 0f),
          "dnnl_eltwise_forward_desc_init");
      dnnl_primitive_desc fwdPd = OneDnn.primitiveDesc(fwd, null, "ReLU forward");
      forward = OneDnn.primitive(fwdPd, "ReLU forward");
      dnnl_eltwise_desc_t bwd = new dnnl_eltwise_desc_t();
      OneDnn.check(dnnl_eltwise_backward_desc_init(bwd, dnnl_eltwise_relu, data, data, 0f, 0f),
          "dnnl_eltwise_backward_desc_init");
      backward = OneDnn.primitive(OneDnn.primitiveDesc(bwd, fwdPd, "ReLU backward"), "ReLU backward");
    }
  }
}

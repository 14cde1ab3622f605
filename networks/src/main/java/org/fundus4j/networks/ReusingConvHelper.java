package org.fundus4j.networks;

import java.util.concurrent.atomic.AtomicLong;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.FwdAlgo;
import org.deeplearning4j.nn.layers.convolution.ConvolutionLayer;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * DL4J's oneDNN convolution helper without the second forward convolution that DL4J 1.0.0-M2.1 runs in
 * every training step, for convolutions with the identity activation (all of ResNet-50's and the U-Net
 * encoder's: BatchNorm follows them).
 *
 * <p>{@code ConvolutionLayer.backpropGradient} first calls {@code preOutput} again to get the convolution's
 * output {@code z}, only to compute {@code activation.backprop(z, epsilon)}, and then calls the helper's
 * {@code backpropGradient} with the input and weights. For the identity activation that product is
 * {@code epsilon} whatever {@code z} holds (DL4J's {@code ActivationIdentity.backprop} checks the shapes and
 * returns {@code epsilon}), so the recomputation, half of all forward convolution time in a training step, is
 * wasted. This helper remembers the output of its last forward call; when {@code preOutput} is called from
 * {@code ConvolutionLayer.backpropGradient} with the same input array, it returns that output (the right
 * shape) instead of convolving again. Any other call, or a different input, convolves as DL4J's helper does.
 * Gradients are identical to {@link MKLDNNConvHelper}'s (tested bit for bit).
 *
 * <p>{@link OneDnnConvHelper} is this helper with the convolutions themselves run by oneDNN directly
 * ({@link #convolve}); constructed with {@code reuseForward == false} it never reuses (for other activations).
 */
class ReusingConvHelper extends MKLDNNConvHelper {

  private static final String LAYER = ConvolutionLayer.class.getName();
  private static final StackWalker STACK = StackWalker.getInstance();

  private final AtomicLong reused = new AtomicLong();
  private final boolean reuseForward;
  private INDArray lastInput;
  private INDArray lastOutput;

  ReusingConvHelper(DataType dataType) {
    this(dataType, true);
  }

  ReusingConvHelper(DataType dataType, boolean reuseForward) {
    super(dataType);
    this.reuseForward = reuseForward;
  }

  @Override
  public INDArray preOutput(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides,
      int[] pad, AlgoMode mode, FwdAlgo fwdAlgo, ConvolutionMode convolutionMode, int[] dilation,
      CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
    if (reuseForward && input == lastInput && lastOutput != null && calledFromBackprop()) {
      reused.incrementAndGet();
      return lastOutput;
    }
    INDArray out = convolve(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation,
        format, workspaceMgr);
    if (reuseForward) {
      lastInput = input;
      lastOutput = out;
    }
    return out;
  }

  /** The forward convolution itself: DL4J's helper (libnd4j's {@code conv2d}) here. */
  INDArray convolve(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
      AlgoMode mode, FwdAlgo fwdAlgo, ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
      LayerWorkspaceMgr workspaceMgr) {
    return super.preOutput(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation,
        format, workspaceMgr);
  }

  /** The number of forward convolutions skipped so far. */
  long reused() {
    return reused.get();
  }

  /** Whether DL4J's {@code ConvolutionLayer.backpropGradient} is the caller (via preOutput4d, preOutput). */
  private static boolean calledFromBackprop() {
    return STACK.walk(frames -> frames.limit(8)
        .anyMatch(f -> f.getClassName().equals(LAYER) && f.getMethodName().equals("backpropGradient")));
  }
}

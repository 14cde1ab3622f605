package org.fundus4j.networks;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.LossUtil;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Binary cross-entropy on sigmoid outputs, computed from the logits as PyTorch's {@code BCEWithLogitsLoss}
 * does: loss {@code max(z, 0) - z y + log(1 + exp(-|z|))}, gradient {@code sigmoid(z) - y}.
 *
 * <p>Why not DL4J's {@code LossFunction.XENT}: it clips the sigmoid output to {@code [1e-5, 1 - 1e-5]},
 * divides by {@code p (1 - p)} of the clipped value and multiplies by the sigmoid's derivative of the
 * unclipped one. Once a logit passes about ±11.5 the two no longer cancel and the gradient of a wrong
 * prediction falls towards zero (at logit -30 with label 1 it is ~1e-8 instead of -1), so a head whose
 * first steps saturate (as on the unnormalised 2048-d features of a linear probe) stays wrong forever.
 * This loss keeps the full gradient at any logit. Use it with {@link org.nd4j.linalg.activations.Activation#SIGMOID}
 * only; like XENT, the score of an example is the sum over its outputs.
 */
public final class SigmoidCrossEntropy implements ILossFunction {
  private static final long serialVersionUID = 1L;

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
      boolean average) {
    double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? sum / preOutput.size(0) : sum;
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask) {
    INDArray z = check(labels, preOutput, activationFn);
    INDArray y = labels.castTo(z.dataType());
    // max(z, 0) - z y + log(1 + exp(-|z|))
    INDArray loss = Transforms.relu(z, true)
        .subi(z.mul(y))
        .addi(Transforms.log1p(Transforms.exp(Transforms.abs(z, true).negi(), false), false));
    if (mask != null) {
      LossUtil.applyMask(loss, mask);
    }
    return loss.sum(true, 1);
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    INDArray z = check(labels, preOutput, activationFn);
    INDArray gradient = Transforms.sigmoid(z, true).subi(labels.castTo(z.dataType()));
    if (mask != null) {
      LossUtil.applyMask(gradient, mask);
    }
    return gradient;
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
      IActivation activationFn, INDArray mask, boolean average) {
    return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return "SigmoidCrossEntropy";
  }

  @Override
  public String toString() {
    return name();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SigmoidCrossEntropy;
  }

  @Override
  public int hashCode() {
    return SigmoidCrossEntropy.class.hashCode();
  }

  private static INDArray check(INDArray labels, INDArray preOutput, IActivation activationFn) {
    if (!(activationFn instanceof ActivationSigmoid)) {
      throw new IllegalArgumentException("SigmoidCrossEntropy needs the SIGMOID activation, got " + activationFn);
    }
    if (!java.util.Arrays.equals(labels.shape(), preOutput.shape())) {
      throw new IllegalArgumentException("SigmoidCrossEntropy: labels have shape "
          + java.util.Arrays.toString(labels.shape()) + " but the network output has "
          + java.util.Arrays.toString(preOutput.shape()));
    }
    return preOutput;
  }
}

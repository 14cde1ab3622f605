package org.fundus4j.evaluation.visualize;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.ILossFunction;

/**
 * A "loss" equal to the sum of the outputs selected by one-hot labels, so that its gradient is
 * the gradient of the chosen class's raw score; used only inside {@link GradCam}'s probe graph.
 */
final class ClassScoreLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask, boolean average) {
    double s = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? s / preOutput.size(0) : s;
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask) {
    INDArray out = activationFn.getActivation(preOutput.dup(), true);
    INDArray prod = out.mul(labels.castTo(out.dataType()));
    if (mask != null) {
      prod.muliColumnVector(mask.castTo(out.dataType()));
    }
    return prod.sum(1);
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask) {
    INDArray dOut = labels.castTo(preOutput.dataType()).dup();
    INDArray grad = activationFn.backprop(preOutput.dup(), dOut).getFirst();
    if (mask != null) {
      grad.muliColumnVector(mask.castTo(grad.dataType()));
    }
    return grad;
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
      IActivation activationFn, INDArray mask, boolean average) {
    return new Pair<>(computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  @Override
  public String name() {
    return "ClassScore";
  }
}

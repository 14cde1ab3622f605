package org.fundus4j.networks.unet;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Soft Dice loss, {@code 1 - (2 sum(p y) + s) / (sum(p) + sum(y) + s)}, for binary segmentation.
 *
 * <p>{@code p} is the activation (e.g. sigmoid) of the network output, {@code y} the 0/1 mask and
 * {@code s} the smoothing term (default 1), which makes an empty prediction of an empty mask score 0.
 * The sums run over every element the loss is given: in a {@link org.deeplearning4j.nn.conf.layers.CnnLossLayer}
 * that is all pixels of the minibatch (DL4J hands the loss a {@code [N*H*W, 1]} array), i.e. the
 * "batch Dice" of MONAI's {@code DiceLoss(batch=True)}. Masked elements (mask 0) are left out of all
 * sums. Because DL4J divides a loss layer's summed score by the minibatch size, {@code graph.score()}
 * reports {@code (1 - Dice) / N} there; {@link #computeScore} itself returns {@code 1 - Dice}.
 * {@link #computeScoreArray} gives each row an equal share of the loss, so the shares add up to it.
 *
 * <pre>{@code
 * new CnnLossLayer.Builder().lossFunction(new DiceLoss()).activation(Activation.SIGMOID).build();
 * }</pre>
 */
public final class DiceLoss implements ILossFunction {
  private static final long serialVersionUID = 1L;

  @JsonProperty("smooth")
  private final double smooth;

  /** Dice loss with smoothing 1. */
  public DiceLoss() {
    this(1.0);
  }

  /** Dice loss with the given smoothing term (added to numerator and denominator), {@code >= 0}. */
  public DiceLoss(@JsonProperty("smooth") double smooth) {
    if (!(smooth >= 0) || Double.isInfinite(smooth)) {
      throw new IllegalArgumentException("Dice smoothing must be finite and >= 0, got " + smooth);
    }
    this.smooth = smooth;
  }

  /** The smoothing term. */
  public double smooth() {
    return smooth;
  }

  @Override
  public double computeScore(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask,
      boolean average) {
    return terms(labels, preOutput, activationFn, mask).loss();
  }

  @Override
  public INDArray computeScoreArray(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask) {
    double loss = computeScore(labels, preOutput, activationFn, mask, false);
    long rows = preOutput.size(0);
    return Nd4j.valueArrayOf(new long[] {rows, 1}, loss / rows, preOutput.dataType());
  }

  @Override
  public INDArray computeGradient(INDArray labels, INDArray preOutput, IActivation activationFn,
      INDArray mask) {
    return computeGradientAndScore(labels, preOutput, activationFn, mask, false).getSecond();
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(INDArray labels, INDArray preOutput,
      IActivation activationFn, INDArray mask, boolean average) {
    Terms t = terms(labels, preOutput, activationFn, mask);
    // dL/dp_i = -(2 y_i (P + Y + s) - (2 I + s)) / (P + Y + s)^2, restricted to unmasked elements
    double denominator = t.sumP + t.sumY + smooth;
    double numerator = 2 * t.intersection + smooth;
    INDArray dLdp = t.y.mul(-2.0 / denominator).addi(numerator / (denominator * denominator));
    if (t.mask != null) {
      dLdp.muli(t.mask);
    }
    INDArray grad = activationFn.backprop(preOutput.dup('c'), dLdp.reshape('c', preOutput.shape())).getFirst();
    return new Pair<>(t.loss(), grad);
  }

  @Override
  public String name() {
    return "DiceLoss(smooth=" + smooth + ")";
  }

  @Override
  public String toString() {
    return name();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DiceLoss other && Double.compare(other.smooth, smooth) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(smooth);
  }

  private Terms terms(INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    if (labels.length() != preOutput.length()) {
      throw new IllegalArgumentException("Dice loss: labels have shape " + java.util.Arrays.toString(labels.shape())
          + " but the network output has " + java.util.Arrays.toString(preOutput.shape()));
    }
    long rows = preOutput.size(0);
    long cols = preOutput.length() / rows;
    INDArray p = activationFn.getActivation(preOutput.dup('c'), true).reshape('c', rows, cols);
    INDArray y = labels.castTo(p.dataType()).dup('c').reshape('c', rows, cols);
    INDArray m = null;
    if (mask != null) {
      m = mask.castTo(p.dataType()).dup('c');
      if (m.length() == p.length()) {
        m = m.reshape('c', rows, cols);
      } else if (m.length() == rows) {
        m = p.ulike().assign(1.0).muliColumnVector(m.reshape(rows, 1));
      } else {
        throw new IllegalArgumentException("Dice loss: mask shape " + java.util.Arrays.toString(mask.shape())
            + " fits neither the output " + java.util.Arrays.toString(preOutput.shape()) + " nor one value per row");
      }
      p = p.mul(m);
      y = y.mul(m);
    }
    double intersection = p.mul(y).sumNumber().doubleValue();
    return new Terms(y, m, intersection, p.sumNumber().doubleValue(), y.sumNumber().doubleValue(), smooth);
  }

  private record Terms(INDArray y, INDArray mask, double intersection, double sumP, double sumY, double smooth) {
    double loss() {
      return 1.0 - (2 * intersection + smooth) / (sumP + sumY + smooth);
    }
  }
}

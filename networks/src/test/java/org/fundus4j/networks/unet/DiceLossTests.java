package org.fundus4j.networks.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class DiceLossTests {
  private static final IActivation IDENTITY = Activation.IDENTITY.getActivationFunction();
  private static final IActivation SIGMOID = Activation.SIGMOID.getActivationFunction();

  @Test
  void scoreMatchesHandComputation() {
    INDArray p = Nd4j.createFromArray(0.9, 0.1, 0.8, 0.3).reshape(4, 1);
    INDArray y = Nd4j.createFromArray(1.0, 0.0, 1.0, 1.0).reshape(4, 1);
    // I = 0.9 + 0.8 + 0.3 = 2.0, P = 2.1, Y = 3; loss = 1 - (2*2 + 1) / (2.1 + 3 + 1) = 1 - 5/6.1
    assertEquals(1 - 5 / 6.1, new DiceLoss().computeScore(y, p, IDENTITY, null, true), 1e-12);
    // smooth 0: 1 - 4/5.1
    assertEquals(1 - 4 / 5.1, new DiceLoss(0).computeScore(y, p, IDENTITY, null, false), 1e-12);
    // a mask that drops the third pixel: I = 1.2, P = 1.3, Y = 2 -> 1 - 3.4/4.3
    INDArray mask = Nd4j.createFromArray(1.0, 1.0, 0.0, 1.0).reshape(4, 1);
    assertEquals(1 - 3.4 / 4.3, new DiceLoss().computeScore(y, p, IDENTITY, mask, true), 1e-12);
  }

  @Test
  void perfectAndEmptyPredictions() {
    INDArray y = Nd4j.createFromArray(1.0, 0.0, 1.0, 0.0).reshape(2, 2);
    assertEquals(0.0, new DiceLoss().computeScore(y, y, IDENTITY, null, true), 1e-12);
    INDArray zeros = Nd4j.zeros(DataType.DOUBLE, 2, 2);
    assertEquals(0.0, new DiceLoss().computeScore(zeros, zeros, IDENTITY, null, true), 1e-12);
    // an empty prediction of a 2-pixel mask: 1 - 1/3
    assertEquals(2.0 / 3, new DiceLoss().computeScore(y, zeros, IDENTITY, null, true), 1e-12);
  }

  @Test
  void gradientMatchesCentralFiniteDifferences() {
    Nd4j.getRandom().setSeed(12);
    INDArray pre = Nd4j.randn(DataType.DOUBLE, 2, 1, 4, 3).muli(2);
    INDArray labels = Nd4j.rand(DataType.DOUBLE, 2, 1, 4, 3).gt(0.6).castTo(DataType.DOUBLE);
    INDArray mask = Nd4j.rand(DataType.DOUBLE, 2, 1, 4, 3).gt(0.2).castTo(DataType.DOUBLE);
    for (INDArray m : new INDArray[] {null, mask}) {
      DiceLoss loss = new DiceLoss(0.5);
      INDArray analytic = loss.computeGradient(labels, pre, SIGMOID, m);
      double eps = 1e-6;
      for (int i = 0; i < pre.length(); i++) {
        INDArray plus = pre.dup();
        plus.putScalar(i, pre.getDouble(i) + eps);
        INDArray minus = pre.dup();
        minus.putScalar(i, pre.getDouble(i) - eps);
        double numeric = (loss.computeScore(labels, plus, SIGMOID, m, false)
            - loss.computeScore(labels, minus, SIGMOID, m, false)) / (2 * eps);
        assertEquals(numeric, analytic.getDouble(i), 1e-8 + 1e-6 * Math.abs(numeric), "element " + i);
      }
    }
  }

  @Test
  void scoreArraySharesAddUpToTheLoss() {
    INDArray p = Nd4j.createFromArray(0.9, 0.1, 0.8, 0.3).reshape(4, 1);
    INDArray y = Nd4j.createFromArray(1.0, 0.0, 1.0, 1.0).reshape(4, 1);
    INDArray shares = new DiceLoss().computeScoreArray(y, p, IDENTITY, null);
    assertEquals(4, shares.length());
    assertEquals(1 - 5 / 6.1, shares.sumNumber().doubleValue(), 1e-12);
  }

  @Test
  void survivesJsonRoundTripOfTheGraphConfiguration() {
    ComputationGraphConfiguration conf = UNet.classic(2, 1).getConfiguration();
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertEquals(conf, back);
  }

  @Test
  void rejectsNegativeSmoothingAndMismatchedShapes() {
    assertThrows(IllegalArgumentException.class, () -> new DiceLoss(-1));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DiceLoss().computeScore(Nd4j.zeros(3, 1), Nd4j.zeros(4, 1), IDENTITY, null, true));
    assertEquals("Dice loss: labels have shape [3, 1] but the network output has [4, 1]", e.getMessage());
  }
}

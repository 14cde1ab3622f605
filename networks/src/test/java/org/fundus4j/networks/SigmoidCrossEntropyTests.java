package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.BaseOutputLayer;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossBinaryXENT;

class SigmoidCrossEntropyTests {
  private static final IActivation SIGMOID = Activation.SIGMOID.getActivationFunction();
  private final SigmoidCrossEntropy loss = new SigmoidCrossEntropy();

  @Test
  void equalsBinaryCrossEntropyOfTheSigmoidAtModerateLogits() {
    INDArray z = Nd4j.createFromArray(new double[][] {{-4, -1, 0, 0.5}, {2, 3.5, -2.5, 1}});
    INDArray y = Nd4j.createFromArray(new double[][] {{0, 1, 1, 0}, {1, 0, 1, 1}});
    double expected = 0;
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 4; j++) {
        double p = 1 / (1 + Math.exp(-z.getDouble(i, j)));
        double t = y.getDouble(i, j);
        expected -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      }
    }
    assertEquals(expected / 2, loss.computeScore(y, z, SIGMOID, null, true), 1e-12);
    // and agrees with DL4J's XENT where XENT is well-conditioned
    INDArray xent = new LossBinaryXENT().computeGradient(y, z.dup(), SIGMOID, null);
    assertEquals(0, xent.sub(loss.computeGradient(y, z, SIGMOID, null)).amaxNumber().doubleValue(), 1e-6);
  }

  @Test
  void keepsTheFullGradientOfASaturatedWrongPrediction() {
    INDArray z = Nd4j.createFromArray(new float[][] {{-30f, 30f}});
    INDArray y = Nd4j.createFromArray(new float[][] {{1f, 0f}});
    INDArray ours = loss.computeGradient(y, z, SIGMOID, null);
    assertEquals(-1.0, ours.getDouble(0, 0), 1e-6);
    assertEquals(1.0, ours.getDouble(0, 1), 1e-6);
    assertEquals(60.0, loss.computeScore(y, z, SIGMOID, null, false), 1e-4); // log(1 + e^30) = 30 + 9e-14
    // the DL4J pitfall this class exists for: XENT's gradient vanishes there
    INDArray xent = new LossBinaryXENT().computeGradient(y, z.dup(), SIGMOID, null);
    assertTrue(xent.amaxNumber().doubleValue() < 1e-3, "XENT gradient " + xent);
  }

  @Test
  void gradientIsTheDerivativeOfTheScore() {
    INDArray z = Nd4j.rand(DataType.DOUBLE, 3, 5).subi(0.5).muli(20);
    INDArray y = Nd4j.rand(DataType.DOUBLE, 3, 5).gt(0.5).castTo(DataType.DOUBLE);
    INDArray mask = Nd4j.createFromArray(new double[][] {{1}, {0}, {1}});
    INDArray gradient = loss.computeGradient(y, z, SIGMOID, mask);
    double h = 1e-6;
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 5; j++) {
        INDArray plus = z.dup();
        plus.putScalar(i, j, z.getDouble(i, j) + h);
        INDArray minus = z.dup();
        minus.putScalar(i, j, z.getDouble(i, j) - h);
        double numeric = (loss.computeScore(y, plus, SIGMOID, mask, false)
            - loss.computeScore(y, minus, SIGMOID, mask, false)) / (2 * h);
        assertEquals(numeric, gradient.getDouble(i, j), 1e-6, "d/dz[" + i + "," + j + "]");
      }
    }
    assertEquals(0, gradient.getRow(1).amaxNumber().doubleValue()); // masked example
  }

  @Test
  void refusesOtherActivationsAndMismatchedShapes() {
    INDArray z = Nd4j.zeros(2, 3);
    assertThrows(IllegalArgumentException.class,
        () -> loss.computeGradient(z, z, Activation.SOFTMAX.getActivationFunction(), null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> loss.computeGradient(Nd4j.zeros(2, 4), z, SIGMOID, null));
    assertEquals("SigmoidCrossEntropy: labels have shape [2, 4] but the network output has [2, 3]", e.getMessage());
  }

  @Test
  void multiLabelModelSavesAndLoadsWithTheLoss() throws Exception {
    ComputationGraph net = ResNet50.build(Head.multiLabel(7), 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ModelSerializer.writeModel(net, bytes, false);
    ComputationGraph back = ModelSerializer.restoreComputationGraph(new ByteArrayInputStream(bytes.toByteArray()));
    BaseOutputLayer<?> out = (BaseOutputLayer<?>) back.getLayer(ResNet50.OUTPUT);
    assertEquals(new SigmoidCrossEntropy(), ((org.deeplearning4j.nn.conf.layers.BaseOutputLayer) out.conf().getLayer())
        .getLossFn());
    assertEquals(net.params(), back.params());
  }
}

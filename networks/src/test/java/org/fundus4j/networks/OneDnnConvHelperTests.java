package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** {@link OneDnnConvHelper} against DL4J's own oneDNN helper (libnd4j's conv2d / conv2d_bp) on the same graph. */
class OneDnnConvHelperTests {

  @Test
  void outputsGradientsAndUpdatesEqualDl4jsHelperWithBiasStridePaddingAndActivations() {
    Random random = new Random(3);
    // 13 px with stride 2 and padding 1: Truncate drops the last column, as oneDNN must too
    INDArray x = LayerHelpersTests.randomArray(random, 1.0, 2, 3, 13, 13);
    INDArray y = Nd4j.create(new float[][] {{1, 0}, {0, 1}});
    ComputationGraph ours = graph();
    ComputationGraph dl4js = withDl4jsHelper(OneDnnConvHelperTests::graph);
    assertEquals(3, convHelpers(ours, OneDnnConvHelper.class));
    assertEquals(0, convHelpers(dl4js, OneDnnConvHelper.class));
    dl4js.setParams(ours.params().dup());

    assertClose(dl4js.outputSingle(false, x), ours.outputSingle(false, x), 1e-5, "inference output");
    for (ComputationGraph net : new ComputationGraph[] {ours, dl4js}) {
      net.setInputs(x);
      net.setLabels(y);
      net.computeGradientAndScore();
    }
    assertClose(dl4js.gradient().gradient(), ours.gradient().gradient(), 1e-5, "gradient of every parameter");
    // c1 alone reads the input: its gradient for the input is left out, as nothing reads it
    assertEquals(1, LayerHelpers.skippedInputGradients(ours));
    assertEquals(0, LayerHelpers.skippedInputGradients(dl4js));
    for (String layer : new String[] {"c1", "c2", "c3"}) {
      for (String param : new String[] {"W", "b"}) {
        if (ours.getLayer(layer).getParam(param) != null) {
          assertTrue(ours.gradient().getGradientFor(layer + "_" + param).amaxNumber().doubleValue() > 1e-4,
              layer + "_" + param + " has a gradient");
        }
      }
    }
    DataSet batch = new DataSet(x, y);
    for (int i = 0; i < 3; i++) {
      ours.fit(batch);
      dl4js.fit(batch);
    }
    assertClose(dl4js.params(), ours.params(), 1e-5, "parameters after three SGD steps");
    assertTrue(LayerHelpers.reusedForwardConvolutions(ours) > 0, "the identity convolution still skips its repeat");
    assertEquals(0, LayerHelpers.fallbacks(ours), "every call ran in the helper, none in DL4J's fallback");
  }

  @Test
  void anInputWithTwoReadersKeepsBothInputGradients() {
    Random random = new Random(5);
    INDArray x = LayerHelpersTests.randomArray(random, 1.0, 2, 3, 9, 9);
    ComputationGraph ours = twoReaders();
    ComputationGraph dl4js = withDl4jsHelper(OneDnnConvHelperTests::twoReaders);
    dl4js.setParams(ours.params().dup());
    for (ComputationGraph net : new ComputationGraph[] {ours, dl4js}) {
      net.setInputs(x);
      net.setLabels(Nd4j.create(new float[][] {{1, 0}, {0, 1}}));
      net.computeGradientAndScore();
    }
    // DL4J adds the readers' input gradients, and would fail on a missing one
    assertEquals(0, LayerHelpers.skippedInputGradients(ours), "input gradients left out");
    assertClose(dl4js.gradient().gradient(), ours.gradient().gradient(), 1e-5, "gradient of every parameter");
  }

  private static ComputationGraph twoReaders() {
    ComputationGraphConfiguration.GraphBuilder g = ResNet50.baseConfig(3, new Sgd(0.05)).graphBuilder()
        .addInputs("in")
        .addLayer("a", ResNet50.conv(3, 1, 1, 4), "in")
        .addLayer("b", ResNet50.conv(1, 1, 0, 4), "in")
        .addVertex("sum", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
            org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "a", "b")
        .addLayer("avg", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "sum")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
            .activation(Activation.SOFTMAX).build(), "avg")
        .setOutputs("out")
        .setInputTypes(InputType.convolutional(9, 9, 3));
    return installed(g);
  }

  private static ComputationGraph graph() {
    ComputationGraphConfiguration.GraphBuilder g = ResNet50.baseConfig(3, new Sgd(0.05)).graphBuilder()
        .addInputs("in")
        // 3x3 / 2, bias, ReLU: a U-Net decoder convolution with a stride
        .addLayer("c1", new ConvolutionLayer.Builder(3, 3).stride(2, 2).padding(1, 1).nOut(8).hasBias(true)
            .convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).build(), "in")
        // 1x1, no bias, identity: ResNet-50's
        .addLayer("c2", ResNet50.conv(1, 1, 0, 16), "c1")
        // 1x1, bias, tanh
        .addLayer("c3", new ConvolutionLayer.Builder(1, 1).nOut(4).hasBias(true)
            .convolutionMode(ConvolutionMode.Truncate).activation(Activation.TANH).build(), "c2")
        .addLayer("avg", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c3")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
            .activation(Activation.SOFTMAX).build(), "avg")
        .setOutputs("out")
        .setInputTypes(InputType.convolutional(13, 13, 3));
    return installed(g);
  }

  private static ComputationGraph installed(ComputationGraphConfiguration.GraphBuilder g) {
    ComputationGraph net = new ComputationGraph(g.build());
    net.init();
    LayerHelpers.install(net);
    return net;
  }

  /** The graph {@code build} makes, with DL4J's convolution helper instead of {@link OneDnnConvHelper}. */
  private static ComputationGraph withDl4jsHelper(java.util.function.Supplier<ComputationGraph> build) {
    System.setProperty(LayerHelpers.CONV_PROPERTY, "false");
    try {
      return build.get();
    } finally {
      System.clearProperty(LayerHelpers.CONV_PROPERTY);
    }
  }

  private static long convHelpers(ComputationGraph net, Class<?> type) {
    return java.util.Arrays.stream(net.getLayers())
        .filter(l -> l instanceof org.deeplearning4j.nn.layers.convolution.ConvolutionLayer)
        .map(l -> {
          try {
            java.lang.reflect.Field f = org.deeplearning4j.nn.layers.convolution.ConvolutionLayer.class
                .getDeclaredField("helper");
            f.setAccessible(true);
            return f.get(l);
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
          }
        })
        .filter(type::isInstance).count();
  }

  /** Relative to the largest expected value, at least 1e-3. */
  private static void assertClose(INDArray expected, INDArray actual, double relTol, String what) {
    double max = Math.max(1e-3, expected.amaxNumber().doubleValue());
    double diff = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(diff <= relTol * max, what + ": max |difference| " + diff + " > " + relTol + " x " + max);
  }
}

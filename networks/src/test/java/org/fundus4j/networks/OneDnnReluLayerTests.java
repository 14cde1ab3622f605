package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.listeners.ScoreIterationListener;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class OneDnnReluLayerTests {

  private static final LayerWorkspaceMgr NO_WORKSPACES = LayerWorkspaceMgr.noWorkspaces();

  @Test
  void forwardAndBackwardOfAWorkedExample() {
    OneDnnReluLayer relu = layer(OneDnnReluLayer::new);
    INDArray x = Nd4j.create(new float[] {-1f, 0f, 2f, 3f, -0.5f, 7f}, new long[] {2, 3}, 'c');
    INDArray eps = Nd4j.create(new float[] {10f, 20f, 30f, 40f, 50f, 60f}, new long[] {2, 3}, 'c');
    relu.setInput(x, NO_WORKSPACES);
    assertEquals(Nd4j.create(new float[] {0f, 0f, 2f, 3f, 0f, 7f}, new long[] {2, 3}, 'c'),
        relu.activate(true, NO_WORKSPACES));
    // the gradient passes where x > 0 only: 0 at x == 0, as PyTorch's threshold_backward
    assertEquals(Nd4j.create(new float[] {0f, 0f, 30f, 40f, 0f, 60f}, new long[] {2, 3}, 'c'),
        relu.backpropGradient(eps, NO_WORKSPACES).getSecond());
    assertEquals(Nd4j.create(new float[] {-1f, 0f, 2f, 3f, -0.5f, 7f}, new long[] {2, 3}, 'c'), x,
        "the input is not overwritten");
  }

  @Test
  void equalsDl4jsActivationLayerBitForBitOnAFeatureMapWithAStridedGradient() {
    Random random = new Random(5);
    INDArray x = LayerHelpersTests.randomArray(random, 1.0, 2, 16, 9, 11);
    x.putScalar(new long[] {0, 3, 4, 5}, 0f); // an exact zero
    // the incoming gradient as a non-contiguous view, as DL4J can hand it over
    INDArray eps = LayerHelpersTests.randomArray(random, 1.0, 2, 11, 9, 16).permute(0, 3, 2, 1);
    assertFalse(OneDnn.contiguous(eps));

    OneDnnReluLayer ours = layer(OneDnnReluLayer::new);
    org.deeplearning4j.nn.layers.ActivationLayer dl4j = layer(org.deeplearning4j.nn.layers.ActivationLayer::new);
    ours.setInput(x.dup(), NO_WORKSPACES);
    dl4j.setInput(x.dup(), NO_WORKSPACES);
    assertEquals(dl4j.activate(true, NO_WORKSPACES), ours.activate(true, NO_WORKSPACES), "forward");
    INDArray expected = dl4j.backpropGradient(eps, NO_WORKSPACES).getSecond();
    INDArray actual = ours.backpropGradient(eps, NO_WORKSPACES).getSecond();
    assertEquals(expected, actual, "input gradient");
    long passed = x.gt(0.0).castTo(DataType.FLOAT).sumNumber().longValue();
    assertTrue(passed > 1000 && passed < x.length() - 1000, "both signs occur: " + passed + " of " + x.length());
  }

  @Test
  void float64RunsDl4jsOwnCode() {
    OneDnnReluLayer relu = layer(OneDnnReluLayer::new);
    INDArray x = Nd4j.create(new double[] {-1, 2}, new long[] {1, 2});
    relu.setInput(x, NO_WORKSPACES);
    assertEquals(Nd4j.create(new double[] {0, 2}, new long[] {1, 2}), relu.activate(true, NO_WORKSPACES));
  }

  @Test
  void onlyAPlainReluQualifies() {
    assertTrue(OneDnnReluLayer.plainRelu(ResNet50.relu()));
    assertFalse(OneDnnReluLayer.plainRelu(new ActivationLayer.Builder().activation(Activation.TANH).build()));
    assertFalse(OneDnnReluLayer.plainRelu(new ActivationLayer.Builder().activation(new ActivationReLU(6.0, 0.0, 0.0))
        .build()));
    assertFalse(OneDnnReluLayer.plainRelu(new ActivationLayer.Builder().activation(Activation.RELU).dropOut(0.5)
        .build()));
  }

  @Test
  void installReplacesTheGraphsReluLayersKeepingListenersAndRemovePutsDl4jsBack() {
    ComputationGraph net = ResNet50.build(Head.linear(2), 1);
    LayerHelpers.remove(net);
    ScoreIterationListener listener = new ScoreIterationListener(1);
    net.setListeners(listener);
    Layer before = net.getLayer("layer1.0.relu2");
    assertEquals(org.deeplearning4j.nn.layers.ActivationLayer.class, before.getClass());
    LayerHelpers.install(net);
    Layer after = net.getLayer("layer1.0.relu2");
    assertTrue(after instanceof OneDnnReluLayer);
    assertSame(before.conf(), after.conf(), "same configuration, so a saved model does not change");
    assertEquals(before.getIndex(), after.getIndex());
    assertTrue(Arrays.asList(net.getLayers()).contains(after), "the graph's layer array holds the new layer");
    assertEquals(List.copyOf(before.getListeners()), List.copyOf(after.getListeners()));
    assertEquals(49, Arrays.stream(net.getLayers()).filter(OneDnnReluLayer.class::isInstance).count());
    LayerHelpers.remove(net);
    assertEquals(0, Arrays.stream(net.getLayers()).filter(OneDnnReluLayer.class::isInstance).count());
    assertEquals(org.deeplearning4j.nn.layers.ActivationLayer.class, net.getLayer("layer1.0.relu2").getClass());
  }

  private interface Factory<T> {
    T make(NeuralNetConfiguration conf, DataType dataType);
  }

  private static <T> T layer(Factory<T> factory) {
    NeuralNetConfiguration conf = new NeuralNetConfiguration.Builder().layer(ResNet50.relu()).build();
    return factory.make(conf, DataType.FLOAT);
  }
}

package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.torch.TorchCheckpoint;
import org.fundus4j.networks.torch.TorchWeights;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class LayerHelpersTests {

  @Test
  void resnet50BuildInstallsHelpersWithOneDnnAndInstallReachesEveryConvolutionBatchNormAndPoolingLayer() {
    ComputationGraph net = ResNet50.build(Head.paper(2), 1);
    // convolutions, BatchNorms, max-pool, the paper head's BatchNorm fc.1, then the ReLU layers (49 + fc.2)
    int expected = 53 + 53 + 1 + 1 + 49 + 1;
    assertEquals(LayerHelpers.oneDnn() ? expected : 0, LayerHelpers.count(net));
    LayerHelpers.remove(net);
    assertEquals(0, LayerHelpers.count(net));
    assertEquals(expected, LayerHelpers.install(net));
    assertEquals(expected, LayerHelpers.count(net));
    assertEquals(0, LayerHelpers.install(net), "install is idempotent");
    assertEquals(expected, LayerHelpers.remove(net));
  }

  @Test
  void propertyFalseMakesInstallANoOp() {
    ComputationGraph net = ResNet50.build(Head.linear(2), 1);
    LayerHelpers.remove(net);
    System.setProperty(LayerHelpers.PROPERTY, "false");
    try {
      assertFalse(LayerHelpers.enabled());
      assertEquals(0, LayerHelpers.install(net));
      assertEquals(0, LayerHelpers.count(net));
    } finally {
      System.clearProperty(LayerHelpers.PROPERTY);
    }
    assertEquals(107 + 49, LayerHelpers.install(net));
  }

  @Test
  void helpersComputeWhatDl4jsOwnLayersCompute() {
    // conv 3x3 p1 -> BN -> ReLU -> max-pool 3x3/2 p1 -> conv 1x1/2 -> BN -> ReLU -> avg -> softmax, as in ResNet50
    ComputationGraph net = smallResNetLikeGraph();
    assertEquals(5 + 2, LayerHelpers.count(net));
    Random random = new Random(7);
    net.getLayer("c1").setParam("W", randomArray(random, 0.3, 8, 3, 3, 3));
    net.getLayer("c2").setParam("W", randomArray(random, 0.3, 16, 8, 1, 1));
    net.getLayer("out").setParam("W", randomArray(random, 0.3, 16, 3));
    INDArray x = randomArray(random, 1.0, 2, 3, 12, 12);
    INDArray y = Nd4j.create(new float[][] {{1, 0, 0}, {0, 0, 1}});

    Snapshot withHelpers = snapshot(net, x, y);
    assertEquals(0, LayerHelpers.fallbacks(net), "no helper call fell back to DL4J's own code");
    assertEquals(5 + 2, LayerHelpers.remove(net));
    Snapshot builtIn = snapshot(net, x, y);

    assertClose(builtIn.inference, withHelpers.inference, 1e-5, "inference output");
    assertClose(builtIn.training, withHelpers.training, 1e-5, "training-mode output (batch statistics)");
    assertClose(builtIn.gradient, withHelpers.gradient, 1e-4, "gradient of every parameter");
    assertEquals(builtIn.score, withHelpers.score, 1e-5, "loss");
    assertTrue(builtIn.gradient.amaxNumber().doubleValue() > 1e-3, "the gradient is not trivially zero");
  }

  @Test
  void reusingTheForwardConvolutionInBackpropChangesNoGradientAndNoUpdate() {
    Random random = new Random(11);
    INDArray w1 = randomArray(random, 0.3, 8, 3, 3, 3);
    INDArray w2 = randomArray(random, 0.3, 16, 8, 1, 1);
    INDArray wOut = randomArray(random, 0.3, 16, 3);
    INDArray x = randomArray(random, 1.0, 2, 3, 12, 12);
    INDArray y = Nd4j.create(new float[][] {{1, 0, 0}, {0, 0, 1}});

    ComputationGraph reusing = smallResNetLikeGraph();
    ComputationGraph plain = smallResNetLikeGraph();
    LayerHelpers.remove(plain);
    System.setProperty(LayerHelpers.REUSE_PROPERTY, "false");
    try {
      assertEquals(5 + 2, LayerHelpers.install(plain));
    } finally {
      System.clearProperty(LayerHelpers.REUSE_PROPERTY);
    }
    for (ComputationGraph net : List.of(reusing, plain)) {
      net.getLayer("c1").setParam("W", w1.dup());
      net.getLayer("c2").setParam("W", w2.dup());
      net.getLayer("out").setParam("W", wOut.dup());
    }

    Snapshot a = snapshot(reusing, x, y);
    Snapshot b = snapshot(plain, x, y);
    assertEquals(2, LayerHelpers.reusedForwardConvolutions(reusing), "one skipped forward per convolution");
    assertEquals(0, LayerHelpers.reusedForwardConvolutions(plain));
    assertEquals(b.gradient, a.gradient, "gradients bit for bit");
    assertEquals(b.score, a.score);

    DataSet batch = new DataSet(x, y);
    for (int i = 0; i < 3; i++) {
      reusing.fit(batch);
      plain.fit(batch);
    }
    assertEquals(plain.params(), reusing.params(), "parameters after three SGD steps, bit for bit");
    assertEquals(2 + 3 * 2, LayerHelpers.reusedForwardConvolutions(reusing));
    assertTrue(a.gradient.amaxNumber().doubleValue() > 1e-3, "the gradient is not trivially zero");
  }

  @Test
  void withHelpersLoadedResNet50LogitsStayWithin1e4OfPyTorch() throws Exception {
    // the PyTorch equivalence of TorchWeightsTests, with helpers whatever the ND4J build
    ComputationGraph linear = ResNet50.build(Head.linear(3), 1);
    TorchWeights.load(linear, TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_zip.pth")));
    LayerHelpers.install(linear);
    INDArray x64 = TorchFixtures.raw("input_64.bin", 2, 3, 64, 64);
    INDArray x224 = TorchFixtures.raw("input_224.bin", 1, 3, 224, 224);
    assertWithin(TorchFixtures.raw("linear_logits_64.bin", 2, 3), ResNet50.logits(linear, x64), 1e-4, "logits 64 px");
    assertWithin(TorchFixtures.raw("linear_logits_224.bin", 1, 3), ResNet50.logits(linear, x224), 1e-4,
        "logits 224 px");
    assertClose(TorchFixtures.raw("linear_features_64.bin", 2, 2048), ResNet50.features(linear, x64), 1e-4,
        "features 64 px");

    ComputationGraph paper = ResNet50.build(Head.paper(2), 1);
    TorchWeights.load(paper, TorchCheckpoint.read(TorchFixtures.file("resnet50_paper_module.pth")));
    LayerHelpers.install(paper);
    assertWithin(TorchFixtures.raw("paper_logits_64.bin", 2, 2), ResNet50.logits(paper, x64), 1e-4,
        "paper head logits 64 px");
  }

  private record Snapshot(INDArray inference, INDArray training, INDArray gradient, double score) {}

  @Test
  void frozenBatchNormStatisticsTrainTheInferenceNetworkAndKeepTheRunningStatistics() {
    ComputationGraph net = smallResNetLikeGraph();
    Random random = new Random(3);
    for (String bn : List.of("bn1", "bn2")) { // running statistics far from any batch's
      INDArray mean = net.getLayer(bn).getParam("mean");
      mean.assign(randomArray(random, 0.5, mean.shape()));
      net.getLayer(bn).getParam("gamma").assign(randomArray(random, 0.3, mean.shape()).addi(1));
      net.getLayer(bn).getParam("beta").assign(randomArray(random, 0.3, mean.shape()));
    }
    INDArray x = randomArray(random, 1, 4, 3, 12, 12);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 4, 3);
    for (int i = 0; i < 4; i++) {
      y.putScalar(i, i % 3, 1f);
    }
    INDArray inference = net.outputSingle(false, x).dup();

    assertEquals(2, LayerHelpers.freezeBatchNormStatistics(net));

    assertWithin(inference, net.outputSingle(true, x), 1e-6, "training mode computes what inference does");
    // the gradient is that of the inference network: central differences of its loss, for weights of both
    // convolutions and the head and for both BatchNorms' scale and shift
    net.setInputs(x);
    net.setLabels(y);
    net.computeGradientAndScore();
    INDArray gradient = net.gradient().gradient().dup();
    INDArray params = net.params();
    long[] probes = {0, 5, 163, 300, params.length() - 7};
    for (String bn : List.of("bn1", "bn2")) {
      for (String p : List.of("gamma", "beta")) {
        probes = java.util.Arrays.copyOf(probes, probes.length + 1);
        probes[probes.length - 1] = offsetOf(net, bn, p);
      }
    }
    for (long i : probes) {
      double h = 1e-3;
      double v = params.getDouble(i);
      params.putScalar(i, v + h);
      net.computeGradientAndScore();
      double up = net.score();
      params.putScalar(i, v - h);
      net.computeGradientAndScore();
      double down = net.score();
      params.putScalar(i, v);
      double numeric = (up - down) / (2 * h);
      // DL4J's gradient is summed over the batch (its updater divides by the batch size); the score is the mean
      assertEquals(numeric, gradient.getDouble(i) / 4, 1e-3 + 0.01 * Math.abs(numeric), "d loss / d param " + i);
    }
    // a training step leaves the running statistics where they were
    INDArray mean = net.getLayer("bn2").getParam("mean").dup();
    INDArray var = net.getLayer("bn2").getParam("var").dup(); // ResNet50.batchNorm(): useLogStd(false)
    net.fit(new DataSet(x, y));
    assertWithin(mean, net.getLayer("bn2").getParam("mean"), 0, "running mean");
    assertWithin(var, net.getLayer("bn2").getParam("var"), 1e-6, "running variance");
  }

  /** Offset of the first value of {@code layer}'s parameter {@code param} in {@code net.params()}. */
  private static long offsetOf(ComputationGraph net, String layer, String param) {
    INDArray all = net.params();
    INDArray p = net.getLayer(layer).getParam(param);
    return (p.data().address() - all.data().address()) / p.data().getElementSize() + p.offset() - all.offset();
  }

  private static Snapshot snapshot(ComputationGraph net, INDArray x, INDArray y) {
    INDArray inference = net.outputSingle(false, x).dup();
    INDArray training = net.outputSingle(true, x).dup();
    net.setInputs(x);
    net.setLabels(y);
    net.computeGradientAndScore();
    return new Snapshot(inference, training, net.gradient().gradient().dup(), net.score());
  }

  private static ComputationGraph smallResNetLikeGraph() {
    ComputationGraphConfiguration.GraphBuilder g = ResNet50.baseConfig(3, new Sgd(0.1)).graphBuilder()
        .addInputs("in")
        .addLayer("c1", ResNet50.conv(3, 1, 1, 8), "in")
        .addLayer("bn1", ResNet50.batchNorm(), "c1")
        .addLayer("r1", ResNet50.relu(), "bn1")
        .addLayer("pool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
            .padding(1, 1).build(), "r1")
        .addLayer("c2", ResNet50.conv(1, 2, 0, 16), "pool")
        .addLayer("bn2", ResNet50.batchNorm(), "c2")
        .addLayer("r2", ResNet50.relu(), "bn2")
        .addLayer("avg", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "r2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(3)
            .activation(Activation.SOFTMAX).build(), "avg")
        .setOutputs("out")
        .setInputTypes(InputType.convolutional(12, 12, 3));
    ComputationGraph net = new ComputationGraph(g.build());
    net.init();
    LayerHelpers.install(net);
    return net;
  }

  /** ND4J's RNG does not repeat under a fixed seed in 1.0.0-M2.1, so test values come from java.util.Random. */
  static INDArray randomArray(Random random, double scale, long... shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    float[] v = new float[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * scale);
    }
    return Nd4j.create(v, shape, 'c').castTo(DataType.FLOAT);
  }

  private static void assertWithin(INDArray expected, INDArray actual, double absTol, String what) {
    double diff = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(diff <= absTol, what + ": max |difference| " + diff + " > " + absTol);
  }

  /** Relative to the largest expected value, at least 1. */
  private static void assertClose(INDArray expected, INDArray actual, double relTol, String what) {
    double max = Math.max(1.0, expected.amaxNumber().doubleValue());
    double diff = expected.sub(actual).amaxNumber().doubleValue();
    assertTrue(diff <= relTol * max, what + ": max |difference| " + diff + " > " + relTol + " x " + max);
  }
}

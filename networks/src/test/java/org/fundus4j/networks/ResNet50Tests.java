package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ResNet50Tests {

  @Test
  void parameterCountEqualsTorchvisionResnet50() {
    // torchvision.models.resnet50(): sum(p.numel() for p in parameters()) = 25,557,032
    // DL4J also counts the BatchNorm running mean/var (2 x 26,560 values for 53 BN layers) as parameters.
    ComputationGraph net = ResNet50.build(Head.linear(1000), 1);
    long bnBuffers = 2L * 26_560;
    assertEquals(25_557_032L + bnBuffers, net.numParams());
  }

  @Test
  void backboneLayerNamesAreGraphVertices() {
    ComputationGraph net = ResNet50.build(Head.linear(2), 1);
    List<String> names = ResNet50.backboneLayerNames();
    assertEquals(ResNet50.FEATURES, names.get(names.size() - 1));
    for (String name : names) {
      assertTrue(net.getConfiguration().getVertices().containsKey(name), name);
    }
    // 53 convolutions and 53 BatchNorms, as in torchvision's state dict (conv1, 16 x 3, 4 downsample)
    assertEquals(53, names.stream().filter(n -> n.matches("(.*\\.)?conv\\d|.*downsample\\.0")).count());
    assertEquals(53, names.stream().filter(n -> n.matches("(.*\\.)?bn\\d|.*downsample\\.1")).count());
    assertTrue(names.contains("layer4.0.downsample.0"));
    assertFalse(names.contains("layer1.1.downsample.0"));
  }

  @Test
  void featureMapSizesMatchTorchvisionAt64And224() {
    ComputationGraph net = ResNet50.build(Head.linear(2), 1);
    // torch: conv1 -> H/2, maxpool (3x3 s2 p1) -> H/4, layer2 -> H/8, layer3 -> H/16, layer4 -> H/32
    Map<String, long[]> expected64 = Map.of("conv1", new long[] {1, 64, 32, 32}, "maxpool", new long[] {1, 64, 16, 16},
        "layer1.2.relu", new long[] {1, 256, 16, 16}, "layer2.3.relu", new long[] {1, 512, 8, 8},
        "layer3.5.relu", new long[] {1, 1024, 4, 4}, "layer4.2.relu", new long[] {1, 2048, 2, 2},
        "avgpool", new long[] {1, 2048});
    Map<String, INDArray> acts = net.feedForward(Nd4j.rand(1, 3, 64, 64), false);
    expected64.forEach((name, shape) -> assertArrayEquals(shape, acts.get(name).shape(), name));
    Map<String, INDArray> acts224 = net.feedForward(Nd4j.rand(1, 3, 224, 224), false);
    assertArrayEquals(new long[] {1, 64, 112, 112}, acts224.get("conv1").shape());
    assertArrayEquals(new long[] {1, 64, 56, 56}, acts224.get("maxpool").shape());
    assertArrayEquals(new long[] {1, 2048, 7, 7}, acts224.get("layer4.2.relu").shape());
    assertArrayEquals(new long[] {1, 2}, acts224.get(ResNet50.OUTPUT).shape());
  }

  @Test
  void headsHaveTorchvisionLayoutAndOutputActivation() {
    ComputationGraph paper = ResNet50.build(Head.paper(3), 1);
    assertEquals(512, ((OutputLayer) paper.getLayer(ResNet50.OUTPUT).conf().getLayer()).getNIn());
    assertTrue(paper.getConfiguration().getVertices().keySet().containsAll(List.of("fc.0", "fc.1", "fc.2")));
    INDArray x = Nd4j.rand(2, 3, 64, 64);
    INDArray p = paper.outputSingle(x);
    assertArrayEquals(new long[] {2, 3}, p.shape());
    assertEquals(1.0, p.sum(1).getDouble(0), 1e-5);

    ComputationGraph multi = ResNet50.build(Head.multiLabel(4), 1);
    INDArray q = multi.outputSingle(x);
    INDArray logits = ResNet50.logits(multi, x);
    // sigmoid, element-wise: output = 1 / (1 + exp(-logit))
    INDArray sigmoid = Nd4j.ones(2, 4).div(Nd4j.ones(2, 4).add(org.nd4j.linalg.ops.transforms.Transforms.exp(logits.neg())));
    assertTrue(q.equalsWithEps(sigmoid, 1e-5));
  }

  @Test
  void headsRejectTooFewOutputs() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Head.linear(1));
    assertEquals("Number of classes of a linear softmax head must be >= 2, got 1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Head.multiLabel(0));
    assertThrows(IllegalArgumentException.class, () -> Head.paper(1));
  }
}

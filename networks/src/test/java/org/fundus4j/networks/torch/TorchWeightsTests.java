package org.fundus4j.networks.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.TorchFixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Our ResNet-50 with PyTorch's weights against PyTorch's own outputs (torch 1.13, model.eval(), one
 * thread), written by {@code make_torch_fixtures.py}.
 */
class TorchWeightsTests {
  private static StateDict linearZip;
  /** Logits: absolute tolerance; 1 vs 2 torch threads alone move them by up to ~2e-5. */
  private static final double LOGIT_TOLERANCE = 1e-4;
  /**
   * Pooled features: 1e-4 relative to the largest feature. 1e-4 absolute is below float32 resolution here:
   * PyTorch's own float32 features differ from its float64 ones by 2.1e-4 at 64 px (max feature 4.2) and
   * 1.1e-4 at 224 px (max 16.4). Measured DL4J - PyTorch: 2.5e-4 and 1.7e-4; DL4J - float64: 1.9e-4 and 1.8e-4.
   * So features are also held to the float64 truth, no further from it than twice PyTorch's own float32 error.
   */
  private static final double FEATURE_RELATIVE_TOLERANCE = 1e-4;

  @BeforeAll
  static void readLinearStateDict() throws Exception {
    linearZip = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_zip.pth"));
  }

  @Test
  void linearHeadLogitsAndFeaturesMatchPyTorchAt64And224() throws Exception {
    ComputationGraph net = ResNet50.build(Head.linear(3), 1);
    assertEquals(new LoadReport(List.of(), List.of()), TorchWeights.check(net, linearZip));
    LoadReport report = TorchWeights.load(net, linearZip);
    assertTrue(report.isExact(), report.toString());

    INDArray x64 = TorchFixtures.raw("input_64.bin", 2, 3, 64, 64);
    assertClose(TorchFixtures.raw("linear_logits_64.bin", 2, 3), ResNet50.logits(net, x64), LOGIT_TOLERANCE);
    assertFeaturesLikePyTorch(net, x64, "64", 2);

    INDArray x224 = TorchFixtures.raw("input_224.bin", 1, 3, 224, 224);
    INDArray torchLogits224 = TorchFixtures.raw("linear_logits_224.bin", 1, 3);
    assertClose(torchLogits224, ResNet50.logits(net, x224), LOGIT_TOLERANCE);
    assertFeaturesLikePyTorch(net, x224, "224", 1);
    // output() is softmax of torch's logits
    assertClose(Transforms.softmax(torchLogits224), net.outputSingle(x224), 1e-5);
    // Dense weights are the transpose of nn.Linear's [out, in]
    assertEquals(linearZip.get("fc.weight").getFloat(2, 17), net.getLayer(ResNet50.OUTPUT).getParam("W").getFloat(17, 2));
  }

  @Test
  void paperHeadFromWholePickledDataParallelMatchesPyTorch() throws Exception {
    StateDict sd = TorchCheckpoint.read(TorchFixtures.file("resnet50_paper_module.pth"));
    ComputationGraph net = ResNet50.build(Head.paper(2), 1);
    LoadReport report = TorchWeights.load(net, sd);
    assertTrue(report.isExact(), report.toString());
    INDArray x64 = TorchFixtures.raw("input_64.bin", 2, 3, 64, 64);
    assertClose(TorchFixtures.raw("paper_logits_64.bin", 2, 2), ResNet50.logits(net, x64), LOGIT_TOLERANCE);
  }

  @Test
  void reportsMissingAndUnexpectedKeysLikeLoadStateDictStrictFalse() throws Exception {
    StateDict linear = linearZip;
    ComputationGraph paper = ResNet50.build(Head.paper(3), 1);
    LoadReport report = TorchWeights.load(paper, linear);
    // torch: model_with_paper_head.load_state_dict(resnet50(num_classes=3).state_dict(), strict=False)
    assertEquals(List.of("fc.0.weight", "fc.0.bias", "fc.1.weight", "fc.1.bias", "fc.1.running_mean",
        "fc.1.running_var", "fc.3.weight", "fc.3.bias"), report.missingKeys());
    assertEquals(List.of("fc.weight", "fc.bias"), report.unexpectedKeys());
    // the backbone was loaded all the same
    assertEquals(linear.get("layer4.2.bn3.running_var"),
        paper.getLayer("layer4.2.bn3").getParam("var").reshape(2048));
  }

  @Test
  void shapeMismatchNamesKeyAndBothShapesAndChangesNothing() throws Exception {
    StateDict linear = linearZip;
    ComputationGraph five = ResNet50.build(Head.linear(5), 1);
    INDArray before = five.getLayer("conv1").getParam("W").dup();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchWeights.load(five, linear));
    assertEquals("Shape mismatch for 'fc.weight': the checkpoint has [3, 2048], layer 'output' expects [5, 2048]",
        e.getMessage());
    assertEquals(before, five.getLayer("conv1").getParam("W"));
  }

  @Test
  void detectsTheHeadAStateDictWasTrainedWith() throws Exception {
    assertEquals(Optional.of(Head.linear(3)), TorchWeights.detectHead(linearZip));
    StateDict paper = TorchCheckpoint.read(TorchFixtures.file("resnet50_paper_module.pth"));
    assertEquals(Optional.of(Head.paper(2)), TorchWeights.detectHead(paper));
    assertEquals(Optional.empty(), TorchWeights.detectHead(TorchCheckpoint.read(TorchFixtures.file("strided_zip.pth"))));
  }

  private static void assertFeaturesLikePyTorch(ComputationGraph net, INDArray input, String size, int n)
      throws Exception {
    INDArray torch32 = TorchFixtures.raw("linear_features_" + size + ".bin", n, 2048);
    INDArray torch64 = TorchFixtures.raw("linear_features_" + size + "_f64.bin", n, 2048);
    INDArray ours = ResNet50.features(net, input);
    assertClose(torch32, ours, FEATURE_RELATIVE_TOLERANCE * scale(torch32));
    double torchError = torch64.sub(torch32).amaxNumber().doubleValue();
    assertClose(torch64, ours, 2 * torchError);
  }

  private static double scale(INDArray reference) {
    return Math.max(1.0, reference.amaxNumber().doubleValue());
  }

  private static void assertClose(INDArray expected, INDArray actual, double tolerance) {
    assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()));
    double maxDiff = expected.castTo(actual.dataType()).sub(actual).amaxNumber().doubleValue();
    assertTrue(maxDiff <= tolerance, "max |difference| " + maxDiff + " > " + tolerance);
  }
}

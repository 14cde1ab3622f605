package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.fundus4j.networks.torch.TorchCheckpoint;
import org.fundus4j.networks.torch.TorchWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * One training step of our ResNet-50 against torchvision's (issue #19): from the same weights and batch, in
 * train mode (BatchNorm on the batch's statistics), the loss and the gradient of every parameter, each within
 * 1e-4 of the largest |PyTorch gradient| of that parameter.
 *
 * <p>Reference: {@code src/test/fixtures/make_torch_fixtures.py} ({@code training_step}): torchvision
 * {@code resnet50(num_classes=3)} with calibrated BatchNorm, each bottleneck's {@code bn3} weight x 0.2, batches
 * [4,3,64,64], {@code nn.CrossEntropyLoss()}, float64.
 *
 * <p>In float64 (DL4J's own layers; the native helpers are float32 only) on batch 0. In float32, with the layer
 * helpers and either BatchNorm helper (DL4J's {@code MKLDNNBatchNormHelper}, the default, or
 * {@link OneDnnBatchNormHelper}), on the first candidate batch whose ReLU masks in float32 equal float64's: a
 * ReLU input within float32 rounding of 0 lands on either side depending on the implementation's rounding, and
 * each flip moves gradients upstream of it by a whole element's contribution (up to 10 % of a gradient's
 * largest value at 64 px, where layer4 has 16 values per channel), so float32 gradients are comparable only
 * where the masks agree; which batches flip depends on the CPU's kernels, never on the network. The test
 * prints how many ReLU outputs differed on each batch it skipped. Each run writes the per-parameter
 * differences to {@code target/training-step-gradients-<type>-<helpers>.txt}.
 */
class TrainingStepTests {
  private static final int BATCH = 4;

  @Test
  void inFloat64WithDl4jsOwnLayersLossAndEveryGradientEqualPyTorchs() throws Exception {
    ComputationGraph net = loaded(false).convertDataType(DataType.DOUBLE);
    assertEquals(0, LayerHelpers.count(net));
    double[] relative = step(net, 0, "");
    assertTrue(relative[relative.length - 1] <= 1e-4, "largest relative gradient difference " + relative[relative.length - 1]);
  }

  @ParameterizedTest(name = "OneDnnBatchNormHelper {0}")
  @ValueSource(booleans = {false, true})
  void inFloat32WithLayerHelpersLossAndEveryGradientEqualPyTorchsWhereTheReluMasksAgree(boolean oneDnnBatchNorm)
      throws Exception {
    ComputationGraph net = loaded(oneDnnBatchNorm);
    assertEquals(LayerHelpers.oneDnn() ? 107 + 49 : 0, LayerHelpers.count(net));
    int chosen = firstBatchWithFloat64Masks(net);
    // the same network: the mask passes changed only BatchNorm's running statistics, which train mode does not use
    double[] relative = step(net, chosen, oneDnnBatchNorm ? "-onednn-bn" : "");
    assertEquals(0, LayerHelpers.fallbacks(net), "no helper call fell back to DL4J's own code");
    assertTrue(!LayerHelpers.oneDnn() || LayerHelpers.skippedInputGradients(net) > 0,
        "the stem convolution left out the input gradient");
    assertTrue(relative[relative.length - 1] <= 1e-4, "batch " + chosen + ": largest relative gradient difference "
        + relative[relative.length - 1]);
  }

  @Test
  void reluMasksOfAFloat32AndAFloat64ForwardPassAreComparedElementByElement() throws Exception {
    INDArray a = Nd4j.createFromArray(new float[] {0f, 1e-8f, -1f, 2f}).reshape(1, 4);
    INDArray b = Nd4j.createFromArray(new double[] {1e-9, 0, -1, 2}).reshape(1, 4);
    assertEquals(2, maskDifferences(a, b), "0 vs 1e-9 and 1e-8 vs 0 are on different sides of the ReLU");
    assertEquals(0, maskDifferences(b, b));
  }

  /**
   * The first candidate batch on which every ReLU of {@code net} (float32) keeps the same inputs positive as the
   * float64 network with DL4J's own layers.
   */
  private static int firstBatchWithFloat64Masks(ComputationGraph net) throws Exception {
    ComputationGraph exact = loaded(false).convertDataType(DataType.DOUBLE);
    StringBuilder skipped = new StringBuilder();
    // as many candidates as make_torch_fixtures.py wrote (its CANDIDATES)
    int candidates = 0;
    while (Files.isRegularFile(TorchFixtures.dir().resolve(candidateFile(candidates)))) {
      candidates++;
    }
    if (candidates == 0) {
      throw new AssertionError("No candidate batch " + candidateFile(0) + " in " + TorchFixtures.dir());
    }
    for (int k = 0; k < candidates; k++) {
      INDArray x = input(k);
      Map<String, INDArray> fast = net.feedForward(x.castTo(DataType.FLOAT), true);
      Map<String, INDArray> slow = exact.feedForward(x.castTo(DataType.DOUBLE), true);
      long differences = 0;
      for (Map.Entry<String, INDArray> e : fast.entrySet()) {
        String name = e.getKey();
        if (name.equals("relu") || name.endsWith(".relu") || name.endsWith(".relu1") || name.endsWith(".relu2")) {
          differences += maskDifferences(e.getValue(), slow.get(name));
        }
      }
      if (differences == 0) {
        System.out.println("TrainingStepTests: float32 gradients compared on batch " + k
            + (skipped.length() == 0 ? "" : "; ReLU outputs on the other side of 0 than float64's:" + skipped));
        return k;
      }
      skipped.append(" batch ").append(k).append(": ").append(differences);
    }
    throw new AssertionError("On every candidate batch some ReLU input lies on the other side of 0 in float32 "
        + "than in float64 (" + skipped + "); add candidates to make_torch_fixtures.py");
  }

  /** The number of elements that are > 0 in one of {@code a}, {@code b} and not in the other. */
  private static long maskDifferences(INDArray a, INDArray b) {
    INDArray pa = a.gt(0).castTo(DataType.DOUBLE);
    INDArray pb = b.gt(0).castTo(DataType.DOUBLE);
    return Math.round(pa.sub(pb).norm1Number().doubleValue());
  }

  private static ComputationGraph loaded(boolean oneDnnBatchNorm) throws IOException, InterruptedException {
    String before = System.getProperty(LayerHelpers.BATCH_NORM_PROPERTY);
    System.setProperty(LayerHelpers.BATCH_NORM_PROPERTY, Boolean.toString(oneDnnBatchNorm));
    try {
      ComputationGraph net = ResNet50.build(Head.linear(3), 1, new Sgd(0.0));
      TorchWeights.load(net, TorchCheckpoint.read(TorchFixtures.file("resnet50_train_64.pth")));
      return net;
    } finally {
      if (before == null) {
        System.clearProperty(LayerHelpers.BATCH_NORM_PROPERTY);
      } else {
        System.setProperty(LayerHelpers.BATCH_NORM_PROPERTY, before);
      }
    }
  }

  private static INDArray input(int k) throws IOException, InterruptedException {
    return TorchFixtures.raw(candidateFile(k), BATCH, 3, 64, 64);
  }

  /** make_torch_fixtures.py's file of candidate batch {@code k}. */
  private static String candidateFile(int k) {
    return "train_input_64_c" + k + ".bin";
  }

  /**
   * Runs one forward and backward pass on candidate batch {@code k}, asserts the loss within 1e-4 (relative) of
   * PyTorch's float64 loss, and returns, sorted, each parameter's largest gradient difference relative to the
   * largest |PyTorch gradient|.
   */
  private static double[] step(ComputationGraph net, int k, String tag) throws Exception {
    DataType type = net.getConfiguration().getDataType();
    INDArray x = input(k).castTo(type);
    INDArray classes = TorchFixtures.raw("train_labels_64.bin", BATCH);
    INDArray y = Nd4j.zeros(type, BATCH, 3);
    for (int i = 0; i < BATCH; i++) {
      y.putScalar(i, classes.getInt(i), 1f);
    }
    net.setInputs(x);
    net.setLabels(y);
    net.computeGradientAndScore();
    // DL4J's score adds the L2 term (0.5 x 1e-5 x sum w^2); PyTorch's loss is the cross-entropy alone
    double loss = net.score() - net.calcRegularizationScore(true);
    Path lossFile = TorchFixtures.trainingCandidate(k);
    double torchLoss = Double.parseDouble(Files.readString(lossFile).trim());
    assertEquals(torchLoss, loss, 1e-4 * torchLoss, "loss");

    Map<String, INDArray> grads = net.gradient().gradientForVariable();
    Path dir = TorchFixtures.file("train_grad_64_f64_c" + k);
    List<Double> relatives = new ArrayList<>();
    StringBuilder report = new StringBuilder();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        String torchName = file.getFileName().toString().replaceFirst("\\.bin$", "");
        int dot = torchName.lastIndexOf('.');
        String module = torchName.substring(0, dot);
        String layerName = module.equals("fc") ? ResNet50.OUTPUT : module;
        Layer layer = net.getLayer(layerName);
        boolean weight = torchName.endsWith(".weight");
        String param = layer instanceof BatchNormalization ? (weight ? "gamma" : "beta") : (weight ? "W" : "b");
        // DL4J's gradient is that of the loss summed over the batch; its updater divides by the batch size
        INDArray actual = grads.get(layerName + "_" + param).castTo(DataType.FLOAT).div(BATCH);
        long[] shape = layer.getParam(param).shape();
        INDArray expected = layerName.equals(ResNet50.OUTPUT) && weight
            ? RawTensors.readFloat32(file, shape[1], shape[0]).transpose()
            : RawTensors.readFloat32(file, shape);
        double max = expected.amaxNumber().doubleValue();
        double relative = expected.sub(actual.reshape(shape)).amaxNumber().doubleValue() / max;
        report.append(String.format("%s %.3g %.3g%n", torchName, relative, max));
        relatives.add(Double.isNaN(relative) ? Double.POSITIVE_INFINITY : relative);
      }
    }
    // per parameter: name, relative difference, largest |PyTorch gradient|
    Files.writeString(Path.of("target", "training-step-gradients-" + type + "-" + LayerHelpers.count(net) + tag
        + ".txt"), "batch " + k + "\n" + report);
    assertEquals(161, relatives.size(), "every parameter of torchvision's resnet50: 53 conv + 53 x 2 BatchNorm + fc 2");
    return relatives.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }
}

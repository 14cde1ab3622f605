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
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * One training step of our ResNet-50 against torchvision's (issue #19): from the same weights and batch, in
 * train mode (BatchNorm on the batch's statistics), the loss and the gradient of every parameter.
 *
 * <p>Reference: {@code src/test/fixtures/make_torch_fixtures.py} ({@code training_step}): torchvision
 * {@code resnet50(num_classes=3)} with calibrated BatchNorm, each bottleneck's {@code bn3} weight x 0.2, batch
 * [4,3,64,64], {@code nn.CrossEntropyLoss()}, in float32 and float64.
 *
 * <p>Both in float32 with the layer helpers (the default with ND4J's oneDNN build) and in float64 (DL4J's own
 * layers; the native helpers are float32 only), every gradient equals PyTorch's within 1e-4 of its largest
 * |value|. The batch matters in float32: at this size a ReLU input within float32 rounding of 0 makes the
 * gradient jump, and the fixture script takes a batch (seed 23) on which PyTorch's own float32 and float64
 * gradients agree within 2e-5. Each run writes the per-parameter differences to
 * {@code target/training-step-gradients-<type>-<helpers>.txt}.
 */
class TrainingStepTests {
  private static final int BATCH = 4;

  @Test
  void inFloat64WithDl4jsOwnLayersLossAndEveryGradientEqualPyTorchs() throws Exception {
    ComputationGraph net = loaded().convertDataType(DataType.DOUBLE);
    assertEquals(0, LayerHelpers.count(net));
    double[] relative = step(net, "train_grad_64_f64", "train_loss_64_f64.txt");
    assertTrue(relative[relative.length - 1] <= 1e-4, "largest relative gradient difference " + relative[relative.length - 1]);
  }

  @Test
  void inFloat32WithLayerHelpersLossAndEveryGradientEqualPyTorchs() throws Exception {
    ComputationGraph net = loaded();
    assertEquals(LayerHelpers.oneDnn() ? 107 : 0, LayerHelpers.count(net));
    double[] relative = step(net, "train_grad_64", "train_loss_64.txt");
    assertTrue(relative[relative.length - 1] <= 1e-4, "largest relative gradient difference " + relative[relative.length - 1]);
  }

  private static ComputationGraph loaded() throws IOException, InterruptedException {
    ComputationGraph net = ResNet50.build(Head.linear(3), 1, new Sgd(0.0));
    TorchWeights.load(net, TorchCheckpoint.read(TorchFixtures.file("resnet50_train_64.pth")));
    return net;
  }

  /**
   * Runs one forward and backward pass on the fixture batch, asserts the loss within 1e-4 (relative), and
   * returns, sorted, each parameter's largest gradient difference relative to the largest |PyTorch gradient|.
   */
  private static double[] step(ComputationGraph net, String gradients, String lossFile) throws Exception {
    DataType type = net.getConfiguration().getDataType();
    INDArray x = TorchFixtures.raw("train_input_64.bin", BATCH, 3, 64, 64).castTo(type);
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
    double torchLoss = Double.parseDouble(Files.readString(TorchFixtures.file(lossFile)).trim());
    assertEquals(torchLoss, loss, 1e-4 * torchLoss, "loss");

    Map<String, INDArray> grads = net.gradient().gradientForVariable();
    Path dir = TorchFixtures.file(gradients);
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
    Files.writeString(Path.of("target", "training-step-gradients-" + type + "-" + LayerHelpers.count(net) + ".txt"),
        report);
    assertEquals(161, relatives.size(), "every parameter of torchvision's resnet50: 53 conv + 53 x 2 BatchNorm + fc 2");
    return relatives.stream().mapToDouble(Double::doubleValue).sorted().toArray();
  }
}

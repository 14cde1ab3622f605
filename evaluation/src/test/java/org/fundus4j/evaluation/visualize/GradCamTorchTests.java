package org.fundus4j.evaluation.visualize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Grad-CAM maps equal PyTorch's on a tiny frozen CNN (fixture made by
 * src/test/fixtures/gradcam/make_gradcam_fixture.py).
 */
class GradCamTorchTests {
  private static Map<String, INDArray> torch;
  private static ComputationGraph frozen;

  @BeforeAll
  static void load() throws IOException {
    torch = new HashMap<>();
    for (String line : Files.readAllLines(Path.of("src", "test", "fixtures", "gradcam", "gradcam-tiny.txt"))) {
      String[] f = line.split("\\|");
      long[] shape = Arrays.stream(f[1].split(",")).mapToLong(Long::parseLong).toArray();
      double[] v = Arrays.stream(f[2].split(" ")).mapToDouble(Double::parseDouble).toArray();
      torch.put(f[0], Nd4j.create(v, shape, 'c'));
    }
    var conf = new NeuralNetConfiguration.Builder().dataType(DataType.DOUBLE)
        .convolutionMode(ConvolutionMode.Same).graphBuilder().addInputs("image")
        .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "image")
        .addLayer("bn1", new BatchNormalization.Builder().eps(1e-5).useLogStd(false).build(), "conv1")
        .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build(), "bn1")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out").setInputTypes(InputType.convolutional(12, 12, 3)).build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    set(g, "conv1", "W", "conv1.weight");
    set(g, "conv1", "b", "conv1.bias");
    set(g, "bn1", "gamma", "bn1.weight");
    set(g, "bn1", "beta", "bn1.bias");
    set(g, "bn1", "mean", "bn1.running_mean");
    set(g, "bn1", "var", "bn1.running_var");
    set(g, "conv2", "W", "conv2.weight");
    set(g, "conv2", "b", "conv2.bias");
    g.getLayer("out").getParam("W").assign(torch.get("fc.weight").transpose()); // torch [out, in]
    set(g, "out", "b", "fc.bias");
    // TransferLearning rebuilds the graph in float32 (its FineTuneConfiguration sets no data type), so the
    // weights and activations carry float precision: maps agree to ~5e-7, logits to ~1e-9.
    frozen = new TransferLearning.GraphBuilder(g)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
        .setFeatureExtractor("pool").build();
  }

  private static void set(ComputationGraph g, String layer, String param, String key) {
    INDArray p = g.getLayer(layer).getParam(param);
    p.assign(torch.get(key).reshape(p.shape()));
  }

  @ParameterizedTest
  @CsvSource({"conv2,0", "conv2,1", "bn1,0", "bn1,1"})
  void lowResolutionMapEqualsPyTorch(String layer, int cls) {
    assertTrue(frozen.getLayer(layer) instanceof FrozenLayer, "backbone frozen");
    GradCam cam = new GradCam(frozen, layer);
    INDArray x = torch.get("input");
    INDArray logits = cam.rawScores(x);
    assertEquals(torch.get("logits").getDouble(0, 0), logits.getDouble(0, 0), 1e-7);
    assertEquals(torch.get("logits").getDouble(0, 1), logits.getDouble(0, 1), 1e-7);
    INDArray map = cam.lowResolutionHeatMaps(x, cls)[0];
    INDArray expected = torch.get("cam." + layer + ".class" + cls);
    assertEquals(12, map.size(0));
    double maxDiff = map.sub(expected).amaxNumber().doubleValue();
    System.out.println("Grad-CAM " + layer + " class " + cls + ": max diff to PyTorch " + maxDiff);
    assertTrue(maxDiff < 1e-5, "max |DL4J - PyTorch| = " + maxDiff);
  }
}

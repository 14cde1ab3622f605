package org.fundus4j.networks.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LocalResponseNormalization;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.Featurizer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link Featurizer}: ResNet-50's pooled features through ONNX Runtime equal DL4J's within 1e-4 of the
 * largest feature, batches are split and joined in order, and a graph the exporter cannot write falls
 * back to DL4J with DL4J's own features. (In this package for the BatchNorm fixture of
 * {@link OnnxExporterTests}.)
 */
class FeaturizerTests {

  @Test
  void resNet50FeaturesThroughOnnxRuntimeEqualDl4j() {
    ComputationGraph net = ResNet50.build(Head.linear(2), 42);
    OnnxExporterTests.calibrateBatchNormStatistics(net, OnnxExporterTests.input(44, 2, 3, 64, 64), 43);
    INDArray images = OnnxExporterTests.input(47, 5, 3, 64, 64);
    INDArray expected = net.output(List.of(ResNet50.FEATURES), false, new INDArray[] {images.dup()}, null)[0];
    try (Featurizer features = Featurizer.of(net, ResNet50.FEATURES, 2, 2)) { // 5 images: batches 2 + 2 + 1
      assertEquals("onnxruntime", features.engine());
      INDArray actual = features.apply(images);
      assertArrayEquals(new long[] {5, 2048}, actual.shape());
      double max = expected.amaxNumber().doubleValue();
      double diff = OnnxExporterTests.Transforms.maxAbsDiff(expected, actual);
      System.out.printf("Featurizer ONNX Runtime vs DL4J: max|diff| %.3g, largest feature %.3g%n", diff, max);
      assertTrue(max > 1, "features should not be degenerate: " + max);
      assertTrue(diff <= 1e-4 * max, "max |ONNX Runtime - DL4J| = " + diff + " > 1e-4 x " + max);
    }
  }

  @Test
  void graphTheExporterCannotWriteFallsBackToDl4j() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).graphBuilder()
        .addInputs("in")
        .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nIn(3).nOut(4).activation(Activation.RELU).build(), "in")
        .addLayer("lrn", new LocalResponseNormalization.Builder().build(), "conv")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "lrn")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(4).nOut(2)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out")
        .setInputTypes(InputType.convolutional(8, 8, 3))
        .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    INDArray x = OnnxExporterTests.input(5, 3, 3, 8, 8);
    try (Featurizer features = Featurizer.of(g, "pool")) {
      assertEquals("dl4j", features.engine());
      INDArray expected = g.output(List.of("pool"), false, new INDArray[] {x.dup()}, null)[0];
      assertEquals(0.0, OnnxExporterTests.Transforms.maxAbsDiff(expected, features.apply(x)));
    }
  }

  @Test
  void unknownFeatureLayerIsNamed() {
    ComputationGraph net = ResNet50.build(Head.linear(2), 42);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Featurizer.of(net, "pool5"));
    assertTrue(e.getMessage().contains("'pool5'"), e.getMessage());
  }
}

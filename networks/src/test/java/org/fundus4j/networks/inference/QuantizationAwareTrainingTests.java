package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * {@link QuantizationAwareTraining} on a small residual network whose 4 quantised tensors cover a graph input, a
 * ReLU read by a convolution and an addition, a BatchNorm output read by the addition, and a pooling input.
 */
class QuantizationAwareTrainingTests {
  @TempDir
  Path dir;

  private static ComputationGraph network() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder().seed(5).weightInit(WeightInit.XAVIER)
        .dataType(DataType.FLOAT).graphBuilder().addInputs("input")
        .setInputTypes(InputType.convolutional(16, 16, 3))
        .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).padding(1, 1).hasBias(false)
            .activation(Activation.IDENTITY).build(), "input")
        .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
        .addLayer("relu1", new ActivationLayer(Activation.RELU), "bn1")
        .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(8).padding(1, 1).hasBias(false)
            .activation(Activation.IDENTITY).build(), "relu1")
        .addLayer("bn2", new BatchNormalization.Builder().build(), "conv2")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "relu1", "bn2")
        .addLayer("relu2", new ActivationLayer(Activation.RELU), "add")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    // a spread of logits around 0: the head's weights scaled up, its bias centring them on the test images
    INDArray w = g.getLayer("out").paramTable().get("W").muli(20);
    INDArray pooled = g.feedForward(images(), false).get("pool");
    g.getLayer("out").paramTable().get("b").assign(pooled.mean(true, 0).mmul(w).negi());
    return g;
  }

  private static INDArray images() {
    Nd4j.getRandom().setSeed(11);
    return Nd4j.rand(DataType.FLOAT, 16, 3, 16, 16).subi(0.5).muli(4);
  }

  private INDArray int8(ComputationGraph g, ActivationRanges ranges, INDArray x, String file) throws Exception {
    Path onnx = dir.resolve(file);
    OnnxExporter.export(g, onnx, OnnxExportOptions.defaults().withInt8(ranges));
    try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(onnx, 2)) {
      return ort.predict(x);
    }
  }

  private static double maxDiff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }

  @Test
  void theStudentWithRoundedWeightsComputesTheInt8Export() throws Exception {
    ComputationGraph net = network();
    INDArray x = images();
    assertEquals(List.of("input", "relu1", "bn2", "relu2"), OnnxExporter.quantizedTensors(net));
    ActivationRanges ranges = StaticQuantization.calibrate(net, List.of(x), 2);
    INDArray fp32 = net.outputSingle(false, x.dup());
    INDArray int8 = int8(net, ranges, x, "int8.onnx");

    ComputationGraph student = QuantizationAwareTraining.student(net, ranges, List.of(), 1e-3);
    for (String conv : List.of("conv1", "conv2")) { // as distill rounds them for each step
      INDArray w = student.getLayer(conv).getParam("W");
      w.assign(QuantizationAwareTraining.round(w));
    }
    INDArray emulated = student.outputSingle(false, x.dup());

    double error = maxDiff(int8, fp32);
    assertTrue(error > 0.005, "rounding moves the int8 model: " + error);
    assertTrue(maxDiff(emulated, int8) < 0.1 * error, "student " + maxDiff(emulated, int8) + " from int8, fp32 "
        + error);
    // training mode computes the same (BatchNorm on its running statistics)
    assertEquals(0, maxDiff(student.outputSingle(true, x.dup()), emulated), 1e-6);
    // nothing rounded: the original network
    ComputationGraph none = QuantizationAwareTraining.student(net, ranges, OnnxExporter.quantizedTensors(net), 1e-3);
    assertEquals(0, maxDiff(none.outputSingle(false, x.dup()), fp32), 1e-6);
  }

  @Test
  void distillationBringsTheInt8ModelCloserToTheFloat32OneAndLeavesTheOriginalAlone() throws Exception {
    ComputationGraph net = network();
    INDArray x = images();
    INDArray before = net.params().dup();
    String json = net.getConfiguration().toJson();

    StaticQuantization.Choice choice = StaticQuantization.quantize(net, List.of(x),
        new StaticQuantization.Fallback(1e-9, 0), 2, List.of(StaticQuantization.Calibration.minMax()),
        new QuantizationAwareTraining.Options(100, 1e-4, 3), List.of(x));

    StaticQuantization.AwareTraining t = choice.training();
    assertNotNull(t, "the unreachable bound is missed, so the training ran");
    assertEquals(16, t.images());
    assertEquals(100, t.options().epochs());
    // measured: 0.0140 -> 0.0036 (with the weights unrounded in the steps it was 0.0069)
    assertTrue(t.after() < 0.4 * t.before(), "all-int8 max |dP| " + t.before() + " -> " + t.after());
    assertEquals(t.after(), choice.maxDifference(), 0, "no tensor kept in float32: the trained all-int8 model");
    // the exported graph is the trained copy, with the original's configuration; the original is unchanged
    assertNotSame(net, choice.graph());
    assertEquals(json, choice.graph().getConfiguration().toJson());
    assertEquals(before, net.params());
    INDArray fp32 = net.outputSingle(false, x.dup());
    assertEquals(t.after(), maxDiff(int8(choice.graph(), choice.ranges(), x, "aware.onnx"), fp32), 1e-6);
  }

  @Test
  void withoutEpochsOrWithinTheBoundNothingIsTrained() {
    ComputationGraph net = network();
    INDArray x = images();
    StaticQuantization.Choice met = StaticQuantization.quantize(net, List.of(x),
        new StaticQuantization.Fallback(1.0, 0), 2, List.of(StaticQuantization.Calibration.minMax()),
        new QuantizationAwareTraining.Options(5, 1e-3, 3), List.of(x));
    assertNull(met.training());
    assertEquals(net, met.graph());
    StaticQuantization.Choice off = StaticQuantization.quantize(net, List.of(x),
        new StaticQuantization.Fallback(1e-9, 0), 2, List.of(StaticQuantization.Calibration.minMax()),
        new QuantizationAwareTraining.Options(0, 1e-3, 3), List.of());
    assertNull(off.training());
    assertThrows(IllegalArgumentException.class, () -> StaticQuantization.quantize(net, List.of(x),
        new StaticQuantization.Fallback(1e-9, 0), 2, List.of(StaticQuantization.Calibration.minMax()),
        new QuantizationAwareTraining.Options(5, 1e-3, 3), List.of()));
    assertThrows(IllegalArgumentException.class, () -> new QuantizationAwareTraining.Options(-1, 1e-3, 3));
    assertThrows(IllegalArgumentException.class, () -> new QuantizationAwareTraining.Options(1, 0, 3));
  }
}

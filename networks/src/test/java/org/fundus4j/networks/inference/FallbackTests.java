package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
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
 * The accuracy-driven fallback of {@link StaticQuantization#quantize} when the all-int8 model misses its bound, on
 * a small network with 3 quantised tensors (the input, and the inputs of the second convolution and of the global
 * pooling), so that every tensor's sensitivity export stays cheap; Int8ExportTests covers ResNet-50.
 */
class FallbackTests {
  @TempDir
  Path dir;

  static ComputationGraph network() {
    return network(false);
  }

  /**
   * conv-BatchNorm-ReLU twice, global average pooling and a softmax head whose weights are scaled by 20 (a spread of
   * logits, so that rounding moves the probabilities measurably); with {@code residual}, the second ReLU reads
   * {@code relu1 + bn2} (an {@code Add}, as in a bottleneck block).
   */
  static ComputationGraph network(boolean residual) {
    ComputationGraphConfiguration.GraphBuilder b = new NeuralNetConfiguration.Builder().seed(5)
        .weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT).graphBuilder().addInputs("input")
        .setInputTypes(InputType.convolutional(16, 16, 3))
        .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).padding(1, 1).hasBias(false)
            .activation(Activation.IDENTITY).build(), "input")
        .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
        .addLayer("relu1", new ActivationLayer(Activation.RELU), "bn1")
        .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(8).padding(1, 1).hasBias(false)
            .activation(Activation.IDENTITY).build(), "relu1")
        .addLayer("bn2", new BatchNormalization.Builder().build(), "conv2");
    if (residual) {
      b.addVertex("add", new org.deeplearning4j.nn.conf.graph.ElementWiseVertex(
          org.deeplearning4j.nn.conf.graph.ElementWiseVertex.Op.Add), "relu1", "bn2");
    }
    b.addLayer("relu2", new ActivationLayer(Activation.RELU), residual ? "add" : "bn2")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out");
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    g.getLayer("out").paramTable().get("W").muli(20);
    return g;
  }

  @Test
  void aMissedBoundMeasuresEveryTensorAndKeepsTheMostSensitiveInFloat32() throws Exception {
    ComputationGraph net = network();
    Nd4j.getRandom().setSeed(11);
    INDArray images = Nd4j.rand(DataType.FLOAT, 8, 3, 16, 16).subi(0.5).muli(4);
    List<String> quantised = OnnxExporter.quantizedTensors(net);
    assertEquals(List.of("input", "relu1", "relu2"), quantised);

    // an unreachable bound with a budget of 2: the all-int8 model, the 3 sensitivities, then the 1 and 2 most
    // sensitive tensors in float32, each export also corrected on itself (the shift's pass and the corrected export);
    // the smallest difference is returned
    StaticQuantization.Choice missed = StaticQuantization.quantize(net, List.of(images),
        new StaticQuantization.Fallback(1e-9, 2), 2);

    assertEquals(java.util.Set.copyOf(quantised), missed.sensitivity().keySet(), "every quantised tensor scored");
    List<Double> scores = List.copyOf(missed.sensitivity().values());
    assertTrue(scores.get(0) >= scores.get(1) && scores.get(1) >= scores.get(2), "most sensitive first: "
        + missed.sensitivity());
    assertTrue(scores.get(2) > 0, "each tensor alone moves the outputs: " + missed.sensitivity());
    assertEquals(3 * 3 + quantised.size(), missed.exportsTried());
    assertFalse(missed.withinBound());
    assertTrue(missed.floatTensors().size() <= 2, missed.floatTensors().toString());
    assertEquals(missed.mostSensitive(missed.floatTensors().size()), missed.floatTensors(),
        "the tensors kept are the most sensitive");

    // the score is the mean squared |p_int8 - p_fp32| with that tensor alone in int8, over every output value
    String top = missed.mostSensitive(1).get(0);
    List<String> others = new java.util.ArrayList<>(quantised);
    others.remove(top);
    INDArray fp32 = run(net, OnnxExportOptions.defaults(), images, "fp32");
    // measured on the model's own graph, uncorrected
    INDArray alone = run(net, OnnxExportOptions.defaults().withInt8(missed.ranges(), others), images,
        "alone");
    INDArray d = alone.sub(fp32);
    assertEquals(d.mul(d).meanNumber().doubleValue(), missed.sensitivity().get(top), 1e-12);
    // and the reported difference is the chosen model's
    INDArray chosen = run(missed.graph(), missed.exportOptions(OnnxExportOptions.defaults()), images, "chosen");
    assertEquals(missed.maxDifference(), chosen.sub(fp32).amaxNumber().doubleValue(), 1e-7);
    // whose bias correction was measured on that export (its tensors in float32), not on the all-int8 one
    StaticQuantization.Correction c = missed.correction();
    INDArray own = run(net, missed.exportOptions(OnnxExportOptions.defaults()), images, "own");
    assertEquals(c.maxBefore(), own.sub(fp32).amaxNumber().doubleValue(), 1e-7);
    assertEquals(c.kept() ? c.maxAfter() : c.maxBefore(), missed.maxDifference(), 0);
    assertEquals(c.kept() ? c.shift().apply(net).params() : net.params(), missed.graph().params());
  }

  @Test
  void heldApartImagesAreJudgedOnAndNotFittedOn() throws Exception {
    ComputationGraph net = network();
    Nd4j.getRandom().setSeed(11);
    INDArray first = Nd4j.rand(DataType.FLOAT, 8, 3, 16, 16).subi(0.5).muli(4);
    INDArray second = Nd4j.rand(DataType.FLOAT, 4, 3, 16, 16).subi(0.5).muli(4);
    List<INDArray> batches = List.of(first, second);

    // 12 images, half held apart: the last 6, the first batch cut after its 6th image
    StaticQuantization.Split split = StaticQuantization.Split.of(batches, 0.5);
    assertEquals(List.of(6L), split.fit().stream().map(b -> b.size(0)).toList());
    assertEquals(List.of(2L, 4L), split.check().stream().map(b -> b.size(0)).toList());
    assertEquals(first.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(6, 8)), split.check().get(0));
    assertEquals(6, split.checkImages());
    // a quarter: 3 held apart, 9 fitted on, the boundary inside the second batch
    StaticQuantization.Split quarter = StaticQuantization.Split.of(batches, 0.25);
    assertEquals(List.of(8L, 1L), quarter.fit().stream().map(b -> b.size(0)).toList());
    assertEquals(List.of(3L), quarter.check().stream().map(b -> b.size(0)).toList());
    // none held apart: both are the calibration batches themselves
    StaticQuantization.Split none = StaticQuantization.Split.of(batches, 0);
    assertFalse(none.heldApart());
    assertEquals(12, none.checkImages());
    IllegalArgumentException tooFew = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> StaticQuantization.Split.of(List.of(first.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 1))),
            0.5));
    assertEquals("Holding 50% of the 1 calibration images apart leaves none to fit on; pass more images or hold "
        + "fewer apart", tooFew.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new StaticQuantization.Fallback(0.03, 2, 1.0));
    // none of n held-apart images beyond the bound: 95 % one-sided Clopper-Pearson, 1 - 0.05^(1/n)
    assertEquals(0.95, StaticQuantization.Split.exceedance95(1), 1e-12);
    assertEquals(0.045730, StaticQuantization.Split.exceedance95(64), 5e-7);
    assertEquals(0.024655, StaticQuantization.Split.exceedance95(120), 5e-7);
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> StaticQuantization.Split.exceedance95(0));

    // the ranges and the bias correction come from the 6 fitted on; the reported difference, and the choice, from
    // the 6 held apart
    StaticQuantization.Choice held = StaticQuantization.quantize(net, batches,
        new StaticQuantization.Fallback(1e-9, 1, 0.5), 2);
    assertEquals(6, held.ranges().images());
    assertEquals(6, held.checkImages());
    assertEquals(6, held.correction().shift().images());
    assertEquals(StaticQuantization.calibrate(net, split.fit(), 2).ranges(), held.ranges().ranges());
    INDArray check = Nd4j.concat(0, split.check().toArray(INDArray[]::new));
    INDArray fp32 = run(net, OnnxExportOptions.defaults(), check, "fp32-held");
    INDArray chosen = run(held.graph(), held.exportOptions(OnnxExportOptions.defaults()), check, "chosen-held");
    assertEquals(held.maxDifference(), chosen.sub(fp32).amaxNumber().doubleValue(), 1e-7);
    INDArray own = run(net, held.exportOptions(OnnxExportOptions.defaults()), check, "own-held");
    assertEquals(held.correction().maxBefore(), own.sub(fp32).amaxNumber().doubleValue(), 1e-7);
  }

  @Test
  void thePrefixOrderKeepsTheFirstTensorsInGraphOrderWithoutMeasuringSensitivities() throws Exception {
    ComputationGraph net = network();
    Nd4j.getRandom().setSeed(11);
    INDArray images = Nd4j.rand(DataType.FLOAT, 8, 3, 16, 16).subi(0.5).muli(4);
    // an unreachable bound with a budget of 2: the all-int8 model, then the first 1 and 2 tensors in float32, each
    // with its own correction (3 exports a trial); no sensitivity export
    StaticQuantization.Choice c = StaticQuantization.quantize(net, List.of(images),
        new StaticQuantization.Fallback(1e-9, 2).withOrder(StaticQuantization.Fallback.Order.PREFIX), 2);
    assertTrue(c.sensitivity().isEmpty(), c.sensitivity().toString());
    assertEquals(3 * 3, c.exportsTried());
    assertEquals(List.of("input", "relu1", "relu2").subList(0, c.floatTensors().size()), c.floatTensors());
    INDArray fp32 = run(net, OnnxExportOptions.defaults(), images, "fp32-prefix");
    INDArray chosen = run(c.graph(), c.exportOptions(OnnxExportOptions.defaults()), images, "chosen-prefix");
    assertEquals(c.maxDifference(), chosen.sub(fp32).amaxNumber().doubleValue(), 1e-7);
    // the smallest difference of the three trials: none smaller among the prefixes
    for (int k = 0; k <= 2; k++) {
      List<String> keep = List.of("input", "relu1", "relu2").subList(0, k);
      org.fundus4j.networks.onnx.ActivationRanges r = c.ranges();
      BiasCorrection.Shift shift = BiasCorrection.measure(net, r, keep, List.of(images), 2);
      INDArray own = run(net, OnnxExportOptions.defaults().withInt8(r, keep), images, "own-" + k);
      INDArray corrected = run(shift.apply(net), OnnxExportOptions.defaults().withInt8(r, keep), images,
          "corrected-" + k);
      double best = Math.min(own.sub(fp32).amaxNumber().doubleValue(), corrected.sub(fp32).amaxNumber().doubleValue());
      assertTrue(c.maxDifference() <= best + 1e-7, k + ": " + best + " < " + c.maxDifference());
    }
  }

  private INDArray run(ComputationGraph net, OnnxExportOptions options, INDArray images, String name) {
    Path onnx = dir.resolve(name + ".onnx");
    OnnxExporter.export(net, onnx, options);
    try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(onnx, 2)) {
      return ort.predict(images);
    }
  }
}

package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
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
 * {@link BiasCorrection} on FallbackTests' small network (softmax over 2 classes, so each image's logit difference
 * {@code log(p1 / p0)} is read back from the probabilities ONNX Runtime returns).
 */
class BiasCorrectionTests {
  @TempDir
  Path dir;

  @Test
  void theCorrectedInt8ModelHasFloat32sMeanLogitOnTheCalibrationImages() {
    ComputationGraph net = FallbackTests.network();
    Nd4j.getRandom().setSeed(11);
    INDArray images = Nd4j.rand(DataType.FLOAT, 8, 3, 16, 16).subi(0.5).muli(4);
    ActivationRanges ranges = StaticQuantization.calibrate(net, List.of(images), 2);
    INDArray before = net.params().dup();

    BiasCorrection.Shift shift = BiasCorrection.measure(net, ranges, List.of(), List.of(images), 2);
    ComputationGraph corrected = shift.apply(net);

    assertEquals("out", shift.layer());
    assertEquals(8, shift.images());
    assertEquals(before, net.params(), "the graph measured is not changed");
    double[] logitFp32 = logits(run(net, OnnxExportOptions.defaults(), images, "fp32"));
    double[] logitInt8 = logits(run(net, OnnxExportOptions.defaults().withInt8(ranges), images, "int8"));
    double[] logitCorrected = logits(run(corrected, OnnxExportOptions.defaults().withInt8(ranges), images,
        "corrected"));
    // the shift is float32's mean pre-activation minus int8's, per class: the logit difference moves by its
    // difference, and the corrected int8 model's mean logit difference is float32's
    double[] s = shift.shift();
    assertEquals(mean(logitFp32) - mean(logitInt8), s[1] - s[0], 1e-4);
    assertTrue(Math.abs(mean(logitFp32) - mean(logitInt8)) > 1e-3, "int8 is offset before the correction: "
        + (mean(logitFp32) - mean(logitInt8)));
    assertEquals(mean(logitFp32), mean(logitCorrected), 1e-4);
    // image by image, the correction adds the same constant
    for (int i = 0; i < logitInt8.length; i++) {
      assertEquals(s[1] - s[0], logitCorrected[i] - logitInt8[i], 1e-4, "image " + i);
    }
    assertEquals(Math.max(Math.abs(s[0]), Math.abs(s[1])), shift.largest(), 0);
  }

  @Test
  void onlyOneDenseOutputLayerIsCorrected() {
    assertTrue(BiasCorrection.applies(FallbackTests.network()));
    ComputationGraph segmentation = new ComputationGraph(new NeuralNetConfiguration.Builder().seed(1)
        .dataType(DataType.FLOAT).graphBuilder().addInputs("input").setInputTypes(InputType.convolutional(8, 8, 3))
        .addLayer("conv", new ConvolutionLayer.Builder(1, 1).nOut(1).activation(Activation.SIGMOID).build(), "input")
        .addLayer("output", new CnnLossLayer.Builder(LossFunctions.LossFunction.XENT).build(), "conv")
        .setOutputs("output").build());
    segmentation.init();
    assertFalse(BiasCorrection.applies(segmentation));
    INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 8, 8);
    // only the graph input is quantised here: its range is the batch's own
    ActivationRanges ranges = StaticQuantization.calibrate(segmentation, List.of(x), 2);
    assertEquals(java.util.Map.of("input", new ActivationRanges.Range(x.minNumber().floatValue(),
        x.maxNumber().floatValue())), ranges.ranges());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BiasCorrection.measure(segmentation, ranges, List.of(), List.of(x), 2));
    assertTrue(e.getMessage().contains("[output]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BiasCorrection.measure(FallbackTests.network(), ranges,
        List.of(), List.of(), 2));
  }

  private static double[] logits(INDArray p) {
    double[] z = new double[(int) p.size(0)];
    for (int i = 0; i < z.length; i++) {
      z[i] = Math.log(p.getDouble(i, 1)) - Math.log(p.getDouble(i, 0));
    }
    return z;
  }

  private static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  private INDArray run(ComputationGraph net, OnnxExportOptions options, INDArray images, String name) {
    Path onnx = dir.resolve(name + ".onnx");
    OnnxExporter.export(net, onnx, options);
    try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(onnx, 2)) {
      return ort.predict(images);
    }
  }
}

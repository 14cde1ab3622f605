package org.fundus4j.networks.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.unet.UNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The project's real networks through ONNX: torchvision-layout ResNet-50 with every head and both
 * U-Nets are exported, pass {@code onnx.checker.check_model(full_check=True)}, and ONNX Runtime's
 * outputs equal DL4J's within 1e-4 on the same input (64x64 for speed; the export is size-agnostic).
 */
class FundusModelsOnnxTests {
  @TempDir
  Path dir;

  static Stream<Head> heads() {
    return Stream.of(Head.linear(7), Head.multiLabel(7), Head.paper(2));
  }

  @ParameterizedTest
  @MethodSource("heads")
  void resNet50MatchesDl4jForEveryHead(Head head) throws Exception {
    ComputationGraph net = ResNet50.build(head, 42);
    INDArray input = OnnxExporterTests.input(44, 2, 3, 64, 64);
    OnnxExporterTests.calibrateBatchNormStatistics(net, input, 43);
    Path file = dir.resolve("resnet50.onnx");
    ExportSummary s = OnnxExporter.export(net, file,
        OnnxExportOptions.defaults().withAdditionalOutputs(ResNet50.FEATURES));
    assertEquals(List.of(ResNet50.OUTPUT, ResNet50.FEATURES), s.outputNames());
    String checked = OnnxChecker.check(file);
    assertTrue(checked.contains("Conv:53")
        && checked.contains("BatchNormalization:" + (head instanceof Head.Paper ? 54 : 53))
        && checked.contains("Add:16") && checked.contains("MaxPool:1") && checked.contains("GlobalAveragePool:1"),
        checked);

    Map<String, INDArray> dl4j = net.feedForward(input.dup(), false);
    Map<String, INDArray> ort = OrtOutputs.run(file, ResNet50.INPUT, input);
    for (String name : s.outputNames()) {
      INDArray expected = dl4j.get(name);
      INDArray actual = ort.get(name);
      assertArrayEquals(expected.shape(), actual.shape(), name);
      // Outputs (softmax/sigmoid) within 1e-4 absolute; the unbounded 2048 pooled features within
      // 1e-4 relative to their largest magnitude (float32 rounding differs after 53 convolutions,
      // ONNX Runtime folds BatchNorm into the convolution weights).
      double scale = Math.max(1.0, expected.amaxNumber().doubleValue());
      double diff = OnnxExporterTests.Transforms.maxAbsDiff(expected, actual);
      System.out.printf("ResNet50 %s %s: max|x| %.3g, max|diff| %.3g%n", head, name, scale, diff);
      assertTrue(diff < 1e-4 * scale, head + " " + name + ": max |DL4J - ONNX Runtime| = " + diff
          + " (max |x| " + scale + ")");
    }
  }

  @Test
  void classicUNetMatchesDl4jAndKeepsSpatialSize() throws Exception {
    ComputationGraph net = UNet.classic(8, 5);
    OnnxExporterTests.calibrateBatchNormStatistics(net, OnnxExporterTests.input(6, 2, 3, 32, 32), 6);
    OnnxExporterTests.exportAndCompare(net, dir.resolve("unet.onnx"),
        OnnxExporterTests.input(7, 1, 3, 32, 32), OnnxExporterTests.input(8, 2, 3, 48, 64));
  }

  @Test
  void resNet50EncoderUNetMatchesDl4j() throws Exception {
    ComputationGraph net = UNet.resnet50Encoder(9);
    OnnxExporterTests.calibrateBatchNormStatistics(net, OnnxExporterTests.input(10, 2, 3, 64, 64), 10);
    OnnxExporterTests.exportAndCompare(net, dir.resolve("unet-resnet50.onnx"),
        OnnxExporterTests.input(11, 1, 3, 64, 64));
  }
}

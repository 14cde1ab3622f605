package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.Precision;
import org.fundus4j.transfer.BatchNormCalibration;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Grad-CAM through the screening path: the maps {@link Screener} makes from ONNX Runtime's extra output (the last
 * bottleneck's activations) and the head's weights equal evaluation's full-backward {@link GradCam} on the DL4J
 * graph, for the binary and the seven-label heads.
 */
class GradCamScreeningTests {

  @TempDir
  Path dir;

  @Test
  void theScreenersFastMapsEqualTheFullBackwardGradCamForBothHeads() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(dir.resolve("data"), 1, "F4J-CAM-1", "R", "20240107", 96);
    Path file = study.files().get(0);
    for (Head head : List.of(Head.linear(2), Head.multiLabel(7))) {
      boolean binary = head.equals(Head.linear(2));
      List<String> labels = binary ? List.of("normal", "abnormal") : ScreenerTests.PAPER_LABELS;
      ModelCard card = new ModelCard("cam " + labels.size(), "0.0.1", binary ? "binary" : "multi-label", labels,
          "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(), null, null);
      ComputationGraph net = ResNet50.build(head, 13);
      INDArray input;
      try (Screener probe = new Screener(new SavedModel(net, card), InferenceEngine.DL4J)) {
        input = probe.preprocess(DicomImages.readFirstFrame(file), file);
      }
      // running statistics from several inputs keep the activations in range, so the maps have structure; from one
      // image alone, near-zero variances amplify float rounding until ONNX Runtime and DL4J disagree by 10 %
      Nd4j.getRandom().setSeed(3);
      BatchNormCalibration.reestimate(net, List.of(Nd4j.concat(0, input,
          Nd4j.rand(DataType.FLOAT, 3, 3, 64, 64).subi(0.5).muli(4))));
      SavedModel model = new SavedModel(net, card);
      String layer = net.getConfiguration().getVertexInputs().get(ResNet50.FEATURES).get(0);
      int[] columns = binary ? new int[] {1} : new int[] {0, 1, 2, 3, 4, 5, 6};

      Screener.WithGradCam fast;
      List<INDArray> onDl4jActivations;
      try (Screener screener = new Screener(model, null, InferenceEngine.ONNX, Precision.FP32, 1, 1, true)) {
        assertEquals(layer, screener.gradCamLayer());
        fast = screener.screenWithGradCam(file);
        onDl4jActivations = screener.heatMaps(net.feedForward(fast.input(), false).get(layer), 0);
      }
      INDArray[] full = new GradCam(net, layer).lowResolutionHeatMaps(fast.input(), columns);

      assertEquals(columns.length, fast.maps().size());
      assertEquals(columns.length, fast.result().findings().size());
      INDArray probabilities = net.outputSingle(fast.input());
      for (int k = 0; k < columns.length; k++) {
        // the first ONNX output is still the head's: the same probabilities as DL4J's
        assertEquals(probabilities.getDouble(0, columns[k]), fast.result().findings().get(k).probability(), 1e-4);
      }
      double largestMath = 0;
      double largestOnnx = 0;
      boolean informative = false;
      for (int k = 0; k < columns.length; k++) {
        INDArray m = fast.maps().get(k);
        String label = labels.get(columns[k]);
        assertArrayEquals(new long[] {2, 2}, m.shape(), "64 px input, stride 32");
        // the screener's map arithmetic on the activations the full backward pass sees: exact
        assertArrayEquals(full[k].data().asDouble(), onDl4jActivations.get(k).data().asDouble(), 1e-5, label);
        // on ONNX Runtime's activations: the engines' float32 rounding (activations 1e-3 apart at values up to 8),
        // magnified by the min-max scaling where a map's raw range is small (measured up to 2.3e-4)
        assertArrayEquals(full[k].data().asDouble(), m.data().asDouble(), 1e-3, label);
        largestMath = Math.max(largestMath, Transforms.abs(full[k].sub(onDl4jActivations.get(k))).maxNumber()
            .doubleValue());
        largestOnnx = Math.max(largestOnnx, Transforms.abs(full[k].sub(m)).maxNumber().doubleValue());
        informative |= m.maxNumber().doubleValue() > 0.5 && m.minNumber().doubleValue() < 0.5;
      }
      assertTrue(informative, "the maps are not all flat");
      System.out.printf("Grad-CAM screening path vs full backward, %d class(es): max |diff| %.2e on DL4J's"
          + " activations, %.2e on ONNX Runtime's%n", columns.length, largestMath, largestOnnx);
    }
  }

  @Test
  void gradCamIsRefusedWhereTheFastPathDoesNotHold() throws Exception {
    ModelCard card = new ModelCard("cam", "0.0.1", "binary", List.of("normal", "abnormal"), "Scratch", "FT", 64,
        ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(), null, null);
    SavedModel model = new SavedModel(ResNet50.build(Head.linear(2), 3), card);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Screener(model, null, InferenceEngine.DL4J, Precision.FP32, 1, 1, true));
    assertEquals("Grad-CAM runs on ONNX Runtime at fp32 (the last bottleneck's activations are an extra output of"
        + " the fp32 export); use --engine onnx --precision fp32", e.getMessage());
  }
}

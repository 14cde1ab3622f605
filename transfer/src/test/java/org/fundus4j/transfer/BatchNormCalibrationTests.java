package org.fundus4j.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class BatchNormCalibrationTests {

  @Test
  void inferenceModeMatchesTrainingModeOnTheCalibrationBatch() {
    ComputationGraph graph = ResNet50.build(Head.linear(2), 7);
    INDArray images = TinyData.uniform(11, 4, 3, 64, 64).muli(3.0).subi(1.0);

    List<String> layers = BatchNormCalibration.reestimate(graph, List.of(images));

    assertEquals(53, layers.size(), "torchvision's ResNet-50 has 53 BatchNorm2d layers");
    // Compare the pooled features: DL4J applies some activations in place in inference mode, so the
    // map's entries for BatchNorm layers followed by a ReLU hold post-ReLU values there.
    INDArray train = graph.feedForward(images, true).get(ResNet50.FEATURES).dup();
    INDArray inference = graph.feedForward(images, false).get(ResNet50.FEATURES).dup();
    double gap = train.sub(inference).amaxNumber().doubleValue();
    double scale = train.amaxNumber().doubleValue();
    assertTrue(scale > 0.1, "features are all near zero: " + scale);
    assertTrue(gap < 1e-3 * scale, "inference features differ from training mode by " + gap + " (max " + scale + ")");
  }

  @Test
  void frozenScratchBackboneGivesFiniteFeaturesAfterReestimation() {
    ComputationGraph graph = ResNet50.build(Head.linear(2), 7);
    INDArray images = TinyData.uniform(12, 4, 3, 64, 64);
    BatchNormCalibration.reestimate(graph, List.of(images));

    INDArray features = graph.feedForward(images, false).get(ResNet50.FEATURES);

    assertEquals(2048, features.size(1));
    assertFalse(Double.isNaN(features.sumNumber().doubleValue()));
    assertFalse(Double.isInfinite(features.amaxNumber().doubleValue()));
  }

  @Test
  void rejectsAnEmptyBatchList() {
    ComputationGraph graph = ResNet50.build(Head.linear(2), 7);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> BatchNormCalibration.reestimate(graph, List.of()));
    assertTrue(e.getMessage().contains("at least one batch"));
  }
}

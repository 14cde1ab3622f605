package org.fundus4j.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.Adam;

class TransferModesTests {

  private static Map<String, INDArray> snapshot(ComputationGraph graph) {
    Map<String, INDArray> copy = new HashMap<>();
    graph.paramTable().forEach((k, v) -> copy.put(k, v.dup()));
    return copy;
  }

  private static String layerOf(String paramKey) {
    return paramKey.substring(0, paramKey.lastIndexOf('_'));
  }

  @Test
  void linearProbeChangesOnlyTheHead() {
    ComputationGraph scratch = ResNet50.build(Head.linear(2), 3);
    DataSetIterator data = TinyData.brightSquares(16, 64, 8, 3);
    BatchNormCalibration.reestimate(scratch, List.of(data.next().getFeatures()));
    ComputationGraph probe = LinearProbe.freeze(scratch, ResNet50.FEATURES, new Adam(1e-2), 3);
    Map<String, INDArray> before = snapshot(probe);

    List<Double> losses = LinearProbe.train(probe, ResNet50.FEATURES, data, 3, EpochListener.none());

    assertEquals(3, losses.size());
    Set<String> backbone = Set.copyOf(ResNet50.backboneLayerNames());
    int headParamsChanged = 0;
    for (Map.Entry<String, INDArray> e : probe.paramTable().entrySet()) {
      INDArray old = before.get(e.getKey());
      if (backbone.contains(layerOf(e.getKey()))) {
        assertEquals(old, e.getValue(), "backbone parameter changed under LP: " + e.getKey());
      } else if (!old.equals(e.getValue())) {
        headParamsChanged++;
      }
    }
    assertTrue(headParamsChanged > 0, "LP did not change any head parameter");
  }

  @Test
  void fineTuningChangesEveryConvolution() {
    ComputationGraph model = FineTune.prepare(ResNet50.build(Head.linear(2), 5), new Adam(1e-3), 1e-5, 5);
    Map<String, INDArray> before = snapshot(model);

    FineTune.train(model, TinyData.brightSquares(8, 64, 4, 5), 1, EpochListener.none());

    for (Map.Entry<String, INDArray> e : model.paramTable().entrySet()) {
      if (e.getKey().endsWith("_W")) {
        assertNotEquals(before.get(e.getKey()), e.getValue(), "FT left a weight unchanged: " + e.getKey());
      }
    }
  }

  @Test
  void savedModelRoundTripsWeightsAndCard(@TempDir Path dir) throws Exception {
    ComputationGraph graph = ResNet50.build(Head.linear(2), 9);
    ModelCard card = new ModelCard("test model", "1.2.3", "binary", List.of("normal", "abnormal"), "Scratch", "FT",
        64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of("auc", 0.5));

    SavedModel.save(dir, graph, card);
    SavedModel loaded = SavedModel.load(dir);

    assertEquals(graph.params(), loaded.graph().params());
    assertEquals("1.2.3", loaded.card().version());
    assertEquals(0.5, loaded.card().metrics().get("auc"));
    assertEquals(List.of("normal", "abnormal"), loaded.card().labels());
  }

  @Test
  void copyBackboneCopiesEveryBackboneParameterAndNoHeadParameter() {
    ComputationGraph from = ResNet50.build(Head.paper(2), 1);
    ComputationGraph to = ResNet50.build(Head.linear(2), 2);
    INDArray headBefore = to.getLayer(ResNet50.OUTPUT).params().dup();

    StartWeights.copyBackbone(from, to);

    for (String name : ResNet50.backboneLayerNames()) {
      if (from.getLayer(name) != null && from.getLayer(name).numParams() > 0) {
        assertEquals(from.getLayer(name).params(), to.getLayer(name).params(), name);
      }
    }
    assertEquals(headBefore, to.getLayer(ResNet50.OUTPUT).params(), "the head is left as it was");
  }

  @Test
  void startParsesThePapersWords() {
    assertEquals(Start.IMAGENET_FUNDUS, Start.parse("ImageNet+Fundus"));
    assertEquals(Start.SCRATCH, Start.parse("scratch"));
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Start.parse("cifar"));
    assertTrue(e.getMessage().contains("cifar"));
  }
}

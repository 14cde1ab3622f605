package org.fundus4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.LayerHelpers;
import org.junit.jupiter.api.Test;

/** The compared configurations: their work per image and the layout facts the options study relies on. */
class Dl4jVariantsTests {

  @Test
  void oursDoesTorchvisionsWorkAndTheZooLayoutAboutAQuarter() {
    ComputationGraph ours = Dl4jVariants.ours(224, layer -> { }, false);
    // torchvision documents ResNet-50 at 224 px as 4.09 "GFLOPS", counted as multiply-accumulates
    assertEquals(4.09, Dl4jVariants.macsPerImage(ours, 224, false) / 1e9, 0.005);
    assertEquals(0, LayerHelpers.count(ours));
    ours.close();

    ComputationGraph zoo = Dl4jVariants.zoo(224, 2, false);
    // the zoo's stage 2 runs at stride 2 (the 1x1 of its first block), so stages 2-5 see 28, 14, 7, 4 px
    Map<String, InputType> types = zoo.getConfiguration().getLayerActivationTypes(InputType.convolutional(224, 224, 3));
    assertEquals(55, ((InputType.InputTypeConvolutional) types.get("stem-maxpool1")).getHeight());
    assertEquals(28, ((InputType.InputTypeConvolutional) types.get("res2c")).getHeight());
    assertEquals(4, ((InputType.InputTypeConvolutional) types.get("res5c")).getHeight());
    double zooGmacs = Dl4jVariants.macsPerImage(zoo, 224, false) / 1e9;
    assertEquals(1.11, zooGmacs, 0.01);
    zoo.close();

    ComputationGraph zooStride1 = Dl4jVariants.zoo(224, 1, false);
    assertTrue(Dl4jVariants.macsPerImage(zooStride1, 224, false) / 1e9 > 3.4 * zooGmacs);
    zooStride1.close();
  }

  @Test
  void selectNamesTheKnownVariantsOnATypo() {
    assertEquals(List.of("ours", "zoo"), Dl4jVariants.select(List.of("ours", "zoo")).stream()
        .map(Dl4jVariants.Variant::key).toList());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Dl4jVariants.select(List.of("ours+helper")));
    assertTrue(e.getMessage().startsWith("Unknown variant 'ours+helper'; known: ours,ours+bias,"), e.getMessage());
  }
}

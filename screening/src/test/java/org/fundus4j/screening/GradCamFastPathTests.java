package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.BatchNormCalibration;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The exact Grad-CAM of the last bottleneck from its forward activations and the linear head's weights equals
 * evaluation's full-backward {@link GradCam} within 1e-5, for the binary and the seven-label heads.
 */
class GradCamFastPathTests {

  @Test
  void pooledLinearHeadMapsEqualTheFullBackwardGradCam() {
    for (Head head : List.of(Head.linear(2), Head.multiLabel(7))) {
      ComputationGraph net = ResNet50.build(head, 11);
      Nd4j.getRandom().setSeed(3);
      INDArray input = Nd4j.rand(DataType.FLOAT, 1, 3, 64, 64).subi(0.5).muli(4);
      BatchNormCalibration.reestimate(net, List.of(Nd4j.rand(DataType.FLOAT, 4, 3, 64, 64).subi(0.5).muli(4)));
      String last = net.getConfiguration().getVertexInputs().get(ResNet50.FEATURES).get(0);
      int classes = (int) net.getLayer(ResNet50.OUTPUT).getParam("W").size(1);
      int[] all = new int[classes];
      for (int c = 0; c < classes; c++) {
        all[c] = c;
      }

      long t0 = System.nanoTime();
      INDArray[] full = new GradCam(net, last).lowResolutionHeatMaps(input, all);
      long t1 = System.nanoTime();
      INDArray activations = net.feedForward(input, false).get(last);
      INDArray[] fast = GradCam.pooledLinearHeadMaps(activations, net.getLayer(ResNet50.OUTPUT).getParam("W"), all);
      long t2 = System.nanoTime();

      assertEquals(classes, fast.length);
      boolean informative = false;
      for (int c = 0; c < classes; c++) {
        assertArrayEquals(full[c].shape(), fast[c].shape());
        assertArrayEquals(full[c].data().asDouble(), fast[c].data().asDouble(), 1e-5, "class " + c);
        informative |= fast[c].maxNumber().doubleValue() > 0.5 && fast[c].minNumber().doubleValue() < 0.5;
      }
      assertTrue(informative, "the maps are not all flat");
      System.out.printf("Grad-CAM %d classes at 64 px: full backward %.0f ms, pooled-head path %.0f ms (incl. forward)%n",
          classes, (t1 - t0) / 1e6, (t2 - t1) / 1e6);
    }
  }
}

package org.fundus4j.networks.unet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.TorchFixtures;
import org.fundus4j.networks.torch.LoadReport;
import org.fundus4j.networks.torch.StateDict;
import org.fundus4j.networks.torch.TorchCheckpoint;
import org.fundus4j.networks.torch.TorchWeights;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

class UNetTests {

  @Test
  void classicOutputHasInputSpatialShape() {
    ComputationGraph unet = UNet.classic(4, 1);
    INDArray out = unet.outputSingle(Nd4j.rand(2, 3, 64, 96));
    assertArrayEquals(new long[] {2, 1, 64, 96}, out.shape());
    assertTrue(out.minNumber().doubleValue() > 0 && out.maxNumber().doubleValue() < 1, "sigmoid range");
  }

  @Test
  void resnet50EncoderOutputHasInputSpatialShape() {
    ComputationGraph unet = UNet.resnet50Encoder(1);
    INDArray out = unet.outputSingle(Nd4j.rand(1, 3, 64, 96));
    assertArrayEquals(new long[] {1, 1, 64, 96}, out.shape());
  }

  @Test
  void resnet50EncoderTakesTorchvisionWeights() throws Exception {
    StateDict sd = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_zip.pth"));
    ComputationGraph unet = UNet.resnet50Encoder(1);
    LoadReport report = TorchWeights.load(unet, sd);
    assertEquals(List.of("fc.weight", "fc.bias"), report.unexpectedKeys());
    assertTrue(report.missingKeys().stream().allMatch(k -> k.startsWith("decoder.") || k.startsWith("head.")),
        report.missingKeys().toString());
    assertEquals(sd.get("layer4.2.conv3.weight"), unet.getLayer("layer4.2.conv3").getParam("W"));
  }

  @Test
  void oneFitStepLowersDiceLossOnSyntheticVesselMask() {
    DataSet vessels = syntheticVessels(2, 64, 64, new Random(3));
    ComputationGraph unet = UNet.classic(8, 7);
    double before = unet.score(vessels, true);
    unet.fit(vessels);
    double after = unet.score(vessels, true);
    assertTrue(after < before, "Dice loss " + before + " -> " + after);
  }

  /** Dark-red fundus-like background with brighter thin curved lines; the mask marks the lines. */
  static DataSet syntheticVessels(int n, int h, int w, Random random) {
    INDArray images = Nd4j.zeros(n, 3, h, w);
    INDArray masks = Nd4j.zeros(n, 1, h, w);
    for (int i = 0; i < n; i++) {
      for (int line = 0; line < 4; line++) {
        double x0 = random.nextInt(w);
        double slope = random.nextGaussian() * 0.8;
        double bend = random.nextGaussian() * 0.01;
        for (int y = 0; y < h; y++) {
          int x = (int) Math.round(x0 + slope * y + bend * y * y);
          for (int dx = 0; dx < 2; dx++) {
            if (x + dx >= 0 && x + dx < w) {
              masks.putScalar(new long[] {i, 0, y, x + dx}, 1.0);
            }
          }
        }
      }
      for (int c = 0; c < 3; c++) {
        INDArray noise = Nd4j.randn(h, w).muli(0.05);
        double background = c == 0 ? 0.6 : 0.25;
        images.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i), org.nd4j.linalg.indexing.NDArrayIndex.point(c))
            .assign(noise.addi(background).subi(masks.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0)).mul(0.2)));
      }
    }
    return new DataSet(images, masks);
  }
}

package org.fundus4j.evaluation.visualize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.layers.FrozenLayer;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

class GradCamTests {
  private static ComputationGraph trained;
  private static ComputationGraph probed; // frozen backbone, new head trained alone

  @BeforeAll
  static void train() {
    trained = BlobTask.trainedNetwork();
    probed = new TransferLearning.GraphBuilder(trained)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().updater(new Adam(1e-2)).seed(3).build())
        .setFeatureExtractor("conv2")
        .removeVertexKeepConnections("out")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nIn(16).nOut(2)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out")
        .build();
    BlobTask.Batch data = BlobTask.make(256, 5, false);
    for (int epoch = 0; epoch < 5; epoch++) {
      for (int s = 0; s < 256; s += 32) {
        probed.fit(new DataSet(data.images().get(NDArrayIndex.interval(s, s + 32)),
            data.labels().get(NDArrayIndex.interval(s, s + 32))));
      }
    }
  }

  @Test
  void trainedModelsLearnedTheTask() {
    assertTrue(BlobTask.accuracy(trained, 99) > 0.9, "fine-tuned accuracy");
    assertTrue(BlobTask.accuracy(probed, 98) > 0.9, "linear-probe accuracy");
    assertTrue(probed.getLayer("conv2") instanceof FrozenLayer, "backbone is frozen");
    assertTrue(probed.getLayer("bn1") instanceof FrozenLayer, "backbone is frozen");
  }

  @Test
  void heatMapMaximumFallsInsideTheBlob() {
    assertTrue(hitRate(new GradCam(trained, "conv2")) >= 0.85);
  }

  @Test
  void heatMapWorksThroughAFrozenBackbone() {
    assertTrue(hitRate(new GradCam(probed, "conv2")) >= 0.85);
    // bn1 sits inside the frozen backbone: its gradient must pass through frozen conv2
    assertTrue(hitRate(new GradCam(probed, "bn1")) >= 0.85);
  }

  private static double hitRate(GradCam cam) {
    BlobTask.Batch test = BlobTask.make(20, 77, true);
    int hits = 0;
    for (int i = 0; i < 20; i++) {
      INDArray heat = cam.heatMap(test.images().get(NDArrayIndex.point(i)).reshape(1, 3, 32, 32), 1);
      assertEquals(32, heat.size(0));
      assertEquals(32, heat.size(1));
      assertTrue(heat.minNumber().doubleValue() >= 0 && heat.maxNumber().doubleValue() <= 1);
      long arg = heat.reshape(32 * 32).argMax(0).getLong(0);
      int y = (int) (arg / 32);
      int x = (int) (arg % 32);
      int[] c = test.centres()[i];
      double d = Math.hypot(y - c[0], x - c[1]);
      if (d <= 2 * BlobTask.SIGMA + 1) {
        hits++;
      }
    }
    double rate = hits / 20.0;
    System.out.println("Grad-CAM hit rate for " + cam.layerName() + ": " + rate);
    return rate;
  }

  @Test
  void probeGraphReproducesTheModelInInferenceMode() {
    INDArray x = BlobTask.make(3, 12, false).images().get(NDArrayIndex.point(0)).reshape(1, 3, 32, 32);
    for (ComputationGraph g : new ComputationGraph[] {trained, probed}) {
      GradCam cam = new GradCam(g, "bn1");
      INDArray logits = cam.rawScores(x);
      INDArray expected = g.outputSingle(false, x).castTo(DataType.DOUBLE);
      INDArray softmax = Transforms.softmax(logits, true);
      for (int k = 0; k < 2; k++) {
        assertEquals(expected.getDouble(0, k), softmax.getDouble(0, k), 1e-5);
      }
    }
  }

  @Test
  void gradientEqualsFiniteDifferenceOfTheLogit() {
    INDArray x = BlobTask.make(1, 13, true).images();
    GradCam cam = new GradCam(probed, "bn1");
    ComputationGraph probe = cam.probe(x);
    // analytic gradient of logit 1 w.r.t. the probe's bias (= the bn1 activations)
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, 1, 2);
    labels.putScalar(0, 1, 1.0);
    probe.setInputs(x.castTo(DataType.DOUBLE));
    probe.setLabels(labels);
    probe.computeGradientAndScore();
    INDArray g = probe.gradient().getGradientFor("gradcam-probe_b").dup();
    INDArray b = probe.getLayer("gradcam-probe").getParam("b");
    double eps = 1e-4;
    int checked = 0;
    for (int k : new int[] {0, 137, 1000, 4000, 8191}) {
      double before = b.getDouble(0, k);
      b.putScalar(0, k, before + eps);
      double up = probe.output(false, x.castTo(DataType.DOUBLE))[0].getDouble(0, 1);
      b.putScalar(0, k, before - eps);
      double down = probe.output(false, x.castTo(DataType.DOUBLE))[0].getDouble(0, 1);
      b.putScalar(0, k, before);
      double numeric = (up - down) / (2 * eps);
      assertEquals(numeric, g.getDouble(0, k), 1e-6 + 1e-4 * Math.abs(numeric), "element " + k);
      checked++;
    }
    assertEquals(5, checked);
    assertTrue(g.norm2Number().doubleValue() > 0, "gradient is not all zero");
  }

  @Test
  void lastConvolutionalLayerIsConv2() {
    assertEquals("conv2", GradCam.lastConvolutionalLayer(trained, InputType.convolutional(32, 32, 3)));
  }

  @Test
  void rejectsUnknownLayerAndBadClass() {
    var e = assertThrows(IllegalArgumentException.class, () -> new GradCam(trained, "conv9"));
    assertTrue(e.getMessage().startsWith("no vertex 'conv9' in the graph"), e.getMessage());
    GradCam cam = new GradCam(trained, "conv2");
    e = assertThrows(IllegalArgumentException.class, () -> cam.heatMap(Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32), 2));
    assertEquals("class index 2 out of range: output 'out' has 2 classes", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new GradCam(trained, "pool").heatMap(
        Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32), 1));
  }

  @Test
  void overlayOnTheCc0FundusPhotoHasThePhotosSize() throws Exception {
    BufferedImage photo = ImageIO.read(Path.of("..", "data", "cc0", "retina-normal-left.jpg").toFile());
    int side = 128;
    BufferedImage small = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = small.createGraphics();
    g.drawImage(photo, 0, 0, side, side, null);
    g.dispose();
    float[] px = new float[3 * side * side];
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int rgb = small.getRGB(x, y);
        px[(0 * side + y) * side + x] = ((rgb >> 16) & 0xff) / 255f;
        px[(1 * side + y) * side + x] = ((rgb >> 8) & 0xff) / 255f;
        px[(2 * side + y) * side + x] = (rgb & 0xff) / 255f;
      }
    }
    INDArray input = Nd4j.create(px, new long[] {1, 3, side, side});
    INDArray heat = new GradCam(probed, "conv2").heatMap(input, 1);
    assertEquals(side, heat.size(0));
    // the bright-blob detector should look at the brightest blob of a fundus: the optic disc,
    // which in this left-eye photo lies at about 15 % of the width and 45 % of the height
    long arg = heat.reshape((long) side * side).argMax(0).getLong(0);
    double ay = (double) (arg / side) / side;
    double ax = (double) (arg % side) / side;
    assertTrue(ax < 0.3 && ay > 0.3 && ay < 0.6, "heat maximum at x=" + ax + ", y=" + ay);
    BufferedImage over = GradCam.overlay(photo, heat);
    Path out = Path.of("target", "gradcam", "retina-normal-left-gradcam.png");
    Files.createDirectories(out.getParent());
    ImageIO.write(over, "png", out.toFile());
    BufferedImage back = ImageIO.read(out.toFile());
    assertEquals(photo.getWidth(), back.getWidth());
    assertEquals(photo.getHeight(), back.getHeight());
    assertNotEquals(photo.getRGB(photo.getWidth() / 2, photo.getHeight() / 2),
        back.getRGB(photo.getWidth() / 2, photo.getHeight() / 2));
  }

  @Test
  void resizeBilinearMatchesOpenCvHalfPixelRule() {
    INDArray m = Nd4j.createFromArray(new double[][] {{0, 1}, {2, 3}});
    INDArray r = GradCam.resizeBilinear(m, 4, 4);
    // cv2.resize(np.array([[0,1],[2,3]], np.float64), (4,4), interpolation=cv2.INTER_LINEAR)
    double[][] expected = {{0, 0.25, 0.75, 1}, {0.5, 0.75, 1.25, 1.5}, {1.5, 1.75, 2.25, 2.5},
        {2, 2.25, 2.75, 3}};
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 4; x++) {
        assertEquals(expected[y][x], r.getDouble(y, x), 1e-12);
      }
    }
    assertArrayEquals(new int[] {0, 0, 128}, GradCam.jet(0)); // dark blue
    assertArrayEquals(new int[] {128, 255, 128}, GradCam.jet(0.5)); // green
    assertArrayEquals(new int[] {128, 0, 0}, GradCam.jet(1)); // dark red
  }
}

package org.fundus4j.evaluation.visualize;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The probe graph must compute what the model computes at inference, BatchNorm statistics included. */
class GradCamProbeTests {
  /** conv -> BN (2D) -> conv -> pool -> dense -> BN (1D) -> dropout -> sigmoid output, like the paper's head.
   * bn2 is configured with ReLU, which DL4J's BatchNormalization ignores: the probe must too. */
  static ComputationGraph network(boolean logStd) {
    var conf = new NeuralNetConfiguration.Builder().seed(5).convolutionMode(ConvolutionMode.Same)
        .graphBuilder().addInputs("image")
        .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "image")
        .addLayer("bn1", new BatchNormalization.Builder().useLogStd(logStd).build(), "conv1")
        .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build(), "bn1")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
        .addLayer("fc", new DenseLayer.Builder().nOut(5).activation(Activation.IDENTITY).build(), "pool")
        .addLayer("bn2", new BatchNormalization.Builder().useLogStd(logStd).activation(Activation.RELU).build(), "fc")
        .addLayer("drop", new DropoutLayer.Builder(0.5).build(), "bn2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nOut(3)
            .activation(Activation.SIGMOID).build(), "drop")
        .setOutputs("out").setInputTypes(InputType.convolutional(12, 12, 3)).build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    Nd4j.getRandom().setSeed(9);
    for (String bn : new String[] {"bn1", "bn2"}) {
      for (Map.Entry<String, INDArray> p : g.getLayer(bn).paramTable().entrySet()) {
        INDArray r = Nd4j.rand(DataType.FLOAT, p.getValue().shape());
        switch (p.getKey()) {
          case "gamma" -> p.getValue().assign(r.muli(1.5).addi(0.5));
          case "beta", "mean" -> p.getValue().assign(r.subi(0.5));
          case "var" -> p.getValue().assign(r.muli(2).addi(0.1));
          case "log10stdev" -> p.getValue().assign(r.subi(0.5).muli(0.6));
          default -> throw new AssertionError(p.getKey());
        }
      }
    }
    return g;
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void probeLogitsGiveTheModelsOutputs(boolean logStd) {
    ComputationGraph g = network(logStd);
    ComputationGraph frozen = new TransferLearning.GraphBuilder(g)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
        .setFeatureExtractor("bn2").build();
    INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 12, 12);
    for (ComputationGraph model : new ComputationGraph[] {g, frozen}) {
      for (String layer : new String[] {"conv1", "bn1", "conv2"}) {
        GradCam cam = new GradCam(model, layer);
        INDArray probs = Transforms.sigmoid(cam.rawScores(x), true);
        INDArray expected = model.outputSingle(false, x).castTo(DataType.DOUBLE);
        for (int k = 0; k < 3; k++) {
          assertEquals(expected.getDouble(0, k), probs.getDouble(0, k), 1e-5, layer + " class " + k);
        }
        INDArray[] maps = cam.heatMaps(x, 0, 1, 2);
        assertEquals(3, maps.length);
        assertEquals(12, maps[2].size(1));
      }
    }
  }

  /** A residual block: the target conv1 feeds both the block and the skip connection. */
  @Test
  void residualGraphWithFrozenBackboneGivesExactGradient() {
    var conf = new NeuralNetConfiguration.Builder().seed(8).convolutionMode(ConvolutionMode.Same)
        .graphBuilder().addInputs("image")
        .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "image")
        .addLayer("pool1", new SubsamplingLayer.Builder(2, 2).stride(2, 2).build(), "conv1")
        .addLayer("a", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.IDENTITY).build(), "pool1")
        .addLayer("bn", new BatchNormalization.Builder().build(), "a")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn", "pool1")
        .addLayer("relu", new ActivationLayer.Builder().activation(Activation.RELU).build(), "add")
        .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "relu")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build(), "gap")
        .setOutputs("out").setInputTypes(InputType.convolutional(16, 16, 3)).build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    g.getLayer("bn").paramTable().get("mean").assign(0.3);
    ComputationGraph frozen = new TransferLearning.GraphBuilder(g)
        .fineTuneConfiguration(new FineTuneConfiguration.Builder().build())
        .setFeatureExtractor("relu").build();
    INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 16, 16);
    GradCam cam = new GradCam(frozen, "pool1");
    INDArray probs = Transforms.softmax(cam.rawScores(x), true);
    INDArray expected = frozen.outputSingle(false, x).castTo(DataType.DOUBLE);
    assertEquals(expected.getDouble(0, 1), probs.getDouble(0, 1), 1e-5);
    ComputationGraph probe = cam.probe(x);
    INDArray labels = Nd4j.zeros(DataType.DOUBLE, 1, 2);
    labels.putScalar(0, 0, 1.0);
    probe.setInputs(x.castTo(DataType.DOUBLE));
    probe.setLabels(labels);
    probe.computeGradientAndScore();
    INDArray grad = probe.gradient().getGradientFor("gradcam-probe_b").dup();
    INDArray b = probe.getLayer("gradcam-probe").getParam("b");
    for (int k : new int[] {0, 50, 255}) {
      double before = b.getDouble(0, k);
      b.putScalar(0, k, before + 1e-4);
      double up = probe.output(false, x.castTo(DataType.DOUBLE))[0].getDouble(0, 0);
      b.putScalar(0, k, before - 1e-4);
      double down = probe.output(false, x.castTo(DataType.DOUBLE))[0].getDouble(0, 0);
      b.putScalar(0, k, before);
      assertEquals((up - down) / 2e-4, grad.getDouble(0, k), 1e-7, "element " + k);
    }
    assertEquals(16, cam.heatMap(x, 0).size(0));
  }

  @Test
  void nhwcLayerIsRejected() {
    var conf = new NeuralNetConfiguration.Builder().graphBuilder().addInputs("image")
        .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(2).dataFormat(CNN2DFormat.NHWC).build(), "image")
        .addLayer("gap", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv")
        .addLayer("out", new OutputLayer.Builder().nOut(2).activation(Activation.SOFTMAX).build(), "gap")
        .setOutputs("out").setInputTypes(InputType.convolutional(8, 8, 3, CNN2DFormat.NHWC)).build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new GradCam(g, "conv"));
    assertEquals("layer 'conv' uses NHWC; Grad-CAM supports NCHW activations only", e.getMessage());
  }
}

package org.fundus4j.evaluation.visualize;

import java.util.Random;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A toy detection task for Grad-CAM tests: 32x32 noisy images, class 1 has one bright Gaussian
 * blob at a random place, class 0 has none; and a small CNN that learns it.
 */
final class BlobTask {
  static final int SIZE = 32;
  static final double SIGMA = 2.0;

  /** Images [N, 3, 32, 32], one-hot labels [N, 2], blob centres (row, col; -1 for class 0). */
  record Batch(INDArray images, INDArray labels, int[][] centres) {}

  private BlobTask() {}

  static Batch make(int n, long seed, boolean allPositive) {
    Random rnd = new Random(seed);
    float[] pixels = new float[n * 3 * SIZE * SIZE];
    float[] labels = new float[n * 2];
    int[][] centres = new int[n][2];
    for (int i = 0; i < n; i++) {
      boolean positive = allPositive || rnd.nextBoolean();
      int cy = 5 + rnd.nextInt(SIZE - 10);
      int cx = 5 + rnd.nextInt(SIZE - 10);
      centres[i] = positive ? new int[] {cy, cx} : new int[] {-1, -1};
      labels[i * 2 + (positive ? 1 : 0)] = 1;
      for (int y = 0; y < SIZE; y++) {
        for (int x = 0; x < SIZE; x++) {
          double v = rnd.nextDouble() * 0.4;
          if (positive) {
            double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
            v += 0.8 * Math.exp(-d2 / (2 * SIGMA * SIGMA));
          }
          for (int c = 0; c < 3; c++) {
            pixels[((i * 3 + c) * SIZE + y) * SIZE + x] = (float) v;
          }
        }
      }
    }
    return new Batch(Nd4j.create(pixels, new long[] {n, 3, SIZE, SIZE}),
        Nd4j.create(labels, new long[] {n, 2}), centres);
  }

  /** conv1 (relu) -> bn1 -> conv2 (relu) -> global average pool -> softmax output. */
  static ComputationGraph trainedNetwork() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(42)
        .updater(new Adam(5e-3))
        .weightInit(WeightInit.RELU)
        .convolutionMode(ConvolutionMode.Same)
        .graphBuilder()
        .addInputs("image")
        .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nOut(8).activation(Activation.RELU).build(), "image")
        .addLayer("bn1", new BatchNormalization.Builder().build(), "conv1")
        .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build(), "bn1")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(2)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out")
        .setInputTypes(InputType.convolutional(SIZE, SIZE, 3))
        .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    Batch train = make(320, 1, false);
    for (int epoch = 0; epoch < 5; epoch++) {
      for (int start = 0; start < 320; start += 32) {
        INDArray x = train.images().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + 32));
        INDArray y = train.labels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, start + 32));
        net.fit(new DataSet(x, y));
      }
    }
    return net;
  }

  /** Fraction of correct predictions on fresh data. */
  static double accuracy(ComputationGraph net, long seed) {
    Batch test = make(200, seed, false);
    INDArray out = net.outputSingle(test.images());
    INDArray pred = out.argMax(1);
    INDArray truth = test.labels().argMax(1);
    return pred.eq(truth).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).meanNumber().doubleValue();
  }
}

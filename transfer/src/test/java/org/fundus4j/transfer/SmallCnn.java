package org.fundus4j.transfer;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A conv-BN-pool-softmax graph for training-loop tests where ResNet-50 would only add minutes; also used by
 * the spark module's tests (through this module's test-jar).
 */
public final class SmallCnn {

  private SmallCnn() {}

  /** Two softmax outputs. */
  public static ComputationGraph build(long seed, int size) {
    return build(seed, size, 2);
  }

  /** {@code classes} softmax outputs in a layer named {@code "output"}; input {@code [N, 3, size, size]}. */
  public static ComputationGraph build(long seed, int size, int classes) {
    return build(seed, size, classes, true);
  }

  /** As {@link #build(long, int, int)}, without the BatchNorm layer (conv with ReLU, pool, softmax). */
  public static ComputationGraph withoutBatchNorm(long seed, int size, int classes) {
    return build(seed, size, classes, false);
  }

  private static ComputationGraph build(long seed, int size, int classes, boolean batchNorm) {
    var graph = new NeuralNetConfiguration.Builder()
        .seed(seed)
        .updater(new Adam(5e-3))
        .graphBuilder()
        .addInputs("input")
        .setInputTypes(InputType.convolutional(size, size, 3))
        .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(8).stride(2, 2)
            .activation(batchNorm ? Activation.IDENTITY : Activation.RELU).build(), "input");
    if (batchNorm) {
      graph.addLayer("bn", new BatchNormalization.Builder().activation(Activation.RELU).build(), "conv");
    }
    ComputationGraphConfiguration conf = graph
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), batchNorm ? "bn" : "conv")
        .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("output")
        .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }
}

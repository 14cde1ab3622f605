package org.fundus4j.networks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * A ResNet-50 {@link ComputationGraph} that computes exactly what torchvision's {@code resnet50} computes.
 *
 * <p>Layout is torchvision's ResNet-50 v1.5 (He et al. 2016, stride 2 on the 3x3 convolution of the
 * first bottleneck of stages 2-4): {@code conv1} 7x7/2 pad 3, {@code bn1}, ReLU, {@code maxpool} 3x3/2
 * pad 1, four stages of 3/4/6/3 bottlenecks, global average pooling, then a {@link Head}. Convolutions
 * use {@link ConvolutionMode#Truncate} with explicit padding, which gives PyTorch's output sizes
 * ({@code floor((H + 2p - k) / s) + 1}); the graph accepts {@code [N, 3, H, W]} for any {@code H, W}
 * divisible by 32 (e.g. 64, 224, 512, 1024). BatchNormalization uses eps 1e-5 and stores the running
 * variance itself ({@code useLogStd=false}), like {@code nn.BatchNorm2d}.
 *
 * <p>Layer names are torchvision's module names, so a PyTorch state-dict key is
 * {@code <layer name>.<parameter>}:
 * <table>
 *   <caption>DL4J layer to torchvision module</caption>
 *   <tr><th>DL4J layer</th><th>torchvision module</th><th>parameters</th></tr>
 *   <tr><td>{@code conv1}, {@code layerS.B.convK}, {@code layerS.0.downsample.0}</td><td>same</td>
 *       <td>{@code W [out,in,kh,kw]} = {@code weight}</td></tr>
 *   <tr><td>{@code bn1}, {@code layerS.B.bnK}, {@code layerS.0.downsample.1}, {@code fc.1}</td><td>same</td>
 *       <td>{@code gamma, beta, mean, var} = {@code weight, bias, running_mean, running_var}</td></tr>
 *   <tr><td>{@code fc.0} (paper head)</td><td>{@code fc.0}</td><td>{@code W [in,out]} = {@code weight}
 *       transposed, {@code b} = {@code bias}</td></tr>
 *   <tr><td>{@link #OUTPUT} ({@code "output"})</td><td>{@code fc} (linear and multi-label heads) or
 *       {@code fc.3} (paper head)</td><td>as {@code fc.0}</td></tr>
 * </table>
 * Parameter-free vertices are named {@code relu}, {@code maxpool}, {@link #FEATURES} ({@code avgpool},
 * output {@code [N, 2048]}), {@code layerS.B.relu1}, {@code layerS.B.relu2}, {@code layerS.B.add},
 * {@code layerS.B.relu} (the block output) and {@code fc.2} (ReLU of the paper head).
 * {@link ComputationGraph#output} returns probabilities (softmax, or sigmoid for multi-label);
 * {@link #logits(ComputationGraph, INDArray)} returns the values before that activation, which is what
 * a torchvision model returns.
 *
 * <pre>{@code
 * ComputationGraph net = ResNet50.build(Head.linear(5), 42);
 * LoadReport report = TorchWeights.load(net, TorchCheckpoint.read(Path.of("resnet50.pth")));
 * INDArray probabilities = net.outputSingle(images);   // images: [N, 3, 224, 224]
 * }</pre>
 */
public final class ResNet50 {

  /** Name of the graph input, {@code [N, 3, H, W]}. */
  public static final String INPUT = "input";
  /** Name of the output layer (torchvision {@code fc} or {@code fc.3}); outputs probabilities. */
  public static final String OUTPUT = "output";
  /** Name of the global average pooling vertex; its activations are the {@code [N, 2048]} features. */
  public static final String FEATURES = "avgpool";
  /** Width of the pooled features. */
  public static final int FEATURE_WIDTH = 2048;
  /**
   * Vertices whose outputs are the feature maps at strides 2, 4, 8, 16 and 32 (64, 256, 512, 1024 and
   * 2048 channels): the stem ReLU and the last block of each stage. The U-Net encoder taps these.
   */
  public static final List<String> STAGE_OUTPUTS =
      List.of("relu", "layer1.2.relu", "layer2.3.relu", "layer3.5.relu", "layer4.2.relu");

  /** BatchNorm epsilon used by torchvision. */
  public static final double BN_EPS = 1e-5;
  /** DL4J BatchNorm decay matching PyTorch's default momentum 0.1. */
  public static final double BN_DECAY = 0.9;
  /** Weight decay of the paper's optimiser (Adam, lr 1e-5, beta1 0.9, weight decay 1e-5). */
  public static final double PAPER_WEIGHT_DECAY = 1e-5;

  private static final int[] BLOCKS = {3, 4, 6, 3};
  private static final int[] WIDTHS = {64, 128, 256, 512};
  private static final int EXPANSION = 4;

  private ResNet50() {}

  /** Builds the network with the paper's optimiser, Adam(lr 1e-5, beta1 0.9) with weight decay 1e-5. */
  public static ComputationGraph build(Head head, long seed) {
    return build(head, seed, new Adam(1e-5, 0.9, 0.999, 1e-8));
  }

  /**
   * Builds and initialises the network.
   *
   * <p>Weight decay 1e-5 is applied as L2 regularisation added to the gradient ({@code l2}, {@code l2Bias}),
   * which is what PyTorch's {@code Adam(weight_decay=...)} does (not AdamW's decoupled decay).
   *
   * <p>With ND4J's oneDNN build the graph's convolution, BatchNorm and pooling layers get DL4J's native
   * helpers ({@link LayerHelpers#installIfOneDnn}), which DL4J would not use on its own: same function,
   * inference 4.8x and training 3.4x faster on CPU.
   *
   * @param head classifier on the pooled features
   * @param seed seed of the weight initialisation
   * @param updater optimiser, e.g. {@code new Adam(1e-5)}
   * @return an initialised graph with input {@link #INPUT} {@code [N,3,H,W]} and output {@link #OUTPUT}
   */
  public static ComputationGraph build(Head head, long seed, IUpdater updater) {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(updater, "updater");
    ComputationGraphConfiguration.GraphBuilder graph = baseConfig(seed, updater)
        .graphBuilder()
        .addInputs(INPUT);
    String last = addBackbone(graph, INPUT);
    graph.addLayer(FEATURES, new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), last);
    addHead(graph, head, FEATURES);
    graph.setOutputs(OUTPUT);
    graph.setInputTypes(InputType.convolutional(224, 224, 3));
    ComputationGraph net = new ComputationGraph(graph.build());
    net.init();
    LayerHelpers.installIfOneDnn(net);
    return net;
  }

  /**
   * The configuration shared by the networks of this module: float32, seeded, Truncate convolution mode,
   * He initialisation, L2 weight decay {@value #PAPER_WEIGHT_DECAY}.
   */
  public static NeuralNetConfiguration.Builder baseConfig(long seed, IUpdater updater) {
    return new NeuralNetConfiguration.Builder()
        .seed(seed)
        .dataType(DataType.FLOAT)
        .updater(updater)
        .weightInit(WeightInit.RELU)
        .l2(PAPER_WEIGHT_DECAY)
        .l2Bias(PAPER_WEIGHT_DECAY)
        .convolutionMode(ConvolutionMode.Truncate);
  }

  /**
   * Adds torchvision's ResNet-50 feature extractor ({@code conv1} ... {@code layer4}) to a graph.
   *
   * @param graph graph under construction
   * @param input name of an existing vertex giving {@code [N, 3, H, W]}
   * @return the name of the last vertex, {@code "layer4.2.relu"}, output {@code [N, 2048, H/32, W/32]}
   */
  public static String addBackbone(ComputationGraphConfiguration.GraphBuilder graph, String input) {
    graph.addLayer("conv1", conv(7, 2, 3, 64), input);
    graph.addLayer("bn1", batchNorm(), "conv1");
    graph.addLayer("relu", relu(), "bn1");
    graph.addLayer("maxpool", new SubsamplingLayer.Builder(PoolingType.MAX)
        .kernelSize(3, 3).stride(2, 2).padding(1, 1).build(), "relu");
    String previous = "maxpool";
    int inChannels = 64;
    for (int stage = 0; stage < BLOCKS.length; stage++) {
      for (int block = 0; block < BLOCKS[stage]; block++) {
        int stride = (stage > 0 && block == 0) ? 2 : 1;
        previous = bottleneck(graph, "layer" + (stage + 1) + "." + block, previous, inChannels,
            WIDTHS[stage], stride);
        inChannels = WIDTHS[stage] * EXPANSION;
      }
    }
    return previous;
  }

  /** Names of every layer and vertex before the head ({@code conv1} ... {@link #FEATURES}), in order. */
  public static List<String> backboneLayerNames() {
    List<String> names = new ArrayList<>(List.of("conv1", "bn1", "relu", "maxpool"));
    int inChannels = 64;
    for (int stage = 0; stage < BLOCKS.length; stage++) {
      for (int block = 0; block < BLOCKS[stage]; block++) {
        String p = "layer" + (stage + 1) + "." + block + ".";
        names.addAll(List.of(p + "conv1", p + "bn1", p + "relu1", p + "conv2", p + "bn2", p + "relu2",
            p + "conv3", p + "bn3"));
        int stride = (stage > 0 && block == 0) ? 2 : 1;
        if (stride != 1 || inChannels != WIDTHS[stage] * EXPANSION) {
          names.addAll(List.of(p + "downsample.0", p + "downsample.1"));
        }
        names.addAll(List.of(p + "add", p + "relu"));
        inChannels = WIDTHS[stage] * EXPANSION;
      }
    }
    names.add(FEATURES);
    return Collections.unmodifiableList(names);
  }

  /**
   * Returns the head's outputs before softmax/sigmoid, i.e. what {@code torchvision.models.resnet50}
   * returns, for {@code input [N, 3, H, W]}; result {@code [N, classes]}.
   */
  public static INDArray logits(ComputationGraph net, INDArray input) {
    var activations = net.feedForward(input, false);
    String beforeOutput = net.getConfiguration().getVertexInputs().get(OUTPUT).get(0);
    INDArray x = activations.get(beforeOutput);
    INDArray w = net.getLayer(OUTPUT).getParam("W");
    INDArray b = net.getLayer(OUTPUT).getParam("b");
    return x.mmul(w).addiRowVector(b);
  }

  /** Returns the pooled {@code [N, 2048]} features (the input of torchvision's {@code fc}). */
  public static INDArray features(ComputationGraph net, INDArray input) {
    return net.feedForward(input, false).get(FEATURES);
  }

  private static void addHead(ComputationGraphConfiguration.GraphBuilder graph, Head head, String input) {
    if (head instanceof Head.Linear linear) {
      graph.addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
          .nIn(FEATURE_WIDTH).nOut(linear.classes()).activation(Activation.SOFTMAX)
          .weightInit(WeightInit.XAVIER).build(), input);
    } else if (head instanceof Head.MultiLabel multiLabel) {
      graph.addLayer(OUTPUT, new OutputLayer.Builder(new SigmoidCrossEntropy())
          .nIn(FEATURE_WIDTH).nOut(multiLabel.labels()).activation(Activation.SIGMOID)
          .weightInit(WeightInit.XAVIER).build(), input);
    } else if (head instanceof Head.Paper paper) {
      graph.addLayer("fc.0", new DenseLayer.Builder().nIn(FEATURE_WIDTH).nOut(Head.PAPER_HIDDEN)
          .activation(Activation.IDENTITY).weightInit(WeightInit.XAVIER).build(), input);
      graph.addLayer("fc.1", batchNorm(), "fc.0");
      graph.addLayer("fc.2", relu(), "fc.1");
      graph.addLayer(OUTPUT, new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
          .nIn(Head.PAPER_HIDDEN).nOut(paper.classes()).activation(Activation.SOFTMAX)
          .weightInit(WeightInit.XAVIER).build(), "fc.2");
    } else {
      throw new IllegalArgumentException("Unknown head " + head);
    }
  }

  private static String bottleneck(ComputationGraphConfiguration.GraphBuilder graph, String name, String input,
      int inChannels, int width, int stride) {
    String p = name + ".";
    int outChannels = width * EXPANSION;
    graph.addLayer(p + "conv1", conv(1, 1, 0, width), input);
    graph.addLayer(p + "bn1", batchNorm(), p + "conv1");
    graph.addLayer(p + "relu1", relu(), p + "bn1");
    graph.addLayer(p + "conv2", conv(3, stride, 1, width), p + "relu1");
    graph.addLayer(p + "bn2", batchNorm(), p + "conv2");
    graph.addLayer(p + "relu2", relu(), p + "bn2");
    graph.addLayer(p + "conv3", conv(1, 1, 0, outChannels), p + "relu2");
    graph.addLayer(p + "bn3", batchNorm(), p + "conv3");
    String shortcut = input;
    if (stride != 1 || inChannels != outChannels) {
      graph.addLayer(p + "downsample.0", conv(1, stride, 0, outChannels), input);
      graph.addLayer(p + "downsample.1", batchNorm(), p + "downsample.0");
      shortcut = p + "downsample.1";
    }
    graph.addVertex(p + "add", new ElementWiseVertex(ElementWiseVertex.Op.Add), p + "bn3", shortcut);
    graph.addLayer(p + "relu", relu(), p + "add");
    return p + "relu";
  }

  /** A bias-free square convolution with explicit padding, as torchvision's {@code Conv2d(bias=False)}. */
  public static ConvolutionLayer conv(int kernel, int stride, int padding, int outChannels) {
    return new ConvolutionLayer.Builder(kernel, kernel)
        .stride(stride, stride)
        .padding(padding, padding)
        .convolutionMode(ConvolutionMode.Truncate)
        .nOut(outChannels)
        .hasBias(false)
        .activation(Activation.IDENTITY)
        .build();
  }

  /** BatchNorm with PyTorch's eps and momentum, storing the variance ({@code useLogStd=false}). */
  public static BatchNormalization batchNorm() {
    return new BatchNormalization.Builder()
        .eps(BN_EPS)
        .decay(BN_DECAY)
        .useLogStd(false)
        .build();
  }

  /** A parameter-free ReLU. */
  public static ActivationLayer relu() {
    return new ActivationLayer.Builder().activation(Activation.RELU).build();
  }
}

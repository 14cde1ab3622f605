package org.fundus4j.networks.unet;

import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.ResNet50;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * U-Nets for retinal vessel segmentation: input {@code [N, 3, H, W]}, output the vessel probability
 * {@code [N, 1, H, W]} (sigmoid), trained with {@link DiceLoss}.
 *
 * <p>{@link #classic(int, long)} is Ronneberger et al. (2015) with padded 3x3 convolutions, BatchNorm,
 * four 2x2 max-pool levels and nearest-neighbour 2x upsampling followed by a 3x3 convolution; {@code H, W}
 * must be divisible by 16. {@link #resnet50Encoder(long)} uses the torchvision-exact {@link ResNet50}
 * backbone as encoder (layer names {@code conv1} ... {@code layer4.2.conv3} as in torchvision, so
 * {@link org.fundus4j.networks.torch.TorchWeights#load} initialises it from ImageNet or foundation
 * weights; the {@code decoder.*} layers are then reported missing) and skip connections from
 * {@link ResNet50#STAGE_OUTPUTS}; {@code H, W} must be divisible by 32, e.g. 512 or 1024. With ND4J's oneDNN
 * build both get DL4J's native convolution, BatchNorm and pooling helpers ({@link LayerHelpers#installIfOneDnn}).
 *
 * <pre>{@code
 * ComputationGraph unet = UNet.resnet50Encoder(42);
 * TorchWeights.load(unet, TorchCheckpoint.read(Path.of("resnet50_512_Fundus.pth")));
 * unet.fit(new DataSet(images, masks));        // images [N,3,512,512], masks [N,1,512,512] in {0,1}
 * }</pre>
 */
public final class UNet {
  /** Name of the graph input. */
  public static final String INPUT = "input";
  /** Name of the output layer (sigmoid, Dice loss). */
  public static final String OUTPUT = "output";
  /** Default optimiser: Adam, learning rate 1e-3. */
  public static final double DEFAULT_LEARNING_RATE = 1e-3;

  private static final int[] RESNET_DECODER_WIDTHS = {256, 128, 64, 32, 16};

  private UNet() {}

  /** The classic U-Net whose first level has {@code base} channels (64 in the paper), Adam(1e-3). */
  public static ComputationGraph classic(int base, long seed) {
    return classic(base, seed, new Adam(DEFAULT_LEARNING_RATE));
  }

  /** The classic U-Net with the given optimiser; levels have base, 2, 4, 8 and 16 times base channels. */
  public static ComputationGraph classic(int base, long seed, IUpdater updater) {
    if (base < 1) {
      throw new IllegalArgumentException("U-Net base width must be >= 1, got " + base);
    }
    ComputationGraphConfiguration.GraphBuilder g = ResNet50.baseConfig(seed, updater).graphBuilder()
        .addInputs(INPUT);
    String[] skips = new String[4];
    String x = INPUT;
    for (int level = 0; level < 4; level++) {
      skips[level] = doubleConv(g, "enc" + (level + 1), x, base << level);
      g.addLayer("pool" + (level + 1), new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2)
          .stride(2, 2).build(), skips[level]);
      x = "pool" + (level + 1);
    }
    x = doubleConv(g, "bottleneck", x, base << 4);
    for (int level = 3; level >= 0; level--) {
      x = upAndMerge(g, "dec" + (level + 1), x, skips[level], base << level);
    }
    return finish(g, x, 16);
  }

  /** The U-Net with a torchvision ResNet-50 encoder, Adam(1e-3). */
  public static ComputationGraph resnet50Encoder(long seed) {
    return resnet50Encoder(seed, new Adam(DEFAULT_LEARNING_RATE));
  }

  /**
   * The U-Net with a torchvision ResNet-50 encoder and the given optimiser. The decoder upsamples from
   * stride 32 to 1 with 256, 128, 64, 32 and 16 channels, merging the encoder outputs at strides 16, 8,
   * 4 and 2.
   */
  public static ComputationGraph resnet50Encoder(long seed, IUpdater updater) {
    ComputationGraphConfiguration.GraphBuilder g = ResNet50.baseConfig(seed, updater).graphBuilder()
        .addInputs(INPUT);
    String x = ResNet50.addBackbone(g, INPUT);
    List<String> taps = ResNet50.STAGE_OUTPUTS;
    for (int i = 0; i < RESNET_DECODER_WIDTHS.length; i++) {
      int skipIndex = taps.size() - 2 - i;
      String skip = skipIndex >= 0 ? taps.get(skipIndex) : null;
      x = upAndMerge(g, "decoder.dec" + (RESNET_DECODER_WIDTHS.length - i - 1), x, skip, RESNET_DECODER_WIDTHS[i]);
    }
    return finish(g, x, 32);
  }

  private static ComputationGraph finish(ComputationGraphConfiguration.GraphBuilder g, String x, int divisor) {
    g.addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(1).hasBias(true)
        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY)
        .weightInit(WeightInit.XAVIER).build(), x);
    g.addLayer(OUTPUT, new CnnLossLayer.Builder().lossFunction(new DiceLoss())
        .activation(Activation.SIGMOID).build(), "head");
    g.setOutputs(OUTPUT);
    g.setInputTypes(InputType.convolutional(divisor * 4L, divisor * 4L, 3));
    ComputationGraph net = new ComputationGraph(g.build());
    net.init();
    LayerHelpers.installIfOneDnn(net);
    return net;
  }

  /** Upsample x2, 3x3 conv, concatenate the skip (if any), two conv-BN-ReLU; returns the last vertex. */
  private static String upAndMerge(ComputationGraphConfiguration.GraphBuilder g, String name, String input,
      String skip, int channels) {
    g.addLayer(name + ".up", new Upsampling2D.Builder(2).build(), input);
    g.addLayer(name + ".upconv", conv3x3(channels), name + ".up");
    String merged = name + ".upconv";
    if (skip != null) {
      g.addVertex(name + ".concat", new MergeVertex(), name + ".upconv", skip);
      merged = name + ".concat";
    }
    return doubleConv(g, name, merged, channels);
  }

  /** Two 3x3 conv - BatchNorm - ReLU units; returns the name of the last ReLU. */
  private static String doubleConv(ComputationGraphConfiguration.GraphBuilder g, String name, String input,
      int channels) {
    String x = input;
    for (int i = 1; i <= 2; i++) {
      g.addLayer(name + ".conv" + i, ResNet50.conv(3, 1, 1, channels), x);
      g.addLayer(name + ".bn" + i, ResNet50.batchNorm(), name + ".conv" + i);
      g.addLayer(name + ".relu" + i, ResNet50.relu(), name + ".bn" + i);
      x = name + ".relu" + i;
    }
    return x;
  }

  private static ConvolutionLayer conv3x3(int channels) {
    return new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(channels).hasBias(true)
        .convolutionMode(ConvolutionMode.Truncate).activation(Activation.RELU).build();
  }
}

package org.fundus4j.benchmarks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.unet.UNet;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The DL4J configurations of ResNet-50 that {@link Dl4jTrainingProfile} compares: fundus4j's torchvision-exact
 * graph ({@link ResNet50}) with one DL4J option changed at a time, and the layout of DL4J's zoo
 * {@code ResNet50}, rebuilt here because {@code deeplearning4j-zoo} is not a dependency.
 *
 * <p>Every variant has 2 classes, Adam(1e-5) and L2 1e-5, so training steps differ only in the option.
 * {@code ours-*} variants are derived from the configuration {@link ResNet50#build} makes, by editing its layer
 * configurations, so they cannot drift from it.
 */
final class Dl4jVariants {
  /**
   * One configuration. {@code sameFunction}: computes torchvision's function with the same parameters;
   * {@code segmentation}: a U-Net, trained on a {@code [N,1,H,W]} mask instead of 2-class labels.
   */
  record Variant(String key, String description, boolean sameFunction, boolean nhwc, boolean segmentation,
      Runnable before, Runnable after, Builder builder) {
    ComputationGraph build(int size) {
      return builder.build(size);
    }
  }

  @FunctionalInterface
  interface Builder {
    ComputationGraph build(int size);
  }

  private static final Runnable NOTHING = () -> { };

  /** Keys of every variant, in table order. */
  static final Map<String, Variant> ALL = new LinkedHashMap<>();

  static {
    add(new Variant("ours", "fundus4j ResNet50 as DL4J runs it by default (no layer helpers)", true, false,
        false, NOTHING, NOTHING, size -> ours(size, c -> { }, false)));
    add(new Variant("ours+bias", "conv layers with a bias (hasBias true)", false, false, false, NOTHING, NOTHING,
        size -> ours(size, l -> {
          if (l instanceof ConvolutionLayer conv) {
            conv.setHasBias(true);
          }
        }, false)));
    add(new Variant("ours+logstd", "BatchNormalization useLogStd(true) (DL4J's default)", true, false, false,
        NOTHING, NOTHING, size -> ours(size, l -> {
          if (l instanceof BatchNormalization bn) {
            bn.setUseLogStd(true);
          }
        }, false)));
    add(new Variant("ours+same", "ConvolutionMode.Same, no explicit padding (convs and max-pool)", false, false,
        false, NOTHING, NOTHING, size -> ours(size, l -> {
          if (l instanceof ConvolutionLayer conv) {
            conv.setConvolutionMode(ConvolutionMode.Same);
            conv.setPadding(new int[] {0, 0});
          } else if (l instanceof SubsamplingLayer pool) {
            pool.setConvolutionMode(ConvolutionMode.Same);
            pool.setPadding(new int[] {0, 0});
          }
        }, false)));
    add(new Variant("ours+nhwc", "CNN2DFormat.NHWC for every layer (input [N,H,W,C])", true, true, false, NOTHING,
        NOTHING, size -> ours(size, Dl4jVariants::nhwc, false)));
    add(new Variant("ours+ws-none", "WorkspaceMode.NONE for training and inference", true, false, false, NOTHING,
        NOTHING, size -> workspaces(ours(size, c -> { }, false), WorkspaceMode.NONE)));
    add(new Variant("ours+helpers", "LayerHelpers.install: DL4J's native conv/BN/pool helpers (ResNet50.build "
        + "does this when ND4J has oneDNN)", true, false, false, NOTHING, NOTHING, size -> ours(size, c -> { }, true)));
    add(new Variant("ours+helpers+nhwc", "helpers and NHWC", true, true, false, NOTHING, NOTHING,
        size -> ours(size, Dl4jVariants::nhwc, true)));
    add(new Variant("ours+helpers+ws-none", "helpers and WorkspaceMode.NONE", true, false, false, NOTHING,
        NOTHING, size -> workspaces(ours(size, c -> { }, true), WorkspaceMode.NONE)));
    add(new Variant("zoo", "DL4J zoo ResNet50 layout (v1, stage 2 at stride 2: fewer FLOPs), default path",
        false, false, false, NOTHING, NOTHING, size -> zoo(size, 2, false)));
    add(new Variant("zoo-stride1", "zoo layout with torchvision's stage strides (stage 2 at stride 1)", false,
        false, false, NOTHING, NOTHING, size -> zoo(size, 1, false)));
    add(new Variant("zoo+helpers", "zoo layout with LayerHelpers.install", false, false, false, NOTHING, NOTHING,
        size -> zoo(size, 2, true)));
    add(new Variant("unet", "UNet.resnet50Encoder (ResNet-50 encoder, Dice loss), default path", false, false,
        true, NOTHING, NOTHING, size -> unet(false)));
    add(new Variant("unet+helpers", "UNet.resnet50Encoder with LayerHelpers.install", false, false,
        true, NOTHING, NOTHING, size -> unet(true)));
  }

  private Dl4jVariants() {}

  private static void add(Variant v) {
    ALL.put(v.key(), v);
  }

  /** The variants named by {@code keys}; unknown keys are an error listing the known ones. */
  static List<Variant> select(List<String> keys) {
    return keys.stream().map(k -> {
      Variant v = ALL.get(k);
      if (v == null) {
        throw new IllegalArgumentException("Unknown variant '" + k + "'; known: " + String.join(",", ALL.keySet()));
      }
      return v;
    }).toList();
  }

  /**
   * {@link ResNet50#build} with a linear 2-class head, its layer configurations edited, re-initialised; with
   * or without {@link LayerHelpers}.
   */
  static ComputationGraph ours(int size, Consumer<Layer> edit, boolean helpers) {
    ComputationGraph built = ResNet50.build(Head.linear(2), 0);
    ComputationGraphConfiguration conf = built.getConfiguration().clone();
    built.close();
    for (GraphVertex vertex : conf.getVertices().values()) {
      if (vertex instanceof LayerVertex lv) {
        edit.accept(lv.getLayerConf().getLayer());
      }
    }
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    if (helpers) {
      LayerHelpers.install(net);
    } else {
      LayerHelpers.remove(net);
    }
    return net;
  }

  private static ComputationGraph unet(boolean helpers) {
    ComputationGraph net = UNet.resnet50Encoder(0);
    if (!helpers) {
      LayerHelpers.remove(net);
    }
    return net;
  }

  private static void nhwc(Layer layer) {
    if (layer instanceof ConvolutionLayer conv) {
      conv.setCnn2dDataFormat(CNN2DFormat.NHWC);
    } else if (layer instanceof BatchNormalization bn) {
      bn.setCnn2DFormat(CNN2DFormat.NHWC);
    } else if (layer instanceof SubsamplingLayer pool) {
      pool.setCnn2dDataFormat(CNN2DFormat.NHWC);
    } else if (layer instanceof GlobalPoolingLayer global) {
      global.setPoolingDimensions(new int[] {1, 2});
    }
  }

  private static ComputationGraph workspaces(ComputationGraph net, WorkspaceMode mode) {
    net.getConfiguration().setTrainingWorkspaceMode(mode);
    net.getConfiguration().setInferenceWorkspaceMode(mode);
    return net;
  }

  /**
   * The layout of {@code org.deeplearning4j.zoo.model.ResNet50} (1.0.0-M2.1): zero-padding 3 then a 7x7/2
   * convolution, 3x3/2 max-pool without padding, bottlenecks with the stride on the first 1x1 convolution and
   * ConvolutionMode.Same on the 3x3, stage 2 at stride {@code stage2Stride} (the zoo uses 2), convolutions
   * with bias, DL4J's default BatchNorm, a 3x3 max-pool where torchvision averages, then the output layer.
   * Optimiser, regularisation and head as in {@link ResNet50#build}, so only the layout differs.
   */
  static ComputationGraph zoo(int size, int stage2Stride, boolean helpers) {
    ComputationGraphConfiguration.GraphBuilder g = ResNet50.baseConfig(0, new Adam(1e-5, 0.9, 0.999, 1e-8))
        .activation(Activation.IDENTITY)
        .graphBuilder()
        .addInputs("input")
        .addLayer("stem-zero", new ZeroPaddingLayer.Builder(3, 3).build(), "input")
        .addLayer("stem-cnn1", zooConv(7, 2, 64, ConvolutionMode.Truncate), "stem-zero")
        .addLayer("stem-batch1", new BatchNormalization.Builder().build(), "stem-cnn1")
        .addLayer("stem-act1", ResNet50.relu(), "stem-batch1")
        .addLayer("stem-maxpool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
            .build(), "stem-act1");
    int[] blocks = {3, 4, 6, 3};
    int[] widths = {64, 128, 256, 512};
    String previous = "stem-maxpool1";
    for (int stage = 0; stage < blocks.length; stage++) {
      for (int block = 0; block < blocks[stage]; block++) {
        int stride = block > 0 ? 1 : stage == 0 ? stage2Stride : 2;
        previous = zooBottleneck(g, "res" + (stage + 2) + (char) ('a' + block), previous, widths[stage], stride,
            block == 0);
      }
    }
    g.addLayer("avgpool", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).build(), previous)
        .addLayer("output", new OutputLayer.Builder(LossFunctions.LossFunction.NEGATIVELOGLIKELIHOOD).nOut(2)
            .activation(Activation.SOFTMAX).build(), "avgpool")
        .setOutputs("output")
        .setInputTypes(InputType.convolutional(size, size, 3));
    ComputationGraph net = new ComputationGraph(g.build());
    net.init();
    if (helpers) {
      LayerHelpers.install(net);
    }
    return net;
  }

  private static String zooBottleneck(ComputationGraphConfiguration.GraphBuilder g, String name, String input,
      int width, int stride, boolean projection) {
    g.addLayer(name + "-2a", zooConv(1, stride, width, ConvolutionMode.Truncate), input)
        .addLayer(name + "-bn2a", new BatchNormalization.Builder().build(), name + "-2a")
        .addLayer(name + "-act2a", ResNet50.relu(), name + "-bn2a")
        .addLayer(name + "-2b", zooConv(3, 1, width, ConvolutionMode.Same), name + "-act2a")
        .addLayer(name + "-bn2b", new BatchNormalization.Builder().build(), name + "-2b")
        .addLayer(name + "-act2b", ResNet50.relu(), name + "-bn2b")
        .addLayer(name + "-2c", zooConv(1, 1, width * 4, ConvolutionMode.Truncate), name + "-act2b")
        .addLayer(name + "-bn2c", new BatchNormalization.Builder().build(), name + "-2c");
    String shortcut = input;
    if (projection) {
      g.addLayer(name + "-1", zooConv(1, stride, width * 4, ConvolutionMode.Truncate), input)
          .addLayer(name + "-bn1", new BatchNormalization.Builder().build(), name + "-1");
      shortcut = name + "-bn1";
    }
    g.addVertex(name + "-add", new ElementWiseVertex(ElementWiseVertex.Op.Add), name + "-bn2c", shortcut)
        .addLayer(name, ResNet50.relu(), name + "-add");
    return name;
  }

  private static ConvolutionLayer zooConv(int kernel, int stride, int outChannels, ConvolutionMode mode) {
    return new ConvolutionLayer.Builder(kernel, kernel).stride(stride, stride).nOut(outChannels)
        .convolutionMode(mode).activation(Activation.IDENTITY).build();
  }

  /**
   * Multiply-accumulates per image of every convolution and dense layer for a square {@code size} input:
   * {@code H_out * W_out * C_out * C_in * k_h * k_w} per convolution, {@code n_in * n_out} per dense layer.
   */
  static double macsPerImage(ComputationGraph net, int size, boolean nhwc) {
    ComputationGraphConfiguration conf = net.getConfiguration();
    InputType in = InputType.convolutional(size, size, 3, nhwc ? CNN2DFormat.NHWC : CNN2DFormat.NCHW);
    Map<String, InputType> types = conf.getLayerActivationTypes(in);
    double macs = 0;
    for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
      if (!(e.getValue() instanceof LayerVertex lv)) {
        continue;
      }
      Layer layer = lv.getLayerConf().getLayer();
      InputType type = types.get(e.getKey());
      if (layer instanceof ConvolutionLayer conv && type instanceof InputType.InputTypeConvolutional out) {
        macs += (double) out.getHeight() * out.getWidth() * conv.getNOut() * conv.getNIn()
            * conv.getKernelSize()[0] * conv.getKernelSize()[1];
      } else if (layer instanceof FeedForwardLayer dense && !(layer instanceof BatchNormalization)
          && !(layer instanceof ConvolutionLayer)) {
        macs += (double) dense.getNIn() * dense.getNOut();
      }
    }
    return macs;
  }
}

package org.fundus4j.transfer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.torch.LoadReport;
import org.fundus4j.networks.torch.StateDict;
import org.fundus4j.networks.torch.TorchCheckpoint;
import org.fundus4j.networks.torch.TorchWeights;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Puts a start's backbone weights into a ResNet-50 whose head is new: torchvision's ImageNet
 * {@code .pth} (1000-class {@code fc}), the paper's released {@code .pth} (2048-512-BN-ReLU-2 head) or any
 * other torchvision-layout checkpoint.
 *
 * <pre>{@code
 * ComputationGraph model = ResNet50.build(Head.multiLabel(7), 42);
 * StartWeights.loadBackbone(model, Path.of("resnet50_512_ImageNet+Fundus.pth"));
 * }</pre>
 */
public final class StartWeights {

  private StartWeights() {}

  /**
   * Loads the backbone tensors of a PyTorch checkpoint into {@code target}, leaving its head as it is.
   *
   * @throws IOException when the file cannot be read or lacks backbone tensors (the message lists them)
   */
  public static void loadBackbone(ComputationGraph target, Path checkpoint) throws IOException {
    StateDict sd = TorchCheckpoint.read(checkpoint);
    Head head = TorchWeights.detectHead(sd).orElseThrow(() -> new IOException("Checkpoint " + checkpoint
        + " has neither 'fc.weight' nor 'fc.3.weight'; is it a torchvision ResNet-50 state dict?"));
    ComputationGraph source = ResNet50.build(head, 0);
    LoadReport report = TorchWeights.load(source, sd);
    if (!report.missingKeys().isEmpty()) {
      throw new IOException("Checkpoint " + checkpoint + " lacks tensors of a torchvision ResNet-50: "
          + report.missingKeys());
    }
    copyBackbone(source, target);
  }

  /**
   * Loads a start's backbone from any of the places fundus4j keeps one: a PyTorch {@code .pth} (torchvision's
   * or the paper's), a fundus4j model folder ({@code fundus pretrain}/{@code transfer} output) or a DL4J
   * {@code model.zip} of a ResNet-50.
   *
   * @throws IllegalArgumentException naming the file when it is none of these
   */
  public static void loadAny(ComputationGraph target, Path weights) throws IOException {
    boolean folder = Files.isDirectory(weights);
    if (!folder && !weights.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
      loadBackbone(target, weights);
      return;
    }
    Path zip = folder ? weights.resolve(SavedModel.WEIGHTS) : weights;
    if (!Files.isRegularFile(zip)) {
      throw new IllegalArgumentException("weights " + weights + ": no " + SavedModel.WEIGHTS
          + " in this folder; give a 'fundus pretrain' or 'fundus transfer' output folder or a .pth file");
    }
    ComputationGraph from;
    try {
      from = ModelSerializer.restoreComputationGraph(zip.toFile(), false);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("weights " + zip + ": not a DL4J model (" + e.getMessage() + ")", e);
    }
    for (String layer : List.of("conv1", "layer4.2.conv3")) {
      if (from.getLayer(layer) == null) {
        throw new IllegalArgumentException("weights " + zip + ": not a ResNet-50 (no layer '" + layer + "')");
      }
    }
    copyBackbone(from, target);
  }

  /** Copies every backbone parameter (all layers before the head) from {@code from} to {@code to}. */
  public static void copyBackbone(ComputationGraph from, ComputationGraph to) {
    for (String name : ResNet50.backboneLayerNames()) {
      org.deeplearning4j.nn.api.Layer layer = from.getLayer(name);
      if (layer == null) {
        continue; // a parameter-free vertex such as a residual addition
      }
      for (Map.Entry<String, INDArray> p : layer.paramTable().entrySet()) {
        to.getLayer(name).getParam(p.getKey()).assign(p.getValue());
      }
    }
  }
}

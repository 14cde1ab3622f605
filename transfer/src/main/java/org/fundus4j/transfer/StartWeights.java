package org.fundus4j.transfer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
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

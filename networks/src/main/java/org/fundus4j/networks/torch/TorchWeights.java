package org.fundus4j.networks.torch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BaseOutputLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a PyTorch state dict into a DL4J graph whose layer names are PyTorch module names.
 *
 * <p>Each DL4J layer named {@code m} takes the keys {@code m.weight}, {@code m.bias} (convolution:
 * OIHW as is; dense/output layer: the transpose of {@code nn.Linear}'s {@code [out, in]} weight), and for
 * BatchNormalization {@code m.weight, m.bias, m.running_mean, m.running_var} ({@code m.num_batches_tracked}
 * is accepted and ignored). The layer named {@code "output"} maps to {@code fc.3} when the graph has the
 * paper head (a layer {@code fc.0}) and to {@code fc} otherwise, as in
 * {@link org.fundus4j.networks.ResNet50}. Missing and unexpected keys are reported like PyTorch's
 * {@code load_state_dict(strict=False)}; a shape mismatch fails before any weight is changed.
 *
 * <pre>{@code
 * LoadReport r = TorchWeights.load(net, TorchCheckpoint.read(Path.of("resnet50.pth")));
 * if (!r.isExact()) log.warn("missing {} unexpected {}", r.missingKeys(), r.unexpectedKeys());
 * }</pre>
 */
public final class TorchWeights {
  private static final Logger LOG = LoggerFactory.getLogger(TorchWeights.class);
  private static final String OUTPUT = "output";

  private TorchWeights() {}

  /**
   * Loads every matching tensor into the graph's parameters.
   *
   * @throws IllegalArgumentException on a shape mismatch, naming the key and both shapes; no weight is
   *     changed in that case
   */
  public static LoadReport load(ComputationGraph graph, StateDict sd) {
    return match(graph, sd, true);
  }

  /**
   * Reports what {@link #load} would do without changing the graph (for {@code fundus weights info}).
   *
   * @throws IllegalArgumentException on a shape mismatch, naming the key and both shapes
   */
  public static LoadReport check(ComputationGraph graph, StateDict sd) {
    return match(graph, sd, false);
  }

  /**
   * The torchvision ResNet-50 head a state dict was trained with: {@link Head#paper} when it has
   * {@code fc.0.weight} and {@code fc.3.weight}, {@link Head#linear} when it has {@code fc.weight} (a
   * sigmoid multi-label head has the same tensors, so the caller decides), empty otherwise.
   */
  public static Optional<Head> detectHead(StateDict sd) {
    if (sd.contains("fc.0.weight") && sd.contains("fc.3.weight")) {
      return Optional.of(Head.paper((int) sd.shape("fc.3.weight")[0]));
    }
    if (sd.contains("fc.weight") && sd.shape("fc.weight").length == 2 && sd.shape("fc.weight")[0] >= 2) {
      return Optional.of(Head.linear((int) sd.shape("fc.weight")[0]));
    }
    return Optional.empty();
  }

  private static LoadReport match(ComputationGraph graph, StateDict sd, boolean assign) {
    List<Target> targets = targets(graph);
    Set<String> known = new LinkedHashSet<>();
    List<String> missing = new ArrayList<>();
    List<Target> present = new ArrayList<>();
    for (Target t : targets) {
      known.add(t.key);
      if (t.optional) {
        continue;
      }
      if (!sd.contains(t.key)) {
        missing.add(t.key);
        continue;
      }
      long[] actual = sd.shape(t.key);
      if (!Arrays.equals(actual, t.torchShape)) {
        throw new IllegalArgumentException("Shape mismatch for '" + t.key + "': the checkpoint has "
            + Arrays.toString(actual) + ", layer '" + t.layer + "' expects " + Arrays.toString(t.torchShape));
      }
      present.add(t);
    }
    List<String> unexpected = sd.keys().stream().filter(k -> !known.contains(k)).toList();
    if (!assign) {
      return new LoadReport(missing, unexpected);
    }
    for (Target t : present) {
      INDArray value = sd.get(t.key);
      INDArray param = graph.getLayer(t.layer).getParam(t.param);
      if (t.transpose) {
        value = value.transpose();
      }
      param.assign(value.castTo(param.dataType()).reshape(param.shape()));
    }
    LOG.info("Loaded {} tensors into {} layers; {} missing, {} unexpected", present.size(),
        graph.getLayers().length, missing.size(), unexpected.size());
    return new LoadReport(missing, unexpected);
  }

  /** Every state-dict key the graph can take, with the DL4J layer and parameter it fills. */
  public static Map<String, long[]> expectedKeys(ComputationGraph graph) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Target t : targets(graph)) {
      if (!t.optional) {
        out.put(t.key, t.torchShape.clone());
      }
    }
    return out;
  }

  /** The PyTorch module name of a DL4J layer of this graph. */
  public static String torchModuleName(ComputationGraph graph, String layerName) {
    if (layerName.equals(OUTPUT)) {
      return graph.getConfiguration().getVertices().containsKey("fc.0") ? "fc.3" : "fc";
    }
    return layerName;
  }

  private static List<Target> targets(ComputationGraph graph) {
    List<Target> out = new ArrayList<>();
    for (Layer layer : graph.getLayers()) {
      org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
      String name = conf.getLayerName();
      String m = torchModuleName(graph, name) + ".";
      if (conf instanceof BatchNormalization bn) {
        if (layer.paramTable().containsKey("log10stdev")) {
          throw new IllegalArgumentException("BatchNormalization layer '" + name + "' stores log10(std); "
              + "build it with useLogStd(false) to load PyTorch running_var");
        }
        long c = bn.getNOut();
        out.add(new Target(m + "weight", name, "gamma", new long[] {c}, false, false));
        out.add(new Target(m + "bias", name, "beta", new long[] {c}, false, false));
        out.add(new Target(m + "running_mean", name, "mean", new long[] {c}, false, false));
        out.add(new Target(m + "running_var", name, "var", new long[] {c}, false, false));
        out.add(new Target(m + "num_batches_tracked", name, null, new long[0], false, true));
      } else if (conf.getClass() == ConvolutionLayer.class) {
        ConvolutionLayer cl = (ConvolutionLayer) conf;
        int[] k = cl.getKernelSize();
        out.add(new Target(m + "weight", name, "W", new long[] {cl.getNOut(), cl.getNIn(), k[0], k[1]}, false,
            false));
        if (cl.hasBias()) {
          out.add(new Target(m + "bias", name, "b", new long[] {cl.getNOut()}, false, false));
        }
      } else if (conf instanceof DenseLayer || conf instanceof BaseOutputLayer) {
        org.deeplearning4j.nn.conf.layers.FeedForwardLayer ff = (org.deeplearning4j.nn.conf.layers.FeedForwardLayer) conf;
        out.add(new Target(m + "weight", name, "W", new long[] {ff.getNOut(), ff.getNIn()}, true, false));
        if (layer.paramTable().containsKey("b")) {
          out.add(new Target(m + "bias", name, "b", new long[] {ff.getNOut()}, false, false));
        }
      } else if (layer.numParams() > 0) {
        for (String p : layer.paramTable().keySet()) {
          out.add(new Target(m + p, name, p, layer.getParam(p).shape(), false, false));
        }
      }
    }
    return out;
  }

  private record Target(String key, String layer, String param, long[] torchShape, boolean transpose,
      boolean optional) {}
}

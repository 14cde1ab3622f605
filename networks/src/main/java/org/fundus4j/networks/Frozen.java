package org.fundus4j.networks;

import org.deeplearning4j.nn.conf.graph.FrozenVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayer;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;

/**
 * What is inside DL4J's frozen wrappers ({@code FrozenVertex}, {@code FrozenLayer}, {@code FrozenLayerWithBackprop}),
 * which {@code TransferLearning} puts around the layers of a linear probe's backbone: code that reads or rebuilds a
 * graph's configuration (the ONNX export, quantisation-aware training, the layer helpers, BatchNorm re-estimation)
 * looks through them here. ({@code evaluation}'s Grad-CAM, which does not depend on this module, has its own.)
 *
 * <pre>{@code
 * Layer conv = Frozen.unwrap(layerVertex.getLayerConf().getLayer());   // the ConvolutionLayer inside
 * }</pre>
 */
public final class Frozen {
  private Frozen() {}

  /** The layer configuration inside any nesting of frozen wrappers, or {@code layer} itself. */
  public static Layer unwrap(Layer layer) {
    Layer l = layer;
    while (true) {
      if (l instanceof FrozenLayer f) {
        l = f.getLayer();
      } else if (l instanceof FrozenLayerWithBackprop f) {
        l = f.getUnderlying();
      } else {
        return l;
      }
    }
  }

  /** The vertex configuration inside any nesting of {@code FrozenVertex}, or {@code vertex} itself. */
  public static GraphVertex unwrap(GraphVertex vertex) {
    GraphVertex v = vertex;
    while (v instanceof FrozenVertex f) {
      v = f.getUnderlying();
    }
    return v;
  }

  /** The layer inside any nesting of DL4J's frozen layer implementations, or {@code layer} itself. */
  public static org.deeplearning4j.nn.api.Layer unwrap(org.deeplearning4j.nn.api.Layer layer) {
    org.deeplearning4j.nn.api.Layer l = layer;
    while (true) {
      if (l instanceof org.deeplearning4j.nn.layers.FrozenLayer f) {
        l = f.getInsideLayer();
      } else if (l instanceof org.deeplearning4j.nn.layers.FrozenLayerWithBackprop f) {
        l = f.getInsideLayer();
      } else {
        return l;
      }
    }
  }
}

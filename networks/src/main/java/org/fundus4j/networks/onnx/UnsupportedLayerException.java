package org.fundus4j.networks.onnx;

/**
 * Thrown when a ComputationGraph contains a vertex, layer, setting or activation that
 * {@link OnnxExporter} cannot translate; the message names the vertex and the DL4J class.
 */
public final class UnsupportedLayerException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String vertexName;

  UnsupportedLayerException(String vertexName, String message) {
    super("Cannot export vertex '" + vertexName + "' to ONNX: " + message);
    this.vertexName = vertexName;
  }

  /** Name of the offending ComputationGraph vertex. */
  public String vertexName() {
    return vertexName;
  }
}

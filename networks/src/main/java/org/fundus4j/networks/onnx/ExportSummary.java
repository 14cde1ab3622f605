package org.fundus4j.networks.onnx;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What {@link OnnxExporter} wrote: the file, its operator set, graph inputs/outputs, the number of
 * parameter values (float32 initializers, and for int8 exports the int8 weights, int32 biases and their
 * scales and zero points; not shape constants) and how many nodes of each ONNX operator the graph holds.
 */
public record ExportSummary(Path file, int opset, List<String> inputNames, List<String> outputNames,
    long parameterCount, Map<String, Integer> opCounts, long fileBytes) {
  public ExportSummary {
    inputNames = List.copyOf(inputNames);
    outputNames = List.copyOf(outputNames);
    opCounts = Map.copyOf(opCounts);
  }
}

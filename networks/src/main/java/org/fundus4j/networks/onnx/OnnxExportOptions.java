package org.fundus4j.networks.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings for {@link OnnxExporter}: operator set, graph name, documentation and model-card
 * metadata written to {@code ModelProto.metadata_props}.
 *
 * <p>The metadata is where preprocessing belongs, so that a consumer of the {@code .onnx} file
 * knows how to feed it, for example:
 * <pre>{@code
 * OnnxExportOptions options = OnnxExportOptions.defaults()
 *     .withMetadata("normalization.mean", "0.485,0.456,0.406")
 *     .withMetadata("normalization.std", "0.229,0.224,0.225")
 *     .withMetadata("input.layout", "NCHW RGB float32 in [0,1] before normalization");
 * }</pre>
 *
 * @param opset ONNX operator set of the default domain, 13 to 17 (the exporter emits only
 *     operators whose definitions do not change in that range)
 * @param graphName {@code GraphProto.name}
 * @param docString free text for {@code ModelProto.doc_string}; may be empty
 * @param metadata key/value pairs for {@code ModelProto.metadata_props}, in insertion order
 * @param additionalOutputs names of further vertices exposed as graph outputs after the network's
 *     own, e.g. ResNet-50's pooled features {@code "avgpool"} for linear probes
 * @param int8 activation ranges for a static int8 export in QDQ form ({@code null}: float32), see
 *     {@link #withInt8(ActivationRanges)}
 * @param int8Float tensors an int8 export leaves in float32 (names from {@link OnnxExporter#quantizedTensors}),
 *     see {@link #withInt8(ActivationRanges, java.util.Collection)}
 */
public record OnnxExportOptions(int opset, String graphName, String docString,
    Map<String, String> metadata, List<String> additionalOutputs, ActivationRanges int8,
    java.util.Set<String> int8Float) {

  /** Lowest supported operator set (Resize-13, Softmax-13 with per-axis semantics, Pad-13). */
  public static final int MIN_OPSET = 13;
  /** Highest supported operator set (Resize and ReduceMean change at 18). */
  public static final int MAX_OPSET = 17;

  public OnnxExportOptions {
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new IllegalArgumentException("ONNX opset must be " + MIN_OPSET + ".." + MAX_OPSET
          + ", got " + opset);
    }
    Objects.requireNonNull(graphName, "graphName");
    Objects.requireNonNull(docString, "docString");
    if (graphName.isBlank()) {
      throw new IllegalArgumentException("ONNX graph name must not be blank");
    }
    metadata.forEach((k, v) -> {
      if (k == null || k.isBlank() || v == null) {
        throw new IllegalArgumentException("Metadata keys must be non-blank and values non-null: '"
            + k + "' -> '" + v + "'");
      }
    });
    metadata = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    additionalOutputs = List.copyOf(additionalOutputs);
    int8Float = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(int8Float));
    if (int8 == null && !int8Float.isEmpty()) {
      throw new IllegalArgumentException("Tensors kept in float32 " + int8Float + " need an int8 export (withInt8)");
    }
  }

  /** Opset 13, graph name {@code "fundus4j"}, no documentation or metadata. */
  public static OnnxExportOptions defaults() {
    return new OnnxExportOptions(MIN_OPSET, "fundus4j", "", Map.of(), List.of(), null, java.util.Set.of());
  }

  public OnnxExportOptions withOpset(int newOpset) {
    return new OnnxExportOptions(newOpset, graphName, docString, metadata, additionalOutputs, int8, int8Float);
  }

  public OnnxExportOptions withGraphName(String newName) {
    return new OnnxExportOptions(opset, newName, docString, metadata, additionalOutputs, int8, int8Float);
  }

  public OnnxExportOptions withDocString(String newDoc) {
    return new OnnxExportOptions(opset, graphName, newDoc, metadata, additionalOutputs, int8, int8Float);
  }

  /** Returns options with one more (or a replaced) metadata entry. */
  public OnnxExportOptions withMetadata(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(metadata);
    copy.put(key, value);
    return new OnnxExportOptions(opset, graphName, docString, copy, additionalOutputs, int8, int8Float);
  }

  /** Metadata key of the per-channel mean subtracted before the network, comma-separated. */
  public static final String NORMALIZATION_MEAN = "normalization.mean";
  /** Metadata key of the per-channel standard deviation divided by, comma-separated. */
  public static final String NORMALIZATION_STD = "normalization.std";
  /** Metadata key describing the expected input tensor. */
  public static final String INPUT_LAYOUT = "input.layout";

  /**
   * Records the preprocessing the model expects: RGB in [0, 1], then {@code (x - mean) / std} per
   * channel, NCHW float32 (torchvision's convention; ImageNet statistics are
   * {@code mean = 0.485,0.456,0.406}, {@code std = 0.229,0.224,0.225}).
   */
  public OnnxExportOptions withNormalization(double[] mean, double[] std) {
    if (mean.length != std.length || mean.length == 0) {
      throw new IllegalArgumentException("Normalisation needs one mean and one std per channel, got "
          + mean.length + " means and " + std.length + " stds");
    }
    for (double s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("Normalisation std must be > 0, got " + java.util.Arrays.toString(std));
      }
    }
    return withMetadata(NORMALIZATION_MEAN, join(mean)).withMetadata(NORMALIZATION_STD, join(std))
        .withMetadata(INPUT_LAYOUT, "NCHW float32, RGB scaled to [0,1], then (x - mean) / std per channel");
  }

  private static String join(double[] values) {
    StringBuilder sb = new StringBuilder();
    for (double v : values) {
      sb.append(sb.length() == 0 ? "" : ",").append(v);
    }
    return sb.toString();
  }

  /** Returns options that also expose the named vertices as graph outputs. */
  public OnnxExportOptions withAdditionalOutputs(String... vertexNames) {
    java.util.List<String> all = new java.util.ArrayList<>(additionalOutputs);
    all.addAll(java.util.Arrays.asList(vertexNames));
    return new OnnxExportOptions(opset, graphName, docString, metadata, all, int8, int8Float);
  }

  /**
   * Returns options for a static int8 export in ONNX's QDQ form, as ONNX Runtime's
   * {@code quantize_static(..., QuantFormat.QDQ, per_channel=True)} writes it: BatchNorm folded into the
   * preceding convolution; every input of a convolution, residual {@code Add}, max pooling and global
   * average pooling passes {@code QuantizeLinear -> DequantizeLinear} (uint8, per tensor, from
   * {@code ranges}); convolution weights are symmetric per output channel (stored uint8 around zero point 128) and biases int32 with
   * scale {@code input scale x weight scale}. Dense layers stay float32. ONNX Runtime fuses the pattern
   * into integer kernels (QLinearConv, QLinearAdd) and drops a ReLU in front of a zero-point-0
   * {@code QuantizeLinear}.
   */
  public OnnxExportOptions withInt8(ActivationRanges ranges) {
    return withInt8(ranges, java.util.Set.of());
  }

  /**
   * As {@link #withInt8(ActivationRanges)}, but the tensors in {@code keepFloat} get no
   * {@code QuantizeLinear -> DequantizeLinear}: their consumers (a convolution's, with its BatchNorm still
   * folded in, an {@code Add}'s, a pooling's) run in float32. This is the accuracy-driven fallback that
   * {@link org.fundus4j.networks.inference.StaticQuantization#quantize} chooses.
   */
  public OnnxExportOptions withInt8(ActivationRanges ranges, java.util.Collection<String> keepFloat) {
    return new OnnxExportOptions(opset, graphName, docString, metadata, additionalOutputs,
        java.util.Objects.requireNonNull(ranges, "ranges"), new java.util.LinkedHashSet<>(keepFloat));
  }

  /** Returns options with all entries of {@code entries} added (replacing equal keys). */
  public OnnxExportOptions withMetadata(Map<String, String> entries) {
    Map<String, String> copy = new LinkedHashMap<>(metadata);
    copy.putAll(entries);
    return new OnnxExportOptions(opset, graphName, docString, copy, additionalOutputs, int8, int8Float);
  }
}

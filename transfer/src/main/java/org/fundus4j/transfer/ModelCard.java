package org.fundus4j.transfer;

import java.util.List;
import java.util.Map;

/**
 * What a saved model is and how to feed it: written as {@code model-card.json} next to the weights.
 *
 * @param name algorithm name, as it appears in DICOM SRs (TID 4019 Algorithm Name)
 * @param version algorithm version (TID 4019 Algorithm Version)
 * @param task {@code binary}, {@code multi-label} or {@code segmentation}
 * @param labels output column names, in order; for binary {@code [normal, abnormal]}
 * @param start the backbone start (paper's Table 1 wording)
 * @param mode {@code LP} or {@code FT}
 * @param inputSize square input side in pixels
 * @param mean per-channel RGB mean subtracted after scaling to [0,1] (torchvision ImageNet values)
 * @param std per-channel RGB standard deviation divided by
 * @param syntheticData true when the model was trained on synthetic images only (never for clinical use)
 * @param metrics named evaluation results, e.g. {@code heldOutAuc}
 */
public record ModelCard(String name, String version, String task, List<String> labels, String start,
    String mode, int inputSize, double[] mean, double[] std, boolean syntheticData,
    Map<String, Double> metrics) {

  /** torchvision's ImageNet normalisation, which the paper's models were trained with. */
  public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};

  /** torchvision's ImageNet normalisation, which the paper's models were trained with. */
  public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

  public ModelCard {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("Model card needs a name");
    }
    if (inputSize <= 0 || inputSize % 32 != 0) {
      throw new IllegalArgumentException("Input size must be a positive multiple of 32, got " + inputSize);
    }
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("Model card needs its output labels");
    }
    labels = List.copyOf(labels);
    metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    mean = mean.clone();
    std = std.clone();
  }

  /** The same card with one more metric. */
  public ModelCard withMetric(String key, double value) {
    Map<String, Double> more = new java.util.TreeMap<>(metrics);
    more.put(key, value);
    return new ModelCard(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, more);
  }
}

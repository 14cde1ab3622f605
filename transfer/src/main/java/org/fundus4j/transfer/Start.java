package org.fundus4j.transfer;

import java.util.Locale;

/**
 * Where a downstream model's backbone weights come from, in the paper's words (Jang et al. 2024, Table 1).
 *
 * <p>{@code SCRATCH} is random initialisation; {@code IMAGENET} is torchvision's ImageNet ResNet-50;
 * {@code FUNDUS} and {@code IMAGENET_FUNDUS} are upstream models trained on normal/abnormal fundus images
 * from scratch or from ImageNet weights (our own upstream output or the paper's released {@code .pth}).
 */
public enum Start {
  SCRATCH("Scratch"),
  IMAGENET("ImageNet"),
  FUNDUS("Fundus"),
  IMAGENET_FUNDUS("ImageNet + Fundus");

  private final String label;

  Start(String label) {
    this.label = label;
  }

  /** The paper's name for this start, e.g. {@code "ImageNet + Fundus"}. */
  public String label() {
    return label;
  }

  /** True when the start needs a weights file. */
  public boolean needsWeights() {
    return this != SCRATCH;
  }

  /**
   * Parses a start from a command-line word: {@code scratch}, {@code imagenet}, {@code fundus},
   * {@code imagenet+fundus} (also {@code imagenet_fundus}), case-insensitive.
   */
  public static Start parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT).replace(" ", "").replace('+', '_').replace('-', '_');
    for (Start start : values()) {
      if (start.name().toLowerCase(Locale.ROOT).equals(key)) {
        return start;
      }
    }
    throw new IllegalArgumentException(
        "Unknown start '" + text + "'; expected one of scratch, imagenet, fundus, imagenet+fundus");
  }
}

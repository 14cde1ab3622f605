package org.fundus4j.networks.inference;

import java.util.Locale;

/**
 * Numeric precision of inference: the float32 network, or its static int8 quantisation
 * ({@link StaticQuantization}, ONNX Runtime only).
 */
public enum Precision {
  FP32,
  INT8;

  /** Parses {@code fp32} or {@code int8}, case-insensitive. */
  public static Precision parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Unknown precision '" + text + "'; expected fp32 or int8");
    }
  }
}

package org.fundus4j.networks.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Activation ranges measured on calibration images, for a static int8 export: per tensor (a DL4J vertex
 * name, or the graph input's name) the smallest and largest value seen.
 *
 * <p>Made by {@link org.fundus4j.networks.inference.StaticQuantization#calibrate}; {@link OnnxExportOptions#withInt8(ActivationRanges)}
 * turns them into per-tensor asymmetric uint8 quantisation parameters ({@code scale = (max - min) / 255}
 * over the range widened to include 0, {@code zero_point = round(-min / scale)}), as ONNX Runtime's own
 * MinMax calibrator does.
 *
 * @param ranges tensor name to range, in the order calibrated
 * @param images number of calibration images the ranges were measured on
 * @param method how the ranges were measured, e.g. {@code "minmax"}
 */
public record ActivationRanges(Map<String, Range> ranges, int images, String method) {

  /** The closed interval {@code [min, max]} of one tensor's values. */
  public record Range(float min, float max) {
    public Range {
      if (!Float.isFinite(min) || !Float.isFinite(max) || min > max) {
        throw new IllegalArgumentException("Activation range must be finite with min <= max, got ["
            + min + ", " + max + "]");
      }
    }

    /** The smallest range holding both this one and {@code other}. */
    public Range union(Range other) {
      return new Range(Math.min(min, other.min), Math.max(max, other.max));
    }

    /** uint8 scale of this range widened to include 0 (1 if the range is {@code [0, 0]}). */
    public float uint8Scale() {
      float lo = Math.min(0f, min);
      float hi = Math.max(0f, max);
      return hi > lo ? (hi - lo) / 255f : 1f;
    }

    /** uint8 zero point of this range widened to include 0. */
    public int uint8ZeroPoint() {
      float lo = Math.min(0f, min);
      return (int) Math.max(0, Math.min(255, Math.round(-lo / uint8Scale())));
    }
  }

  public ActivationRanges {
    Objects.requireNonNull(method, "method");
    if (images < 1) {
      throw new IllegalArgumentException("Calibration needs at least one image, got " + images);
    }
    ranges.forEach((k, v) -> Objects.requireNonNull(v, () -> "range of " + k));
    ranges = Collections.unmodifiableMap(new LinkedHashMap<>(ranges));
  }

  /**
   * The range of {@code tensor}.
   *
   * @throws IllegalArgumentException if it was not calibrated
   */
  public Range get(String tensor) {
    Range r = ranges.get(tensor);
    if (r == null) {
      throw new IllegalArgumentException("No calibrated activation range for tensor '" + tensor
          + "'; calibrate the same graph with StaticQuantization.calibrate (calibrated: " + ranges.size()
          + " tensors)");
    }
    return r;
  }
}

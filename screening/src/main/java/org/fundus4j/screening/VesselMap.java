package org.fundus4j.screening;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * A segmentation model's vessel mask for one image and the vessel density measured on it.
 *
 * <p>The mask has the model's input geometry ({@code size x size} after border crop and padding, not the
 * source image's): a pixel is vessel (255) when the model's probability is at or above the threshold, else 0.
 * Density is the vessel share of the mask's pixels, in [0, 1].
 *
 * @param mask 8-bit grey mask, {@code size x size}
 * @param threshold probability at or above which a pixel is vessel
 * @param density vessel pixels / all pixels
 */
public record VesselMap(BufferedImage mask, double threshold, double density) {
  public VesselMap {
    Objects.requireNonNull(mask, "mask");
    if (!(density >= 0 && density <= 1)) {
      throw new IllegalArgumentException("Vessel density must be in [0, 1], got " + density);
    }
  }

  /**
   * The mask of probabilities {@code p} ({@code size * size}, row-major) at {@code threshold}.
   */
  static VesselMap of(float[] p, int size, double threshold) {
    if (p.length != size * size) {
      throw new IllegalArgumentException("Expected " + size * size + " vessel probabilities, got " + p.length);
    }
    BufferedImage mask = new BufferedImage(size, size, BufferedImage.TYPE_BYTE_GRAY);
    byte[] px = ((java.awt.image.DataBufferByte) mask.getRaster().getDataBuffer()).getData();
    long vessel = 0;
    for (int i = 0; i < p.length; i++) {
      if (p[i] >= threshold) {
        px[i] = (byte) 255;
        vessel++;
      }
    }
    return new VesselMap(mask, threshold, (double) vessel / p.length);
  }
}

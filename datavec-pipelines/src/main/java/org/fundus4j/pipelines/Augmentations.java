package org.fundus4j.pipelines;

/**
 * The probabilities of the training augmentations, each in [0, 1].
 *
 * @param flip horizontal flip
 * @param grayscale conversion to grey
 * @param blur Gaussian blur with sigma uniform in [0.1, 2.0] pixels
 * @param clahe CLAHE on the L*a*b* lightness channel, clip limit 2, 8x8 tiles
 */
public record Augmentations(double flip, double grayscale, double blur, double clahe) {

  /** Checks that every probability is in [0, 1]. */
  public Augmentations {
    check("flip", flip);
    check("grayscale", grayscale);
    check("blur", blur);
    check("clahe", clahe);
  }

  /** Returns the defaults: flip 0.5, grayscale 0.1, blur 0.2, CLAHE 0.2. */
  public static Augmentations defaults() {
    return new Augmentations(0.5, 0.1, 0.2, 0.2);
  }

  /** Returns every augmentation with probability 1 (for tests and previews). */
  public static Augmentations always() {
    return new Augmentations(1, 1, 1, 1);
  }

  private static void check(String name, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException("Augmentation probability '" + name + "' must be in [0, 1], got " + p);
    }
  }
}

package org.fundus4j.pipelines.augment;

/** Checks augmentation probabilities. */
final class Probability {

  private Probability() {}

  static double check(String what, double p) {
    if (!(p >= 0 && p <= 1)) {
      throw new IllegalArgumentException(what + " probability must be in [0, 1], got " + p);
    }
    return p;
  }
}

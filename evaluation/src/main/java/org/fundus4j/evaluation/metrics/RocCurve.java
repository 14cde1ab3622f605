package org.fundus4j.evaluation.metrics;

import java.util.Arrays;

/**
 * Points of an empirical ROC curve, one per distinct score, ordered by decreasing threshold.
 *
 * <p>Point {@code i} is the false- and true-positive rate of the rule "positive when
 * {@code score >= thresholds[i]}". The first point is {@code (0, 0)} with threshold
 * {@code +Infinity}; the last is {@code (1, 1)}. This matches scikit-learn's
 * {@code roc_curve(..., drop_intermediate=False)} except that scikit-learn 1.2 writes
 * {@code max(score) + 1} as the first threshold.
 *
 * @param fpr false-positive rates, non-decreasing, in [0, 1]
 * @param tpr true-positive rates, non-decreasing, in [0, 1]
 * @param thresholds score thresholds, strictly decreasing
 */
public record RocCurve(double[] fpr, double[] tpr, double[] thresholds) {
  /** Checks that the three arrays have one equal, non-zero length and copies them. */
  public RocCurve {
    if (fpr.length != tpr.length || fpr.length != thresholds.length || fpr.length == 0) {
      throw new IllegalArgumentException("ROC curve arrays must have one equal non-zero length, got fpr "
          + fpr.length + ", tpr " + tpr.length + ", thresholds " + thresholds.length);
    }
    fpr = fpr.clone();
    tpr = tpr.clone();
    thresholds = thresholds.clone();
  }

  /** Returns the number of points. */
  public int size() {
    return fpr.length;
  }

  /** Returns the area under the curve by the trapezoidal rule, equal to {@link RocAuc#compute}. */
  public double area() {
    double a = 0;
    for (int i = 1; i < fpr.length; i++) {
      a += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2.0;
    }
    return a;
  }

  @Override
  public double[] fpr() {
    return fpr.clone();
  }

  @Override
  public double[] tpr() {
    return tpr.clone();
  }

  @Override
  public double[] thresholds() {
    return thresholds.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RocCurve r && Arrays.equals(fpr, r.fpr) && Arrays.equals(tpr, r.tpr)
        && Arrays.equals(thresholds, r.thresholds);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(fpr) + Arrays.hashCode(tpr)) + Arrays.hashCode(thresholds);
  }

  @Override
  public String toString() {
    return "RocCurve[" + fpr.length + " points, area=" + area() + "]";
  }
}

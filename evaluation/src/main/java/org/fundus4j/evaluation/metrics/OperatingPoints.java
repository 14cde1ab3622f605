package org.fundus4j.evaluation.metrics;

/**
 * Where a score becomes a call: thresholds chosen on a validation split, as pROC's {@code coords(roc, "best")}.
 *
 * <p>Candidate thresholds are pROC's: the midpoints between consecutive distinct scores, and a case is called
 * positive when {@code score >= threshold} (pROC's {@code direction = "<"}: controls score lower). The
 * infinite thresholds pROC adds at both ends (everything negative, everything positive) are never chosen: a
 * rule that calls every image the same way is no operating point.
 *
 * <pre>{@code
 * OperatingPoints.Point p = OperatingPoints.youden(validationScores, validationLabels);
 * boolean present = probability >= p.threshold();
 * }</pre>
 */
public final class OperatingPoints {
  private OperatingPoints() {}

  /**
   * One operating point on the empirical ROC curve.
   *
   * @param threshold a case is called positive when its score is at or above this
   * @param sensitivity true-positive rate at the threshold, in [0, 1]
   * @param specificity true-negative rate at the threshold, in [0, 1]
   */
  public record Point(double threshold, double sensitivity, double specificity) {
    /** Youden's J statistic, {@code sensitivity + specificity - 1}. */
    public double youdenJ() {
      return sensitivity + specificity - 1;
    }
  }

  /**
   * The threshold that maximises Youden's J ({@code sensitivity + specificity - 1}); equal to pROC's
   * {@code coords(roc(labels, scores, direction = "<"), "best", best.method = "youden")} when its best is
   * unique. Of equal J, the highest threshold (the most specific rule) is returned.
   *
   * @throws IllegalArgumentException when labels are not all 0/1, lengths differ, a score is NaN, there is
   *     no case or no control (as {@link RocAuc#curve}), or every score is equal (no finite threshold separates
   *     anything)
   */
  public static Point youden(double[] scores, int[] labels) {
    Point[] points = candidates(scores, labels);
    Point best = points[0];
    for (Point p : points) {
      if (p.youdenJ() > best.youdenJ()) {
        best = p;
      }
    }
    return best;
  }

  /**
   * The highest threshold whose sensitivity is at least {@code target} (so the most specific rule that still
   * finds that share of the cases).
   *
   * @param target wanted sensitivity, in (0, 1]
   * @throws IllegalArgumentException as {@link #youden}, or when {@code target} is outside (0, 1]
   */
  public static Point atSensitivity(double[] scores, int[] labels, double target) {
    if (!(target > 0 && target <= 1)) {
      throw new IllegalArgumentException("target sensitivity must be in (0, 1], got " + target);
    }
    Point[] points = candidates(scores, labels);
    for (Point p : points) {
      if (p.sensitivity() >= target) {
        return p;
      }
    }
    return points[points.length - 1];
  }

  /**
   * The finite candidate points, by decreasing threshold: point {@code i} of {@link RocAuc#curve} (positive when
   * {@code score >= thresholds[i]}) is the same rule as pROC's midpoint between {@code thresholds[i]} and the next
   * lower score; the first (+Infinity) and last (every score positive, pROC's -Infinity) points are left out.
   */
  private static Point[] candidates(double[] scores, int[] labels) {
    RocCurve curve = RocAuc.curve(scores, labels);
    double[] fpr = curve.fpr();
    double[] tpr = curve.tpr();
    double[] thresholds = curve.thresholds();
    int n = curve.size() - 2;
    if (n < 1) {
      throw new IllegalArgumentException("every score is equal (" + scores[0]
          + "): no threshold separates cases from controls");
    }
    Point[] points = new Point[n];
    for (int i = 1; i <= n; i++) {
      points[i - 1] = new Point((thresholds[i] + thresholds[i + 1]) / 2.0, tpr[i], 1 - fpr[i]);
    }
    return points;
  }
}

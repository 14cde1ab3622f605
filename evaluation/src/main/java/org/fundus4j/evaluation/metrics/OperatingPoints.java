package org.fundus4j.evaluation.metrics;

import java.util.Arrays;

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
   *     no case or no control, or every score is equal (no finite threshold separates anything)
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

  /** The finite candidate points, by decreasing threshold. */
  private static Point[] candidates(double[] scores, int[] labels) {
    Checks.scoresAndLabels(scores, labels);
    int cases = Checks.countCases(labels);
    int controls = labels.length - cases;
    if (cases == 0 || controls == 0) {
      throw new IllegalArgumentException("an operating point needs at least one case and one control, got "
          + cases + " cases and " + controls + " controls");
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
    Point[] points = new Point[scores.length];
    int n = 0;
    int tp = 0;
    int fp = 0;
    int i = 0;
    while (i < order.length) {
      double value = scores[order[i]];
      while (i < order.length && scores[order[i]] == value) {
        if (labels[order[i]] == 1) {
          tp++;
        } else {
          fp++;
        }
        i++;
      }
      if (i == order.length) {
        break; // below the lowest score everything is positive: pROC's -Inf, never chosen
      }
      double threshold = (value + scores[order[i]]) / 2.0;
      points[n++] = new Point(threshold, (double) tp / cases, (double) (controls - fp) / controls);
    }
    if (n == 0) {
      throw new IllegalArgumentException("every score is equal (" + scores[0]
          + "): no threshold separates cases from controls");
    }
    return Arrays.copyOf(points, n);
  }
}

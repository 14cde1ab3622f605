package org.fundus4j.evaluation.metrics;

/**
 * One AUC with DeLong's variance and confidence interval, as pROC's {@code var(roc, method =
 * "delong")} and {@code ci.auc(roc, method = "delong")}.
 *
 * @param auc the exact AUC, ties counted one half
 * @param variance DeLong's variance estimate S10/m + S01/n
 * @param ciLower lower end of the normal-approximation interval, clipped at 0
 * @param ciUpper upper end, clipped at 1
 * @param confidenceLevel the interval's level, e.g. 0.95
 * @param cases number of label-1 examples (m)
 * @param controls number of label-0 examples (n)
 */
public record DeLongResult(double auc, double variance, double ciLower, double ciUpper,
    double confidenceLevel, int cases, int controls) {
  /** Checks the counts and the level. */
  public DeLongResult {
    if (cases < 0 || controls < 0) {
      throw new IllegalArgumentException("counts must be >= 0, got " + cases + " cases, " + controls + " controls");
    }
    if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
      throw new IllegalArgumentException("confidence level must be in (0, 1), got " + confidenceLevel);
    }
  }

  /** Returns the standard error, the square root of the variance. */
  public double standardError() {
    return Math.sqrt(variance);
  }
}

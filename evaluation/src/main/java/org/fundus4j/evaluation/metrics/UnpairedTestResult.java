package org.fundus4j.evaluation.metrics;

/**
 * DeLong's test for two AUCs on different cases, as pROC's {@code roc.test(roc1, roc2, method =
 * "delong", paired = FALSE)}: a Welch-type t statistic with Satterthwaite degrees of freedom.
 *
 * @param a the first sample's AUC, variance and CI
 * @param b the second sample's AUC, variance and CI
 * @param t (aucA - aucB) / sqrt(varA + varB)
 * @param degreesOfFreedom (varA + varB)^2 / (varA^2/(NA-1) + varB^2/(NB-1)), N = cases + controls
 * @param p two-sided p-value from Student's t
 */
public record UnpairedTestResult(DeLongResult a, DeLongResult b, double t, double degreesOfFreedom,
    double p) {
  /** Checks that both results are present. */
  public UnpairedTestResult {
    if (a == null || b == null) {
      throw new IllegalArgumentException("both AUC results are required");
    }
  }
}

package org.fundus4j.evaluation.metrics;

/**
 * DeLong's test for two correlated AUCs on the same cases, as pROC's {@code roc.test(roc1, roc2,
 * method = "delong", paired = TRUE)} (two-sided).
 *
 * @param a the first model's AUC, variance and CI
 * @param b the second model's AUC, variance and CI
 * @param covariance DeLong's covariance of the two AUC estimates
 * @param z (aucA - aucB) / sqrt(varA + varB - 2 cov); 0 when both difference and its standard
 *     error are 0, as pROC
 * @param p two-sided p-value, 2 Phi(-|z|)
 * @param diffCiLower lower end of the CI of aucA - aucB (pROC's {@code conf.int})
 * @param diffCiUpper upper end of the CI of aucA - aucB
 */
public record PairedTestResult(DeLongResult a, DeLongResult b, double covariance, double z, double p,
    double diffCiLower, double diffCiUpper) {
  /** Checks that both results are present. */
  public PairedTestResult {
    if (a == null || b == null) {
      throw new IllegalArgumentException("both AUC results are required");
    }
  }

  /** Returns aucA - aucB. */
  public double difference() {
    return a.auc() - b.auc();
  }
}

package org.fundus4j.evaluation.stats;

import java.util.Arrays;
import java.util.List;
import org.fundus4j.evaluation.metrics.DeLong;
import org.fundus4j.evaluation.metrics.DeLongResult;
import org.fundus4j.evaluation.metrics.RocAuc;

/**
 * AUC of a k-fold cross-validation: per fold, mean +- sample SD (n - 1) over folds, and the AUC of
 * all out-of-fold predictions pooled, with DeLong's 95 % CI.
 *
 * <pre>{@code
 * CrossValidationSummary s = CrossValidationSummary.of(List.of(fold1, fold2, fold3, fold4, fold5));
 * System.out.printf("%.3f +- %.3f (pooled %.3f)%n", s.mean(), s.standardDeviation(), s.pooledAuc());
 * }</pre>
 *
 * @param foldAucs AUC of each fold in order (NaN for a fold with one class)
 * @param mean mean of the fold AUCs (NaN folds skipped)
 * @param standardDeviation sample standard deviation of the fold AUCs; NaN with fewer than 2
 * @param pooledAuc AUC of all folds' predictions together
 * @param pooled DeLong's variance and CI of the pooled AUC
 * @param pooledScores all folds' scores concatenated in fold order
 * @param pooledLabels the matching labels
 */
public record CrossValidationSummary(double[] foldAucs, double mean, double standardDeviation,
    double pooledAuc, DeLongResult pooled, double[] pooledScores, int[] pooledLabels) {
  /** Copies the arrays. */
  public CrossValidationSummary {
    foldAucs = foldAucs.clone();
    pooledScores = pooledScores.clone();
    pooledLabels = pooledLabels.clone();
  }

  /**
   * Summarises the folds.
   *
   * @throws IllegalArgumentException without folds, or when the pooled predictions have fewer than
   *     2 cases or 2 controls
   */
  public static CrossValidationSummary of(List<Fold> folds) {
    if (folds.isEmpty()) {
      throw new IllegalArgumentException("no folds");
    }
    double[] aucs = new double[folds.size()];
    int total = 0;
    for (int i = 0; i < aucs.length; i++) {
      Fold f = folds.get(i);
      aucs[i] = RocAuc.compute(f.scores(), f.labels());
      total += f.scores().length;
    }
    double[] scores = new double[total];
    int[] labels = new int[total];
    int at = 0;
    for (Fold f : folds) {
      System.arraycopy(f.scores(), 0, scores, at, f.scores().length);
      System.arraycopy(f.labels(), 0, labels, at, f.labels().length);
      at += f.scores().length;
    }
    double[] valid = Arrays.stream(aucs).filter(a -> !Double.isNaN(a)).toArray();
    double mean = valid.length == 0 ? Double.NaN : Arrays.stream(valid).average().orElseThrow();
    double sd = Double.NaN;
    if (valid.length >= 2) {
      double ss = 0;
      for (double a : valid) {
        ss += (a - mean) * (a - mean);
      }
      sd = Math.sqrt(ss / (valid.length - 1));
    }
    DeLongResult pooled = DeLong.single(scores, labels);
    return new CrossValidationSummary(aucs, mean, sd, RocAuc.compute(scores, labels), pooled, scores,
        labels);
  }

  @Override
  public double[] foldAucs() {
    return foldAucs.clone();
  }

  @Override
  public double[] pooledScores() {
    return pooledScores.clone();
  }

  @Override
  public int[] pooledLabels() {
    return pooledLabels.clone();
  }

  /** Returns "0.912 ± 0.011" (mean ± SD, three decimals). */
  public String meanAndSd() {
    return String.format(java.util.Locale.ROOT, "%.3f \u00b1 %.3f", mean, standardDeviation);
  }
}

package org.fundus4j.evaluation.metrics;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * DeLong's variance of the AUC and DeLong's tests comparing two AUCs (DeLong, DeLong and
 * Clarke-Pearson, Biometrics 1988), numerically equal to R's pROC 1.18.
 *
 * <p>The structural components (placements) come from mid-ranks as in Sun and Xu, IEEE Signal
 * Processing Letters 21(11), 2014, so each test costs O(N log N) and stays exact with tied scores
 * (a tie counts one half). Higher scores mean "case" (label 1), like pROC's {@code direction =
 * "<"}.
 *
 * <pre>{@code
 * PairedTestResult t = DeLong.paired(scoresA, scoresB, labels);
 * System.out.printf("AUC %.3f vs %.3f, z=%.2f, p=%.4f%n", t.a().auc(), t.b().auc(), t.z(), t.p());
 * }</pre>
 *
 * <p>Degenerate input: every method throws {@link IllegalArgumentException} when there are fewer
 * than 2 cases or 2 controls (the variance divides by m - 1 and n - 1; pROC's CI gives NA there).
 */
public final class DeLong {
  /** The confidence level used when none is given. */
  public static final double DEFAULT_CONFIDENCE_LEVEL = 0.95;

  private static final NormalDistribution NORMAL = new NormalDistribution(null, 0, 1);

  private DeLong() {}

  /** Returns the AUC, DeLong's variance and its 95 % CI. */
  public static DeLongResult single(double[] scores, int[] labels) {
    return single(scores, labels, DEFAULT_CONFIDENCE_LEVEL);
  }

  /** Returns the AUC, DeLong's variance and its CI at {@code confidenceLevel}. */
  public static DeLongResult single(double[] scores, int[] labels, double confidenceLevel) {
    Placements p = Placements.of(scores, labels);
    return result(p, p.variance(), confidenceLevel);
  }

  /** Paired test at the default 95 % level; see {@link #paired(double[], double[], int[], double)}. */
  public static PairedTestResult paired(double[] scoresA, double[] scoresB, int[] labels) {
    return paired(scoresA, scoresB, labels, DEFAULT_CONFIDENCE_LEVEL);
  }

  /**
   * Compares two models scored on the same cases, as pROC's {@code roc.test(..., method = "delong",
   * paired = TRUE)}.
   */
  public static PairedTestResult paired(double[] scoresA, double[] scoresB, int[] labels,
      double confidenceLevel) {
    if (scoresA.length != scoresB.length) {
      throw new IllegalArgumentException("paired test needs scores for the same cases, got "
          + scoresA.length + " and " + scoresB.length + " scores");
    }
    Placements pa = Placements.of(scoresA, labels);
    Placements pb = Placements.of(scoresB, labels);
    double varA = pa.variance();
    double varB = pb.variance();
    double cov = pa.covariance(pb);
    double d = pa.theta - pb.theta;
    double sig = Math.sqrt(varA + varB - 2 * cov);
    double z = d / sig;
    if (Double.isNaN(z) && d == 0 && sig == 0) {
      z = 0; // pROC: identical AUCs with zero spread
    }
    double p = 2 * NORMAL.cumulativeProbability(-Math.abs(z));
    double crit = criticalZ(confidenceLevel);
    return new PairedTestResult(result(pa, varA, confidenceLevel), result(pb, varB, confidenceLevel),
        cov, z, p, d - crit * sig, d + crit * sig);
  }

  /**
   * Compares two AUCs measured on different samples, as pROC's {@code roc.test(..., method =
   * "delong", paired = FALSE)}; CIs of the two results are at 95 %.
   */
  public static UnpairedTestResult unpaired(double[] scoresA, int[] labelsA, double[] scoresB,
      int[] labelsB) {
    Placements pa = Placements.of(scoresA, labelsA);
    Placements pb = Placements.of(scoresB, labelsB);
    double sa = pa.variance();
    double sb = pb.variance();
    double t = (pa.theta - pb.theta) / Math.sqrt(sa + sb);
    double df = (sa + sb) * (sa + sb)
        / (sa * sa / (scoresA.length - 1) + sb * sb / (scoresB.length - 1));
    double p = 2 * new TDistribution(null, df).cumulativeProbability(-Math.abs(t));
    return new UnpairedTestResult(result(pa, sa, DEFAULT_CONFIDENCE_LEVEL),
        result(pb, sb, DEFAULT_CONFIDENCE_LEVEL), t, df, p);
  }

  private static DeLongResult result(Placements p, double variance, double level) {
    double crit = criticalZ(level);
    double sd = Math.sqrt(variance);
    double lo = Math.max(0, p.theta - crit * sd);
    double hi = Math.min(1, p.theta + crit * sd);
    return new DeLongResult(p.theta, variance, lo, hi, level, p.v10.length, p.v01.length);
  }

  private static double criticalZ(double level) {
    if (!(level > 0 && level < 1)) {
      throw new IllegalArgumentException("confidence level must be in (0, 1), got " + level);
    }
    return NORMAL.inverseCumulativeProbability(1 - (1 - level) / 2);
  }

  /**
   * DeLong's structural components: V10 per case (share of controls scored lower, ties one half)
   * and V01 per control (share of cases scored higher); theta is their common mean, the AUC.
   */
  static final class Placements {
    final double[] v10;
    final double[] v01;
    final double theta;

    Placements(double[] v10, double[] v01) {
      this.v10 = v10;
      this.v01 = v01;
      double s = 0;
      for (double v : v10) {
        s += v;
      }
      this.theta = s / v10.length;
    }

    /** Sun and Xu's O(N log N) placements from mid-ranks within cases, controls and all. */
    static Placements of(double[] scores, int[] labels) {
      Checks.scoresAndLabels(scores, labels);
      int m = Checks.countCases(labels);
      int n = labels.length - m;
      requireTwoPerClass(m, n);
      double[] x = new double[m];
      double[] y = new double[n];
      split(scores, labels, x, y);
      double[] tz = MidRanks.of(scores);
      double[] tx = MidRanks.of(x);
      double[] ty = MidRanks.of(y);
      double[] v10 = new double[m];
      double[] v01 = new double[n];
      int i = 0;
      int j = 0;
      for (int k = 0; k < scores.length; k++) {
        if (labels[k] == 1) {
          v10[i] = (tz[k] - tx[i]) / n;
          i++;
        } else {
          v01[j] = 1.0 - (tz[k] - ty[j]) / m;
          j++;
        }
      }
      return new Placements(v10, v01);
    }

    /** The O(m n) definition, kept to check {@link #of} against. */
    static Placements quadratic(double[] scores, int[] labels) {
      Checks.scoresAndLabels(scores, labels);
      int m = Checks.countCases(labels);
      int n = labels.length - m;
      requireTwoPerClass(m, n);
      double[] x = new double[m];
      double[] y = new double[n];
      split(scores, labels, x, y);
      double[] v10 = new double[m];
      double[] v01 = new double[n];
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double psi = x[i] > y[j] ? 1.0 : x[i] == y[j] ? 0.5 : 0.0;
          v10[i] += psi;
          v01[j] += psi;
        }
      }
      for (int i = 0; i < m; i++) {
        v10[i] /= n;
      }
      for (int j = 0; j < n; j++) {
        v01[j] /= m;
      }
      return new Placements(v10, v01);
    }

    double variance() {
      return covariance(this);
    }

    double covariance(Placements other) {
      if (other.v10.length != v10.length || other.v01.length != v01.length) {
        throw new IllegalArgumentException("covariance needs the same cases and controls");
      }
      double sx = 0;
      for (int i = 0; i < v10.length; i++) {
        sx += (v10[i] - theta) * (other.v10[i] - other.theta);
      }
      double sy = 0;
      for (int j = 0; j < v01.length; j++) {
        sy += (v01[j] - theta) * (other.v01[j] - other.theta);
      }
      int m = v10.length;
      int n = v01.length;
      return sx / (m - 1) / m + sy / (n - 1) / n;
    }

    private static void split(double[] scores, int[] labels, double[] x, double[] y) {
      int i = 0;
      int j = 0;
      for (int k = 0; k < scores.length; k++) {
        if (labels[k] == 1) {
          x[i++] = scores[k];
        } else {
          y[j++] = scores[k];
        }
      }
    }

    private static void requireTwoPerClass(int m, int n) {
      if (m < 2 || n < 2) {
        throw new IllegalArgumentException("DeLong's variance needs at least 2 cases (label 1) and 2 "
            + "controls (label 0), got " + m + " cases and " + n + " controls");
      }
    }
  }
}

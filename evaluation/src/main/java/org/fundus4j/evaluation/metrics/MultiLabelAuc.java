package org.fundus4j.evaluation.metrics;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-label and macro-averaged AUC for a multi-label head (one sigmoid per disease).
 *
 * <pre>{@code
 * double[] perDisease = MultiLabelAuc.perLabel(scores, labels); // scores[N][L], labels[N][L]
 * double macro = MultiLabelAuc.macro(scores, labels);
 * }</pre>
 */
public final class MultiLabelAuc {
  private MultiLabelAuc() {}

  /**
   * Returns {@link RocAuc#compute} for each label column; a column with one class only gives NaN.
   *
   * @param scores {@code [N][L]} scores, higher means present
   * @param labels {@code [N][L]} labels, 0 or 1
   */
  public static double[] perLabel(double[][] scores, int[][] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException("scores have " + scores.length + " rows, labels "
          + labels.length);
    }
    if (scores.length == 0) {
      throw new IllegalArgumentException("no examples");
    }
    int l = scores[0].length;
    double[] out = new double[l];
    for (int c = 0; c < l; c++) {
      double[] s = new double[scores.length];
      int[] y = new int[scores.length];
      for (int i = 0; i < scores.length; i++) {
        if (scores[i].length != l || labels[i].length != l) {
          throw new IllegalArgumentException("row " + i + " has " + scores[i].length + " scores and "
              + labels[i].length + " labels, expected " + l);
        }
        s[i] = scores[i][c];
        y[i] = labels[i][c];
      }
      out[c] = RocAuc.compute(s, y);
    }
    return out;
  }

  /** Same as {@link #perLabel(double[][], int[][])} for {@code [N, L]} arrays. */
  public static double[] perLabel(INDArray scores, INDArray labels) {
    return perLabel(scores.toDoubleMatrix(), labels.toIntMatrix());
  }

  /**
   * Returns the unweighted mean of the per-label AUCs over the labels that have both classes
   * (labels with one class only are skipped, unlike scikit-learn, which raises); NaN when none has.
   */
  public static double macro(double[][] scores, int[][] labels) {
    return macro(perLabel(scores, labels));
  }

  /** Same as {@link #macro(double[][], int[][])} for {@code [N, L]} arrays. */
  public static double macro(INDArray scores, INDArray labels) {
    return macro(perLabel(scores, labels));
  }

  /** Returns the mean of the non-NaN values; NaN when all are NaN. */
  public static double macro(double[] perLabel) {
    double s = 0;
    int k = 0;
    for (double a : perLabel) {
      if (!Double.isNaN(a)) {
        s += a;
        k++;
      }
    }
    return k == 0 ? Double.NaN : s / k;
  }
}

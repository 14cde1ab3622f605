package org.fundus4j.evaluation.metrics;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Exact area under the ROC curve, ties counted one half (the Mann-Whitney statistic).
 *
 * <p>Higher scores mean "case" (label 1). The result equals scikit-learn's {@code roc_auc_score}
 * and pROC's {@code auc(roc(labels, scores, direction = "<"))}; unlike DL4J's {@code ROC} with
 * {@code thresholdSteps = 0}, it stays exact when scores tie. It is computed from mid-ranks in
 * O(N log N).
 *
 * <pre>{@code
 * double auc = RocAuc.compute(new double[] {0.1, 0.4, 0.35, 0.8}, new int[] {0, 0, 1, 1}); // 0.75
 * RocAuc.Accumulator acc = new RocAuc.Accumulator();
 * acc.add(probabilities, labels);   // per batch, [N] or [N, 1]
 * double total = acc.result();
 * }</pre>
 */
public final class RocAuc {
  private RocAuc() {}

  /**
   * Returns the exact AUC of {@code scores} for the 0/1 {@code labels}.
   *
   * @return the AUC in [0, 1], or {@code NaN} when all labels are equal (no cases or no
   *     controls), where the AUC is undefined (scikit-learn raises, pROC refuses the curve)
   * @throws IllegalArgumentException when lengths differ, a label is not 0 or 1, or a score is NaN
   */
  public static double compute(double[] scores, int[] labels) {
    Checks.scoresAndLabels(scores, labels);
    int m = Checks.countCases(labels);
    int n = labels.length - m;
    if (m == 0 || n == 0) {
      return Double.NaN;
    }
    double[] ranks = MidRanks.of(scores);
    double sum = 0;
    for (int i = 0; i < ranks.length; i++) {
      if (labels[i] == 1) {
        sum += ranks[i];
      }
    }
    return (sum - m * (m + 1.0) / 2.0) / ((double) m * n);
  }

  /**
   * Returns the empirical ROC curve, one point per distinct score (see {@link RocCurve}).
   *
   * @throws IllegalArgumentException for the reasons of {@link #compute}, and when all labels are
   *     equal (a rate would divide by zero)
   */
  public static RocCurve curve(double[] scores, int[] labels) {
    Checks.scoresAndLabels(scores, labels);
    int m = Checks.countCases(labels);
    int n = labels.length - m;
    if (m == 0 || n == 0) {
      throw new IllegalArgumentException("ROC curve needs both classes, got " + m + " cases and "
          + n + " controls");
    }
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(scores[y], scores[x]));
    double[] fpr = new double[scores.length + 1];
    double[] tpr = new double[scores.length + 1];
    double[] thr = new double[scores.length + 1];
    thr[0] = Double.POSITIVE_INFINITY;
    int points = 1;
    long tp = 0;
    long fp = 0;
    int i = 0;
    while (i < order.length) {
      double s = scores[order[i]];
      while (i < order.length && scores[order[i]] == s) {
        if (labels[order[i]] == 1) {
          tp++;
        } else {
          fp++;
        }
        i++;
      }
      fpr[points] = (double) fp / n;
      tpr[points] = (double) tp / m;
      thr[points] = s;
      points++;
    }
    return new RocCurve(Arrays.copyOf(fpr, points), Arrays.copyOf(tpr, points),
        Arrays.copyOf(thr, points));
  }

  /**
   * Collects scores and labels batch by batch and computes the exact AUC over all of them.
   *
   * <p>Not thread-safe. Memory grows with the number of examples (16 bytes each).
   */
  public static final class Accumulator {
    private double[] scores = new double[1024];
    private int[] labels = new int[1024];
    private int size;

    /** Adds one example. */
    public void add(double score, int label) {
      if (size == scores.length) {
        scores = Arrays.copyOf(scores, size * 2);
        labels = Arrays.copyOf(labels, size * 2);
      }
      scores[size] = score;
      labels[size] = label;
      size++;
    }

    /**
     * Adds a batch: {@code scores} and {@code labels} of shape {@code [N]} or {@code [N, 1]},
     * labels 0 or 1; for a two-column softmax pass the case column ({@code probs.getColumn(1)}).
     */
    public void add(INDArray scores, INDArray labels) {
      if (scores.length() != labels.length()) {
        throw new IllegalArgumentException("scores " + Arrays.toString(scores.shape())
            + " and labels " + Arrays.toString(labels.shape()) + " differ in length");
      }
      if (scores.rank() > 2 || (scores.rank() == 2 && scores.size(1) != 1 && scores.size(0) != 1)) {
        throw new IllegalArgumentException("scores must be [N] or [N, 1], got "
            + Arrays.toString(scores.shape()) + "; select the case column first");
      }
      double[] s = scores.ravel().toDoubleVector();
      double[] l = labels.ravel().toDoubleVector();
      for (int i = 0; i < s.length; i++) {
        if (l[i] != 0.0 && l[i] != 1.0) {
          throw new IllegalArgumentException("labels must be 0 or 1, got " + l[i] + " at index " + i);
        }
        add(s[i], (int) l[i]);
      }
    }

    /** Returns the number of examples added since the last {@link #reset}. */
    public int size() {
      return size;
    }

    /** Returns {@link RocAuc#compute} over all examples added; NaN when one class only. */
    public double result() {
      return compute(Arrays.copyOf(scores, size), Arrays.copyOf(labels, size));
    }

    /** Forgets all examples. */
    public void reset() {
      size = 0;
    }
  }
}

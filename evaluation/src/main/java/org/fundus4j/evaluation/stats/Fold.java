package org.fundus4j.evaluation.stats;

import java.util.Arrays;

/**
 * Out-of-fold predictions of one cross-validation fold: a score and a 0/1 label per case.
 *
 * @param scores one score per case, higher means "case"
 * @param labels one 0/1 label per case
 */
public record Fold(double[] scores, int[] labels) {
  /** Checks equal lengths and copies the arrays. */
  public Fold {
    if (scores.length != labels.length || scores.length == 0) {
      throw new IllegalArgumentException("a fold needs one score per label, got " + scores.length
          + " scores and " + labels.length + " labels");
    }
    scores = scores.clone();
    labels = labels.clone();
  }

  @Override
  public double[] scores() {
    return scores.clone();
  }

  @Override
  public int[] labels() {
    return labels.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Fold f && Arrays.equals(scores, f.scores) && Arrays.equals(labels, f.labels);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(scores) + Arrays.hashCode(labels);
  }

  @Override
  public String toString() {
    return "Fold[" + scores.length + " cases]";
  }
}

package org.fundus4j.evaluation.metrics;

/** Argument checks shared by the metrics. */
final class Checks {
  private Checks() {}

  static void scoresAndLabels(double[] scores, int[] labels) {
    if (scores == null || labels == null) {
      throw new IllegalArgumentException("scores and labels must not be null");
    }
    if (scores.length != labels.length) {
      throw new IllegalArgumentException("scores and labels differ in length: "
          + scores.length + " scores, " + labels.length + " labels");
    }
    for (int i = 0; i < scores.length; i++) {
      if (labels[i] != 0 && labels[i] != 1) {
        throw new IllegalArgumentException(
            "labels must be 0 (control) or 1 (case), got " + labels[i] + " at index " + i);
      }
      if (Double.isNaN(scores[i])) {
        throw new IllegalArgumentException("score at index " + i + " is NaN; drop or impute it first");
      }
    }
  }

  static int countCases(int[] labels) {
    int m = 0;
    for (int l : labels) {
      m += l;
    }
    return m;
  }
}

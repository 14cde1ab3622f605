package org.fundus4j.evaluation.metrics;

import java.util.Arrays;

/** Mid-ranks (average ranks of tied values, 1-based) computed by sorting, O(N log N). */
final class MidRanks {
  private MidRanks() {}

  /** Returns the mid-rank of each value; ties share the mean of the ranks they span. */
  static double[] of(double[] values) {
    int n = values.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Double.compare(values[x], values[y]));
    double[] ranks = new double[n];
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && values[order[j + 1]] == values[order[i]]) {
        j++;
      }
      double mid = (i + j) / 2.0 + 1.0;
      for (int k = i; k <= j; k++) {
        ranks[order[k]] = mid;
      }
      i = j + 1;
    }
    return ranks;
  }
}

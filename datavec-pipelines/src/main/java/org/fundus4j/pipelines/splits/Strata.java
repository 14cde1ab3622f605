package org.fundus4j.pipelines.splits;

import org.fundus4j.pipelines.Sample;

/** The stratification key of a sample: its class for single labels, its 0/1 vector for multi-label. */
final class Strata {

  private Strata() {}

  /**
   * Returns the per-class counts that stratification balances, for {@code dims} classes: one-hot of the
   * label for single-label samples, the 0/1 vector for multi-label ones, nothing for unlabelled ones.
   */
  static void addCounts(Sample s, int[] into) {
    if (s.labelCount() == 1) {
      into[s.label(0)]++;
    } else {
      for (int c = 0; c < s.labelCount(); c++) {
        if (s.label(c) != 0) {
          into[c]++;
        }
      }
    }
  }

  /** Returns the number of count dimensions needed for these samples. */
  static int dims(Iterable<Sample> samples) {
    int dims = 0;
    for (Sample s : samples) {
      if (s.labelCount() == 1) {
        if (s.label(0) < 0) {
          throw new IllegalArgumentException("Negative label " + s.label(0) + " for " + s.image());
        }
        dims = Math.max(dims, s.label(0) + 1);
      } else {
        dims = Math.max(dims, s.labelCount());
      }
    }
    return dims;
  }

  /** Returns a string key: the class for single labels, the vector for multi-label. */
  static String key(Sample s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.labelCount(); i++) {
      sb.append(i == 0 ? "" : ",").append(s.label(i));
    }
    return sb.toString();
  }
}

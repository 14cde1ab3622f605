package org.fundus4j.pipelines.splits;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.fundus4j.pipelines.Sample;

/**
 * Stratified, nested subsets of a training set for data-efficiency curves (the paper's 1, 5, 10, 25, 50
 * and 100 % of the labelled data).
 *
 * <p>Samples are grouped by their label (class, or 0/1 vector for multi-label) and each group is put in one
 * seeded random order; fraction {@code f} takes the first {@code max(1, round(f * n))} samples of every
 * group of size {@code n}. Because every fraction is a prefix of the same orders, each smaller fraction is
 * inside each larger one. Keeping at least one sample per label keeps every class present (so AUC stays
 * defined) at the cost of slightly over-representing rare classes at 1 %. Sampling is per image, as the
 * paper subsamples images; split by patient first ({@link PatientKFold}) so test patients stay out.
 *
 * <pre>{@code
 * Map<Double, List<Sample>> subsets = DataFractions.nested(train, DataFractions.PAPER, 42);
 * List<Sample> tenPercent = subsets.get(0.10);
 * }</pre>
 */
public final class DataFractions {

  /** The fractions of the paper: 1, 5, 10, 25, 50 and 100 %. */
  public static final double[] PAPER = {0.01, 0.05, 0.10, 0.25, 0.50, 1.0};

  private DataFractions() {}

  /**
   * Returns, for each fraction (ascending), its subset in the order of {@code samples}.
   *
   * @param fractions values in (0, 1], no duplicates
   */
  public static Map<Double, List<Sample>> nested(List<Sample> samples, double[] fractions, long seed) {
    double[] fs = fractions.clone();
    Arrays.sort(fs);
    for (int i = 0; i < fs.length; i++) {
      if (!(fs[i] > 0 && fs[i] <= 1)) {
        throw new IllegalArgumentException("Fractions must be in (0, 1], got " + fs[i]);
      }
      if (i > 0 && fs[i] == fs[i - 1]) {
        throw new IllegalArgumentException("Duplicate fraction " + fs[i]);
      }
    }
    Map<String, List<Integer>> byStratum = new TreeMap<>();
    for (int i = 0; i < samples.size(); i++) {
      byStratum.computeIfAbsent(Strata.key(samples.get(i)), s -> new ArrayList<>()).add(i);
    }
    Random rnd = new Random(seed);
    for (List<Integer> idx : byStratum.values()) {
      Collections.shuffle(idx, rnd);
    }
    Map<Double, List<Sample>> out = new LinkedHashMap<>();
    for (double f : fs) {
      boolean[] in = new boolean[samples.size()];
      for (List<Integer> idx : byStratum.values()) {
        int take = Math.min(idx.size(), Math.max(1, (int) Math.round(f * idx.size())));
        for (int j = 0; j < take; j++) {
          in[idx.get(j)] = true;
        }
      }
      List<Sample> subset = new ArrayList<>();
      for (int i = 0; i < samples.size(); i++) {
        if (in[i]) {
          subset.add(samples.get(i));
        }
      }
      out.put(f, List.copyOf(subset));
    }
    return out;
  }
}

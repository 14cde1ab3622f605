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
 * K-fold cross-validation stratified by label and grouped by patient: no patient is in two folds.
 *
 * <p>Patients are the units. Each patient has a signature, the count of its samples per class (plus its
 * sample count); patients with the same signature are interchangeable, so the split is a table of how
 * many patients of each signature go to each fold. That table is filled greedily (largest signatures
 * first) and then improved by moving or swapping single patients between folds while the sum over folds
 * and classes of (count - total/k)&sup2; decreases; which patients of a signature go where is a seeded
 * shuffle. On typical data (one or two eyes per patient) every fold ends within one sample per class of
 * {@code total/k}. The result depends only on the samples, {@code k} and the seed, so write it with
 * {@link SplitFiles#writeFolds} and the run can be repeated.
 *
 * <pre>{@code
 * List<Fold> folds = PatientKFold.split(samples, 5, 42);
 * for (Fold f : folds) { train(f.train()); evaluate(f.test()); }
 * }</pre>
 */
public final class PatientKFold {

  private PatientKFold() {}

  /** Splits into {@code k} folds (2 &le; k &le; number of patients); fold order and contents are seeded. */
  public static List<Fold> split(List<Sample> samples, int k, long seed) {
    int[] foldOf = assign(samples, k, seed);
    List<Fold> folds = new ArrayList<>();
    for (int f = 0; f < k; f++) {
      List<Sample> train = new ArrayList<>();
      List<Sample> test = new ArrayList<>();
      for (int i = 0; i < samples.size(); i++) {
        (foldOf[i] == f ? test : train).add(samples.get(i));
      }
      folds.add(new Fold(f, train, test));
    }
    return folds;
  }

  /** Returns the test fold of every sample, in the order of {@code samples}. */
  public static int[] assign(List<Sample> samples, int k, long seed) {
    Map<String, List<Integer>> byPatient = new LinkedHashMap<>();
    for (int i = 0; i < samples.size(); i++) {
      byPatient.computeIfAbsent(samples.get(i).patientId(), p -> new ArrayList<>()).add(i);
    }
    if (k < 2 || k > byPatient.size()) {
      throw new IllegalArgumentException("k must be between 2 and the number of patients (" + byPatient.size()
          + "), got " + k);
    }
    int dims = Strata.dims(samples) + 1; // last dimension: number of samples
    // Signature -> patients, in a seeded random order; TreeMap keeps signature order stable.
    Map<String, List<String>> bySignature = new TreeMap<>();
    Map<String, int[]> signatureCounts = new LinkedHashMap<>();
    List<String> patients = new ArrayList<>(byPatient.keySet());
    Collections.sort(patients);
    Collections.shuffle(patients, new Random(seed));
    for (String p : patients) {
      int[] counts = new int[dims];
      for (int i : byPatient.get(p)) {
        Strata.addCounts(samples.get(i), counts);
        counts[dims - 1]++;
      }
      String sig = Arrays.toString(counts);
      signatureCounts.putIfAbsent(sig, counts);
      bySignature.computeIfAbsent(sig, s -> new ArrayList<>()).add(p);
    }
    List<String> sigs = new ArrayList<>(bySignature.keySet());
    // Largest signatures first (most samples), the usual first-fit-decreasing order.
    sigs.sort((a, b) -> Integer.compare(signatureCounts.get(b)[dims - 1], signatureCounts.get(a)[dims - 1]));
    int nSig = sigs.size();
    int[][] sig = new int[nSig][];
    int[] available = new int[nSig];
    double[] target = new double[dims];
    for (int s = 0; s < nSig; s++) {
      sig[s] = signatureCounts.get(sigs.get(s));
      available[s] = bySignature.get(sigs.get(s)).size();
      for (int d = 0; d < dims; d++) {
        target[d] += (double) sig[s][d] * available[s] / k;
      }
    }
    int[][] table = new int[nSig][k];
    long[][] load = new long[k][dims];
    Random rnd = new Random(seed ^ 0x5DEECE66DL);
    for (int s = 0; s < nSig; s++) {
      for (int n = 0; n < available[s]; n++) {
        int best = -1;
        double bestDelta = Double.POSITIVE_INFINITY;
        int start = rnd.nextInt(k);
        for (int j = 0; j < k; j++) {
          int f = (start + j) % k;
          double delta = deltaAdd(load[f], sig[s], target, +1);
          if (delta < bestDelta - 1e-9) {
            bestDelta = delta;
            best = f;
          }
        }
        table[s][best]++;
        add(load[best], sig[s], +1);
      }
    }
    improve(table, load, sig, target, k);
    int[] foldOf = new int[samples.size()];
    for (int s = 0; s < nSig; s++) {
      List<String> ps = bySignature.get(sigs.get(s));
      int pos = 0;
      for (int f = 0; f < k; f++) {
        for (int n = 0; n < table[s][f]; n++) {
          for (int i : byPatient.get(ps.get(pos))) {
            foldOf[i] = f;
          }
          pos++;
        }
      }
    }
    return foldOf;
  }

  /** Moves and swaps single patients between folds while the squared deviation decreases. */
  private static void improve(int[][] table, long[][] load, int[][] sig, double[] target, int k) {
    int nSig = sig.length;
    for (int round = 0; round < 10_000; round++) {
      double bestGain = 1e-9;
      int[] bestMove = null;
      for (int s = 0; s < nSig; s++) {
        for (int a = 0; a < k; a++) {
          if (table[s][a] == 0) {
            continue;
          }
          for (int b = 0; b < k; b++) {
            if (a == b) {
              continue;
            }
            // Move one patient of signature s from fold a to fold b.
            double gain = -(deltaAdd(load[a], sig[s], target, -1) + deltaAdd(load[b], sig[s], target, +1));
            if (gain > bestGain) {
              bestGain = gain;
              bestMove = new int[] {s, a, b, -1};
            }
            // Swap with one patient of signature t from fold b to fold a.
            for (int t = 0; t < nSig; t++) {
              if (t == s || table[t][b] == 0) {
                continue;
              }
              double g = -(swapDelta(load[a], sig[t], sig[s], target) + swapDelta(load[b], sig[s], sig[t], target));
              if (g > bestGain) {
                bestGain = g;
                bestMove = new int[] {s, a, b, t};
              }
            }
          }
        }
      }
      if (bestMove == null) {
        return;
      }
      int s = bestMove[0];
      int a = bestMove[1];
      int b = bestMove[2];
      int t = bestMove[3];
      table[s][a]--;
      table[s][b]++;
      add(load[a], sig[s], -1);
      add(load[b], sig[s], +1);
      if (t >= 0) {
        table[t][b]--;
        table[t][a]++;
        add(load[b], sig[t], -1);
        add(load[a], sig[t], +1);
      }
    }
  }

  private static double deltaAdd(long[] load, int[] sig, double[] target, int sign) {
    double delta = 0;
    for (int d = 0; d < load.length; d++) {
      double before = load[d] - target[d];
      double after = before + sign * sig[d];
      delta += after * after - before * before;
    }
    return delta;
  }

  /** Change of squared deviation of a fold that gains {@code in} and loses {@code out}. */
  private static double swapDelta(long[] load, int[] in, int[] out, double[] target) {
    double delta = 0;
    for (int d = 0; d < load.length; d++) {
      double before = load[d] - target[d];
      double after = before + in[d] - out[d];
      delta += after * after - before * before;
    }
    return delta;
  }

  private static void add(long[] load, int[] sig, int sign) {
    for (int d = 0; d < load.length; d++) {
      load[d] += (long) sign * sig[d];
    }
  }
}

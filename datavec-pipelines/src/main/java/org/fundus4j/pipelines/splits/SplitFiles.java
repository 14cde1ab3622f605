package org.fundus4j.pipelines.splits;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.fundus4j.pipelines.Csv;
import org.fundus4j.pipelines.Sample;

/**
 * Writes and reads split files (CSV), so that a cross-validation or data-fraction run can be repeated.
 *
 * <p>Folds: header {@code image,mask,patient_id,labels,fold}, one row per sample with its test fold.
 * Fractions: header {@code image,mask,patient_id,labels,fraction}, one row per sample of the largest
 * subset with the smallest fraction that contains it. {@code labels} is the label vector separated by
 * spaces; paths below the file's folder are relative to it. The files are byte-identical for the same
 * samples, split and seed.
 *
 * <pre>{@code
 * SplitFiles.writeFolds(PatientKFold.split(samples, 5, 42), Path.of("out/folds.csv"));
 * List<Fold> again = SplitFiles.readFolds(Path.of("out/folds.csv"));
 * }</pre>
 */
public final class SplitFiles {

  private static final List<String> FOLD_HEADER = List.of("image", "mask", "patient_id", "labels", "fold");
  private static final List<String> FRACTION_HEADER = List.of("image", "mask", "patient_id", "labels", "fraction");

  private SplitFiles() {}

  /** Writes the folds' test sets (every sample once, in fold order then sample order). */
  public static void writeFolds(List<Fold> folds, Path csv) {
    Path dir = csv.toAbsolutePath().getParent();
    List<List<String>> rows = new ArrayList<>();
    for (Fold f : folds) {
      for (Sample s : f.test()) {
        List<String> row = sampleColumns(dir, s);
        row.add(Integer.toString(f.index()));
        rows.add(row);
      }
    }
    Csv.write(csv, FOLD_HEADER, rows);
  }

  /** Reads folds written by {@link #writeFolds}; train sets are rebuilt as all other folds' samples. */
  public static List<Fold> readFolds(Path csv) {
    Csv.Table t = Csv.read(csv);
    requireHeader(t, FOLD_HEADER);
    Path dir = csv.toAbsolutePath().getParent();
    TreeMap<Integer, List<Sample>> tests = new TreeMap<>();
    List<Sample> all = new ArrayList<>();
    List<Integer> foldOf = new ArrayList<>();
    for (int r = 0; r < t.rows().size(); r++) {
      Sample s = sample(t, r, dir);
      int fold = Csv.parseInt(t, r, 4);
      tests.computeIfAbsent(fold, f -> new ArrayList<>()).add(s);
      all.add(s);
      foldOf.add(fold);
    }
    List<Fold> folds = new ArrayList<>();
    int expected = 0;
    for (int f : tests.keySet()) {
      if (f != expected++) {
        throw new IllegalArgumentException(csv + ": folds must be numbered 0..k-1 without gaps, got " + tests.keySet());
      }
      List<Sample> train = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        if (foldOf.get(i) != f) {
          train.add(all.get(i));
        }
      }
      folds.add(new Fold(f, train, tests.get(f)));
    }
    return folds;
  }

  /** Writes nested fractions (as returned by {@link DataFractions#nested}). */
  public static void writeFractions(Map<Double, List<Sample>> fractions, Path csv) {
    Path dir = csv.toAbsolutePath().getParent();
    List<Double> fs = new ArrayList<>(fractions.keySet());
    Collections.sort(fs);
    Map<Sample, Double> smallest = new LinkedHashMap<>();
    for (double f : fs) {
      for (Sample s : fractions.get(f)) {
        smallest.putIfAbsent(s, f);
      }
    }
    List<Sample> largest = fs.isEmpty() ? List.of() : fractions.get(fs.get(fs.size() - 1));
    List<List<String>> rows = new ArrayList<>();
    for (Sample s : largest) {
      List<String> row = sampleColumns(dir, s);
      row.add(String.format(Locale.ROOT, "%s", smallest.get(s)));
      rows.add(row);
    }
    Csv.write(csv, FRACTION_HEADER, rows);
  }

  /** Reads fractions written by {@link #writeFractions}; each subset keeps the file's sample order. */
  public static Map<Double, List<Sample>> readFractions(Path csv) {
    Csv.Table t = Csv.read(csv);
    requireHeader(t, FRACTION_HEADER);
    Path dir = csv.toAbsolutePath().getParent();
    List<Sample> all = new ArrayList<>();
    List<Double> smallest = new ArrayList<>();
    TreeMap<Double, List<Sample>> out = new TreeMap<>();
    for (int r = 0; r < t.rows().size(); r++) {
      all.add(sample(t, r, dir));
      String v = t.rows().get(r).get(4).trim();
      try {
        smallest.add(Double.parseDouble(v));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(csv + " line " + t.lines().get(r) + ": fraction '" + v + "' is not a number");
      }
      out.put(smallest.get(r), null);
    }
    Map<Double, List<Sample>> result = new LinkedHashMap<>();
    for (double f : out.keySet()) {
      List<Sample> subset = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        if (smallest.get(i) <= f) {
          subset.add(all.get(i));
        }
      }
      result.put(f, List.copyOf(subset));
    }
    return result;
  }

  private static List<String> sampleColumns(Path dir, Sample s) {
    List<String> row = new ArrayList<>();
    row.add(Csv.relativize(dir, s.image()));
    row.add(s.mask() == null ? "" : Csv.relativize(dir, s.mask()));
    row.add(s.patientId());
    StringBuilder labels = new StringBuilder();
    for (int i = 0; i < s.labelCount(); i++) {
      labels.append(i == 0 ? "" : " ").append(s.label(i));
    }
    row.add(labels.toString());
    return row;
  }

  private static Sample sample(Csv.Table t, int r, Path dir) {
    List<String> row = t.rows().get(r);
    String labelText = row.get(3).trim();
    int[] labels;
    try {
      labels = labelText.isEmpty() ? new int[0]
          : java.util.Arrays.stream(labelText.split("\\s+")).mapToInt(Integer::parseInt).toArray();
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(t.file() + " line " + t.lines().get(r) + ": labels '" + labelText
          + "' are not space-separated integers");
    }
    String mask = row.get(1).trim();
    return new Sample(dir.resolve(row.get(0).trim()).normalize(), row.get(2).trim(), labels,
        mask.isEmpty() ? null : dir.resolve(mask).normalize());
  }

  private static void requireHeader(Csv.Table t, List<String> header) {
    if (!t.header().equals(header)) {
      throw new IllegalArgumentException(t.file() + ": expected header " + header + ", got " + t.header());
    }
  }
}

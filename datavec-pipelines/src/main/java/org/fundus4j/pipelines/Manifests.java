package org.fundus4j.pipelines;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.pipelines.sources.GenericCsv;

/**
 * Reads and writes sample lists as CSV manifests in the {@link GenericCsv generic CSV} format.
 *
 * <p>Header {@code image,<label columns>,mask,patient_id} ({@code mask} only when a sample has one);
 * paths below the CSV's folder are written relative to it, so a data folder can be moved as a whole.
 *
 * <pre>{@code
 * Manifests.writeCsv(samples, Path.of("out/train.csv"));
 * List<Sample> again = Manifests.readCsv(Path.of("out/train.csv"));
 * }</pre>
 */
public final class Manifests {

  private Manifests() {}

  /** Reads a manifest (or any generic labels CSV); paths come back absolute and normalised. */
  public static List<Sample> readCsv(Path csv) {
    return GenericCsv.read(csv).samples();
  }

  /** Writes samples with label columns named {@code label} (one label) or {@code label_1..label_n}. */
  public static void writeCsv(List<Sample> samples, Path csv) {
    int n = samples.isEmpty() ? 1 : samples.get(0).labelCount();
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      names.add(n == 1 ? "label" : "label_" + i);
    }
    writeCsv(samples, names, csv);
  }

  /** Writes samples with the given label column names; every sample must have that many labels. */
  public static void writeCsv(List<Sample> samples, List<String> labelNames, Path csv) {
    boolean masks = samples.stream().anyMatch(s -> s.mask() != null);
    List<String> header = new ArrayList<>();
    header.add("image");
    header.addAll(labelNames);
    if (masks) {
      header.add("mask");
    }
    header.add("patient_id");
    Path dir = csv.toAbsolutePath().getParent();
    List<List<String>> rows = new ArrayList<>();
    for (Sample s : samples) {
      if (s.labelCount() != labelNames.size()) {
        throw new IllegalArgumentException("Sample " + s.image() + " has " + s.labelCount() + " labels, expected "
            + labelNames.size() + " " + labelNames);
      }
      List<String> row = new ArrayList<>();
      row.add(Csv.relativize(dir, s.image()));
      for (int i = 0; i < s.labelCount(); i++) {
        row.add(Integer.toString(s.label(i)));
      }
      if (masks) {
        row.add(s.mask() == null ? "" : Csv.relativize(dir, s.mask()));
      }
      row.add(s.patientId());
      rows.add(row);
    }
    Csv.write(csv, header, rows);
  }
}

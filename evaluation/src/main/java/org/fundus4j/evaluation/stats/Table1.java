package org.fundus4j.evaluation.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fundus4j.evaluation.metrics.DeLong;

/**
 * A table laid out like Table 1 of Jang et al. (arXiv 2408.08790): one row per pretraining start and
 * input resolution, one column group per protocol (linear probe, fine-tune), each cell the
 * cross-validated AUC mean ± SD and DeLong's p-value against a chosen baseline.
 *
 * <p>p-values compare pooled out-of-fold predictions. When a cell's pooled labels equal the
 * baseline's (the same cases in the same order, as with fixed folds) the paired test is used
 * (pROC {@code paired = TRUE}), otherwise the unpaired one.
 *
 * <pre>{@code
 * Table1 t = Table1.of(List.of(new Table1.Entry(new Table1.Key("ImageNet", 512, Table1.Protocol.FINE_TUNE), folds), ...),
 *     new Table1.Key("ImageNet", 512, Table1.Protocol.FINE_TUNE));
 * Files.writeString(out, t.toMarkdown());
 * }</pre>
 */
public final class Table1 {
  /** How the downstream model was trained. */
  public enum Protocol {
    /** Frozen backbone, trained head (LP). */
    LINEAR_PROBE("LP"),
    /** Whole network trained (FT). */
    FINE_TUNE("FT");

    private final String abbreviation;

    Protocol(String abbreviation) {
      this.abbreviation = abbreviation;
    }

    /** Returns "LP" or "FT" as in the paper. */
    public String abbreviation() {
      return abbreviation;
    }
  }

  /**
   * Identifies one cell.
   *
   * @param start the pretraining start, e.g. "ImageNet", "Fundus", "ImageNet+Fundus"
   * @param resolution input side in pixels
   * @param protocol LP or FT
   */
  public record Key(String start, int resolution, Protocol protocol) {
    /** Checks the values. */
    public Key {
      if (start == null || start.isBlank()) {
        throw new IllegalArgumentException("pretraining start must not be blank");
      }
      if (resolution <= 0) {
        throw new IllegalArgumentException("resolution must be > 0, got " + resolution);
      }
      if (protocol == null) {
        throw new IllegalArgumentException("protocol must not be null");
      }
    }
  }

  /**
   * The folds of one cell.
   *
   * @param key the cell
   * @param folds out-of-fold predictions per fold
   */
  public record Entry(Key key, List<Fold> folds) {
    /** Copies the list. */
    public Entry {
      folds = List.copyOf(folds);
    }
  }

  /**
   * A computed cell.
   *
   * @param key the cell
   * @param summary its cross-validation summary
   * @param pValue DeLong's two-sided p against the baseline; NaN for the baseline itself
   * @param paired whether the paired test was used
   */
  public record Cell(Key key, CrossValidationSummary summary, double pValue, boolean paired) {}

  private final Map<Key, Cell> cells;
  private final Key baseline;

  private Table1(Map<Key, Cell> cells, Key baseline) {
    this.cells = cells;
    this.baseline = baseline;
  }

  /**
   * Computes every cell and its p-value against {@code baseline}.
   *
   * @throws IllegalArgumentException when the baseline is not among the entries or a key repeats
   */
  public static Table1 of(List<Entry> entries, Key baseline) {
    Map<Key, CrossValidationSummary> summaries = new LinkedHashMap<>();
    for (Entry e : entries) {
      if (summaries.put(e.key(), CrossValidationSummary.of(e.folds())) != null) {
        throw new IllegalArgumentException("duplicate cell " + e.key());
      }
    }
    CrossValidationSummary base = summaries.get(baseline);
    if (base == null) {
      throw new IllegalArgumentException("baseline " + baseline + " is not among the cells "
          + summaries.keySet());
    }
    Map<Key, Cell> cells = new LinkedHashMap<>();
    for (var e : summaries.entrySet()) {
      CrossValidationSummary s = e.getValue();
      if (e.getKey().equals(baseline)) {
        cells.put(e.getKey(), new Cell(e.getKey(), s, Double.NaN, false));
        continue;
      }
      boolean paired = Arrays.equals(s.pooledLabels(), base.pooledLabels());
      double p = paired
          ? DeLong.paired(s.pooledScores(), base.pooledScores(), s.pooledLabels()).p()
          : DeLong.unpaired(s.pooledScores(), s.pooledLabels(), base.pooledScores(), base.pooledLabels()).p();
      cells.put(e.getKey(), new Cell(e.getKey(), s, p, paired));
    }
    return new Table1(cells, baseline);
  }

  /** Returns the baseline key. */
  public Key baseline() {
    return baseline;
  }

  /** Returns the cells in input order. */
  public List<Cell> cells() {
    return List.copyOf(cells.values());
  }

  /** Returns the cell for {@code key}, or throws naming the known keys. */
  public Cell cell(Key key) {
    Cell c = cells.get(key);
    if (c == null) {
      throw new IllegalArgumentException("no cell " + key + "; cells: " + cells.keySet());
    }
    return c;
  }

  /** Column headers: "Start", "Resolution", then "LP AUC", "LP p", "FT AUC", "FT p" for the protocols present. */
  public List<String> header() {
    List<String> h = new ArrayList<>(List.of("Start", "Resolution"));
    for (Protocol p : protocols()) {
      h.add(p.abbreviation() + " AUC (mean \u00b1 SD)");
      h.add(p.abbreviation() + " p vs baseline");
    }
    return h;
  }

  /** Rows of text cells matching {@link #header()}; a missing cell is "-", the baseline's p is "baseline". */
  public List<List<String>> rows() {
    Map<String, List<String>> rows = new LinkedHashMap<>();
    List<Protocol> protocols = protocols();
    for (Key k : cells.keySet()) {
      String rowKey = k.start() + "\u0000" + k.resolution();
      rows.computeIfAbsent(rowKey, r -> {
        List<String> row = new ArrayList<>(List.of(k.start(), Integer.toString(k.resolution())));
        for (Protocol p : protocols) {
          Cell c = cells.get(new Key(k.start(), k.resolution(), p));
          row.add(c == null ? "-" : c.summary().meanAndSd());
          row.add(c == null ? "-" : c.key().equals(baseline) ? "baseline" : formatP(c.pValue()));
        }
        return row;
      });
    }
    return List.copyOf(rows.values());
  }

  /** Returns the table as GitHub Markdown. */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    List<String> h = header();
    sb.append("| ").append(String.join(" | ", h)).append(" |\n");
    sb.append("|").append("---|".repeat(h.size())).append('\n');
    for (List<String> r : rows()) {
      sb.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    return sb.toString();
  }

  private List<Protocol> protocols() {
    return Arrays.stream(Protocol.values())
        .filter(p -> cells.keySet().stream().anyMatch(k -> k.protocol() == p)).toList();
  }

  /** Formats a p-value: "< 0.001" below 0.001, else three decimals. */
  public static String formatP(double p) {
    if (Double.isNaN(p)) {
      return "NaN";
    }
    return p < 0.001 ? "< 0.001" : String.format(Locale.ROOT, "%.3f", p);
  }
}

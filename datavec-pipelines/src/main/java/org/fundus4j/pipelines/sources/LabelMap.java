package org.fundus4j.pipelines.sources;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * Target label to the source columns (or classes) OR-merged into it, in order; e.g. RVO = BRVO | CRVO.
 *
 * @param targets target label name to its source column names
 */
public record LabelMap(Map<String, List<String>> targets) {
  public LabelMap {
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("A label map needs at least one target label");
    }
    Map<String, List<String>> copy = new LinkedHashMap<>();
    targets.forEach((k, v) -> {
      if (v == null || v.isEmpty()) {
        throw new IllegalArgumentException("Label map target '" + k + "' names no source column");
      }
      copy.put(k, List.copyOf(v));
    });
    targets = java.util.Collections.unmodifiableMap(copy);
  }

  /** The multi-label set with one column per target, set when any of its source columns is set. */
  public LabelledSet apply(LabelledSet set) {
    if (set.kind() != LabelKind.MULTI_LABEL && set.kind() != LabelKind.BINARY) {
      throw new IllegalArgumentException("A label map merges 0/1 label columns; " + set.layout() + " has "
          + set.kind() + " labels");
    }
    List<String> names = set.classNames();
    List<int[]> columns = new ArrayList<>();
    for (Map.Entry<String, List<String>> t : targets.entrySet()) {
      int[] idx = new int[t.getValue().size()];
      for (int i = 0; i < idx.length; i++) {
        idx[i] = names.indexOf(t.getValue().get(i));
        if (idx[i] < 0) {
          throw new IllegalArgumentException("Label map target '" + t.getKey() + "': " + set.layout()
              + " has no column '" + t.getValue().get(i) + "'; its columns are " + names);
        }
      }
      columns.add(idx);
    }
    List<Sample> out = new ArrayList<>();
    for (Sample s : set.samples()) {
      int[] labels = new int[columns.size()];
      for (int c = 0; c < labels.length; c++) {
        for (int source : columns.get(c)) {
          labels[c] |= s.labels()[source] != 0 ? 1 : 0;
        }
      }
      out.add(new Sample(s.image(), s.patientId(), labels, s.mask()));
    }
    return new LabelledSet(set.layout(), out, List.copyOf(targets.keySet()), LabelKind.MULTI_LABEL);
  }
}

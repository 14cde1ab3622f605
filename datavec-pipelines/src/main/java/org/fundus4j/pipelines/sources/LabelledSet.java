package org.fundus4j.pipelines.sources;

import java.util.List;
import java.util.Objects;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * The samples a source found, with the class names their labels refer to and the kind of labels.
 *
 * @param layout the source layout, e.g. {@code "RFMiD"}, for messages
 * @param samples the samples in a stable order (sorted file names or CSV order)
 * @param classNames for multi-label the label columns; for binary/multi-class the class of each index
 * @param kind how the labels are meant
 */
public record LabelledSet(String layout, List<Sample> samples, List<String> classNames, LabelKind kind) {

  /**
   * Copies the lists and checks that there is at least one sample and that no image is listed twice with
   * different labels or patients (an identical repeat is kept as it is).
   */
  public LabelledSet {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(kind, "kind");
    samples = List.copyOf(samples);
    classNames = List.copyOf(classNames);
    if (samples.isEmpty()) {
      throw new IllegalArgumentException(layout + ": no images found");
    }
    java.util.Map<java.nio.file.Path, Sample> seen = new java.util.HashMap<>();
    for (Sample s : samples) {
      Sample first = seen.putIfAbsent(s.image().toAbsolutePath().normalize(), s);
      if (first != null && (!java.util.Arrays.equals(first.labels(), s.labels())
          || !first.patientId().equals(s.patientId()))) {
        throw new IllegalArgumentException(layout + ": " + s.image() + " is listed twice and the rows contradict "
            + "each other: labels " + java.util.Arrays.toString(first.labels()) + " vs "
            + java.util.Arrays.toString(s.labels()) + (first.patientId().equals(s.patientId()) ? ""
            : ", and two different patients") + "; keep one row");
      }
    }
  }

  /** Returns the number of classes (label columns for multi-label, classes otherwise). */
  public int numClasses() {
    return classNames.size();
  }
}

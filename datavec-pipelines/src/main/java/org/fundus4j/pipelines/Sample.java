package org.fundus4j.pipelines;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * One labelled fundus image: the image file, the patient it belongs to, its labels and an optional mask.
 *
 * <p>{@code labels} follow the {@link LabelKind} in use: {@code {0|1}} for binary, {@code {classIndex}}
 * for multi-class, one 0/1 entry per class for multi-label; it may be empty for unlabelled images (a
 * screening run). {@code mask} is {@code null} unless the sample is for segmentation. The patient id is
 * used for grouping splits only and must never be logged.
 *
 * <pre>{@code
 * Sample s = new Sample(Path.of("img/0001_R.dcm"), "SYN0001", new int[] {1}, null);
 * }</pre>
 */
public record Sample(Path image, String patientId, int[] labels, Path mask) {

  /** Checks the fields and copies the label array. */
  public Sample {
    Objects.requireNonNull(image, "image path");
    Objects.requireNonNull(labels, "labels (use an empty array for unlabelled images)");
    if (patientId == null || patientId.isBlank()) {
      throw new IllegalArgumentException("Sample " + image + " has no patient id; splits group by patient,"
          + " so give each image its patient (or the image's own name when patients are unknown)");
    }
    labels = labels.clone();
  }

  /** Returns a copy of the labels. */
  @Override
  public int[] labels() {
    return labels.clone();
  }

  /** Returns label {@code i} without copying the array. */
  public int label(int i) {
    return labels[i];
  }

  /** Returns the number of label entries. */
  public int labelCount() {
    return labels.length;
  }

  /** Returns a copy whose image and mask paths are resolved against {@code dir} and normalised. */
  public Sample resolvedAgainst(Path dir) {
    return new Sample(dir.resolve(image).normalize(), patientId, labels,
        mask == null ? null : dir.resolve(mask).normalize());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Sample s && image.equals(s.image) && patientId.equals(s.patientId)
        && Arrays.equals(labels, s.labels) && Objects.equals(mask, s.mask);
  }

  @Override
  public int hashCode() {
    return Objects.hash(image, patientId, Arrays.hashCode(labels), mask);
  }

  /** Shows the image path and labels but not the patient id (ids must not reach logs). */
  @Override
  public String toString() {
    return "Sample[" + image + ", labels=" + Arrays.toString(labels) + (mask == null ? "" : ", mask=" + mask) + "]";
  }
}

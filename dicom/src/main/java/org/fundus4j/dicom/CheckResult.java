package org.fundus4j.dicom;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Outcome of checking one file with {@link DicomCheck#check(Path)}.
 *
 * <p>{@code ok} means the header was read and the pixels decoded; then {@code reason} is
 * {@code null}. When not ok, {@code reason} says why (naming the tag or field), and {@code info}
 * holds the header if it could be read (for example for a structured report) or is
 * {@code null} when even the header was unreadable.
 *
 * @param file the checked file
 * @param sizeBytes its size in bytes (0 if it could not be determined)
 * @param ok whether header and pixels were read
 * @param info header, or {@code null} if unreadable
 * @param reason why it is not ok, or {@code null} when ok
 */
public record CheckResult(Path file, long sizeBytes, boolean ok, InstanceInfo info, String reason) {

  /** Checks that an ok result has header and no reason, and a failed one has a reason. */
  public CheckResult {
    Objects.requireNonNull(file, "file");
    if (sizeBytes < 0) {
      throw new IllegalArgumentException("sizeBytes must not be negative: " + sizeBytes);
    }
    if (ok && (info == null || reason != null)) {
      throw new IllegalArgumentException("An ok result needs info and no reason: " + file);
    }
    if (!ok && (reason == null || reason.isBlank())) {
      throw new IllegalArgumentException("A failed result needs a reason: " + file);
    }
  }
}

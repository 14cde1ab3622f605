package org.fundus4j.dicom.net;

/**
 * Progress of a pull, push or node queue, for a progress bar: {@code done} of {@code total} items.
 *
 * <p>Called from worker threads; implementations must be thread-safe and fast.
 */
@FunctionalInterface
public interface ProgressListener {

  /** A listener that ignores progress. */
  ProgressListener NONE = (done, total) -> { };

  /** {@code done} items finished out of {@code total} (total may grow while a pull discovers instances). */
  void progress(long done, long total);
}

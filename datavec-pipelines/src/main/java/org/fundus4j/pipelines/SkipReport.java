package org.fundus4j.pipelines;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files a run could not read or decode, each with the reason; thread-safe.
 *
 * <p>Readers and iterators log a bad file once, record it here and go on with the next one. A file that
 * fails again in a later epoch is counted once (the first reason is kept), so {@link #count()} is the
 * number of distinct skipped files for the run's summary.
 *
 * <pre>{@code
 * SkipReport skips = new SkipReport();
 * DataSetIterator it = FundusDataSets.iterator(samples, Pipelines.evaluation(256), LabelKind.BINARY, 2, 8, skips);
 * ...
 * System.out.println(skips.summary());
 * }</pre>
 */
public final class SkipReport {

  /** One skipped file and why. */
  public record Entry(Path file, String reason) {
    /** Checks that both fields are present. */
    public Entry {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(reason, "reason");
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(SkipReport.class);
  private final Map<Path, Entry> entries = new LinkedHashMap<>();

  /** Records that {@code file} was skipped for {@code reason}; logs it the first time. */
  public synchronized void add(Path file, String reason) {
    if (!entries.containsKey(file)) {
      entries.put(file, new Entry(file, reason == null ? "unknown error" : reason));
      LOG.warn("Skipping {}: {}", file, reason);
    }
  }

  /** Returns the skipped files in the order they were first seen. */
  public synchronized List<Entry> entries() {
    return List.copyOf(new ArrayList<>(entries.values()));
  }

  /** Returns the number of distinct skipped files. */
  public synchronized int count() {
    return entries.size();
  }

  /** Returns a one-line summary such as {@code "2 files skipped"} or {@code "no files skipped"}. */
  public synchronized String summary() {
    return entries.isEmpty() ? "no files skipped" : entries.size() + (entries.size() == 1 ? " file" : " files") + " skipped";
  }
}

package org.fundus4j.dicom.store;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The record of every instance's state: a {@link Journal} (append-only, fsynced, escaped tab-separated
 * lines), replayed on open (the last line per SOP Instance UID wins).
 *
 * <p>A process killed while appending leaves at most one torn last line; {@link #open(Path)} cuts
 * it off, so the manifest is always the state as of the last completed {@link #record}. A line that
 * cannot be read (edited by hand, or written with an invalid UID by an older version) is moved to
 * {@code manifest.tsv.quarantine} with a warning. Lines are
 * {@code time state sopInstanceUid studyUid seriesUid sopClassUid file detail}; the file is plain
 * text so administrators can {@code grep} it. Thread-safe.
 */
public final class Manifest implements AutoCloseable {

  private static final int FIELDS = 8;

  private final Journal journal;
  private final Map<String, ManifestEntry> entries = new LinkedHashMap<>();
  private long lines;

  private Manifest(Journal journal, Map<String, ManifestEntry> replayed, long lines) {
    this.journal = journal;
    this.entries.putAll(replayed);
    this.lines = lines;
  }

  /** Opens (or creates) the journal at {@code file}, repairing a torn last line and quarantining unreadable ones. */
  public static Manifest open(Path file) throws IOException {
    Map<String, ManifestEntry> replayed = new LinkedHashMap<>();
    long[] count = new long[1];
    Journal journal = Journal.open(file, FIELDS, f -> {
      ManifestEntry e = new ManifestEntry(f[2], f[3], f[4], f[5], InstanceState.valueOf(f[1]), f[6], f[7],
          Instant.parse(f[0]));
      replayed.remove(e.sopInstanceUid()); // keep order of latest update
      replayed.put(e.sopInstanceUid(), e);
      count[0]++;
    });
    return new Manifest(journal, replayed, count[0]);
  }

  /** Appends {@code entry} and fsyncs it before returning. */
  public synchronized void record(ManifestEntry entry) throws IOException {
    recordAll(List.of(entry));
  }

  /** Appends several entries with a single fsync (e.g. every FOUND instance of a C-FIND). */
  public synchronized void recordAll(List<ManifestEntry> batch) throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    List<String[]> rows = new ArrayList<>();
    for (ManifestEntry entry : batch) {
      rows.add(new String[] {entry.updated().toString(), entry.state().name(), entry.sopInstanceUid(),
          entry.studyInstanceUid(), entry.seriesInstanceUid(), entry.sopClassUid(), entry.file(), entry.detail()});
    }
    journal.append(rows);
    for (ManifestEntry entry : batch) {
      entries.remove(entry.sopInstanceUid());
      entries.put(entry.sopInstanceUid(), entry);
      lines++;
    }
  }
  /** The latest entry for a SOP Instance UID. */
  public synchronized Optional<ManifestEntry> get(String sopInstanceUid) {
    return Optional.ofNullable(entries.get(sopInstanceUid));
  }

  /** The latest entry of every instance, least recently updated first. */
  public synchronized List<ManifestEntry> entries() {
    return List.copyOf(new ArrayList<>(entries.values()));
  }

  /** How many instances are in each state (every state present, possibly 0). */
  public synchronized Map<InstanceState, Long> counts() {
    Map<InstanceState, Long> c = new EnumMap<>(InstanceState.class);
    for (InstanceState s : InstanceState.values()) {
      c.put(s, 0L);
    }
    for (ManifestEntry e : entries.values()) {
      c.merge(e.state(), 1L, Long::sum);
    }
    return c;
  }

  /** Number of journal lines (state changes) recorded so far. */
  public synchronized long journalLines() {
    return lines;
  }

  /** Lines quarantined when the manifest was opened. */
  public int quarantinedLines() {
    return journal.quarantinedLines();
  }

  /** The journal file. */
  public Path file() {
    return journal.file();
  }

  @Override
  public synchronized void close() throws IOException {
    journal.close();
  }
}

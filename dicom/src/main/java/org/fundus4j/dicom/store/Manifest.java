package org.fundus4j.dicom.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record of every instance's state: an append-only, fsynced journal of tab-separated lines,
 * replayed on open (the last line per SOP Instance UID wins).
 *
 * <p>A process killed while appending leaves at most one torn last line; {@link #open(Path)} cuts
 * it off, so the manifest is always the state as of the last completed {@link #record}. Lines are
 * {@code time state sopInstanceUid studyUid seriesUid sopClassUid file detail}; the file is plain
 * text so administrators can {@code grep} it. Thread-safe.
 */
public final class Manifest implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Manifest.class);
  private static final int FIELDS = 8;

  private final Path file;
  private final FileChannel channel;
  private final Map<String, ManifestEntry> entries = new LinkedHashMap<>();
  private long lines;

  private Manifest(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Opens (or creates) the journal at {@code file}, repairing a torn last line. */
  public static Manifest open(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    Manifest m = new Manifest(file, ch);
    try {
      m.replay();
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    return m;
  }

  private void replay() throws IOException {
    byte[] all = Files.readAllBytes(file);
    int end = all.length;
    while (end > 0 && all[end - 1] != '\n') {
      end--;
    }
    if (end < all.length) {
      LOG.warn("Manifest {}: cutting a torn last line of {} bytes (interrupted write)", file, all.length - end);
      channel.truncate(end);
      channel.force(true);
    }
    String text = new String(all, 0, end, StandardCharsets.UTF_8);
    int lineNo = 0;
    for (String line : text.split("\n")) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != FIELDS) {
        throw new IOException("Manifest " + file + " line " + lineNo + " has " + f.length + " fields, expected "
            + FIELDS + "; the file was edited or is not a fundus4j manifest");
      }
      ManifestEntry e;
      try {
        e = new ManifestEntry(f[2], f[3], f[4], f[5], InstanceState.valueOf(f[1]), f[6], f[7], Instant.parse(f[0]));
      } catch (RuntimeException ex) {
        throw new IOException("Manifest " + file + " line " + lineNo + " is invalid: " + ex.getMessage(), ex);
      }
      entries.remove(e.sopInstanceUid()); // keep order of latest update
      entries.put(e.sopInstanceUid(), e);
      lines++;
    }
    channel.position(end);
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
    StringBuilder text = new StringBuilder();
    for (ManifestEntry entry : batch) {
      text.append(String.join("\t", entry.updated().toString(), entry.state().name(), entry.sopInstanceUid(),
          entry.studyInstanceUid(), entry.seriesInstanceUid(), entry.sopClassUid(), entry.file(), entry.detail()))
          .append('\n');
    }
    ByteBuffer buf = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    channel.force(false);
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

  /** The journal file. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}

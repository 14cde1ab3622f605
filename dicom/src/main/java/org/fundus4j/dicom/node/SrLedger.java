package org.fundus4j.dicom.node;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fundus4j.dicom.Uids;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.store.Journal;

/**
 * The node's promise "one SR per (image SOP Instance UID, algorithm name, algorithm version)": an
 * append-only, fsynced journal of SRs written and sent, and of the same image's result for a second
 * destination ({@link ResultPublisher}, e.g. a FHIR Bundle), journalled the same way.
 *
 * <p>An SR is recorded WRITTEN (with its own SOP Instance UID and file) before it is sent, and SENT
 * after the destination accepted it. After a crash between the two, the same file, with the same
 * SOP Instance UID, is sent again, so the destination never receives two different SRs for one
 * image and model version. The ledger is a {@link Journal}, like the store's manifest: escaped lines, torn
 * last lines cut off and unreadable ones quarantined on open.
 */
public final class SrLedger implements AutoCloseable {

  /** Ledger states; each belongs to one {@link Channel}, and each channel keeps its own latest entry. */
  public enum State {
    /** SR file written, not yet acknowledged by the destination. */
    WRITTEN(Channel.SR),
    /** The destination accepted the SR. */
    SENT(Channel.SR),
    /** The {@link ResultPublisher}'s file (e.g. a FHIR Bundle) written, not yet acknowledged. */
    RESULT_WRITTEN(Channel.RESULT),
    /** The {@link ResultPublisher}'s destination accepted the file. */
    RESULT_SENT(Channel.RESULT);

    private final Channel channel;

    State(Channel channel) {
      this.channel = channel;
    }

    /** The channel this state belongs to. */
    public Channel channel() {
      return channel;
    }

    /** Whether this state means "accepted by the destination". */
    public boolean isSent() {
      return this == SENT || this == RESULT_SENT;
    }
  }

  /** What a ledger line is about: the SR itself, or the second result the node publishes for the image. */
  public enum Channel {
    /** The DICOM SR ({@link State#WRITTEN}, {@link State#SENT}). */
    SR,
    /** The {@link ResultPublisher}'s file ({@link State#RESULT_WRITTEN}, {@link State#RESULT_SENT}). */
    RESULT
  }

  /**
   * One ledger line.
   *
   * @param imageSopInstanceUid the screened image
   * @param algorithm name and version of the model
   * @param srSopInstanceUid the SR's SOP Instance UID (also on {@link Channel#RESULT} lines)
   * @param srFile the SR file, or on {@link Channel#RESULT} lines the published file, relative to the node's
   *     work dir
   * @param state WRITTEN or SENT
   */
  public record Entry(String imageSopInstanceUid, AlgorithmId algorithm, String srSopInstanceUid, String srFile,
      State state) {
    /** Requires valid UIDs ({@link Uids}), an algorithm, a file and a state. */
    public Entry {
      Uids.require(imageSopInstanceUid, "image SOP Instance UID");
      Uids.require(srSopInstanceUid, "SR SOP Instance UID");
      if (algorithm == null || srFile == null || srFile.isEmpty() || state == null) {
        throw new IllegalArgumentException("SR ledger entry needs an algorithm, an SR file and a state");
      }
    }
  }

  private static final int FIELDS = 7;

  private final Journal journal;
  private final Map<String, Entry> latest = new HashMap<>();

  private SrLedger(Journal journal, Map<String, Entry> replayed) {
    this.journal = journal;
    this.latest.putAll(replayed);
  }

  /** Opens or creates the ledger, replaying it; unreadable lines go to {@code <file>.quarantine}. */
  public static SrLedger open(Path file) throws IOException {
    Map<String, Entry> replayed = new HashMap<>();
    Journal journal = Journal.open(file, FIELDS, f -> {
      Instant.parse(f[0]);
      Entry e = new Entry(f[2], new AlgorithmId(f[3], f[4]), f[5], f[6], State.valueOf(f[1]));
      replayed.put(key(e.imageSopInstanceUid(), e.algorithm(), e.state().channel()), e);
    });
    return new SrLedger(journal, replayed);
  }

  private static String key(String imageSop, AlgorithmId algorithm, Channel channel) {
    return imageSop + "\u0000" + algorithm.name() + "\u0000" + algorithm.version() + "\u0000" + channel;
  }

  /** The latest SR entry for an image and model version. */
  public synchronized Optional<Entry> get(String imageSopInstanceUid, AlgorithmId algorithm) {
    return get(imageSopInstanceUid, algorithm, Channel.SR);
  }

  /** The latest entry of {@code channel} for an image and model version. */
  public synchronized Optional<Entry> get(String imageSopInstanceUid, AlgorithmId algorithm, Channel channel) {
    return Optional.ofNullable(latest.get(key(imageSopInstanceUid, algorithm, channel)));
  }

  /** Appends {@code e} and fsyncs it before returning. */
  public synchronized void record(Entry e) throws IOException {
    journal.append(List.<String[]>of(new String[] {Instant.now().toString(), e.state().name(),
        e.imageSopInstanceUid(), e.algorithm().name(), e.algorithm().version(), e.srSopInstanceUid(), e.srFile()}));
    latest.put(key(e.imageSopInstanceUid(), e.algorithm(), e.state().channel()), e);
  }

  /** Number of (image, model version) pairs whose SR was sent. */
  public synchronized long sentCount() {
    return sentCount(Channel.SR);
  }

  /** Number of (image, model version) pairs whose entry of {@code channel} was accepted by its destination. */
  public synchronized long sentCount(Channel channel) {
    return latest.values().stream().filter(e -> e.state().channel() == channel && e.state().isSent()).count();
  }

  /** The ledger file. */
  public Path file() {
    return journal.file();
  }

  @Override
  public synchronized void close() throws IOException {
    journal.close();
  }
}

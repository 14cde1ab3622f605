package org.fundus4j.dicom.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.net.ReceivedInstance;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.Uids;
import org.fundus4j.io.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of DICOM files named from sanitised UIDs, with a {@link Manifest} of each instance's state.
 *
 * <p>Layout: {@code instances/<study>/<series>/<sop>.dcm}, {@code incoming/} for files still
 * arriving, {@code manifest.tsv}, and a {@code .lock} held while the store is open so two processes
 * never write the same store. A file is moved into place (fsync, atomic rename, directory fsync)
 * before the manifest says RETRIEVED, so after a crash the manifest never points at a missing or
 * partial file; at worst a file is on disk that the manifest does not list yet, and the next pull
 * fetches it again and replaces it.
 * <pre>{@code
 * try (LocalStore store = LocalStore.open(Path.of("pulls"))) {
 *   new StudyPuller(store, pacsClient, RetrieveMethod.C_GET).pull(studyUid, ProgressListener.NONE);
 * }
 * }</pre>
 */
public final class LocalStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalStore.class);
  private static final Pattern UID = Pattern.compile("[0-9]+(\\.[0-9]+)*");

  private final Path root;
  private final Manifest manifest;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private LocalStore(Path root, Manifest manifest, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.manifest = manifest;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Opens or creates a store at {@code root}; fails if another process has it open. */
  public static LocalStore open(Path root) throws IOException {
    Files.createDirectories(root.resolve("instances"));
    Files.createDirectories(root.resolve("incoming"));
    FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      ch.close();
      throw new IOException("Local store " + root.toAbsolutePath() + " is in use by another process or store"
          + " object (lock " + root.resolve(".lock") + ")");
    }
    try {
      return new LocalStore(root, Manifest.open(root.resolve("manifest.tsv")), ch, lock);
    } catch (IOException e) {
      lock.release();
      ch.close();
      throw e;
    }
  }

  /** The store folder. */
  public Path root() {
    return root;
  }

  /** The manifest of this store. */
  public Manifest manifest() {
    return manifest;
  }

  /** Folder where retrievals write files before {@link #accept(ReceivedInstance)} moves them into place. */
  public Path incomingDir() {
    return root.resolve("incoming");
  }

  /**
   * A UID made safe as a file name: kept when it is a valid UID (digits and dots, at most 64 characters),
   * otherwise replaced by a hash so a hostile UID cannot escape the folder.
   */
  public static String sanitise(String uid) {
    if (uid != null && uid.length() <= 64 && UID.matcher(uid).matches()) {
      return uid;
    }
    return "x" + LogSafe.shortHash(String.valueOf(uid)).substring(4);
  }

  /** Relative path of an instance's file: {@code instances/<study>/<series>/<sop>.dcm}. */
  public static String relativePath(String study, String series, String sop) {
    return "instances/" + sanitise(study.isEmpty() ? "unknown-study" : study) + "/"
        + sanitise(series.isEmpty() ? "unknown-series" : series) + "/" + sanitise(sop) + ".dcm";
  }

  /** Records a C-FIND / QIDO-RS match as FOUND unless the instance is already known. */
  public synchronized void found(QueryMatch match) throws IOException {
    foundAll(List.of(match));
  }

  /**
   * Records IMAGE-level matches as FOUND (those not known yet) with one fsync.
   *
   * @return the matches refused because a UID is invalid ({@link Uids}); they are logged and not recorded
   */
  public synchronized List<QueryMatch> foundAll(List<QueryMatch> matches) throws IOException {
    List<ManifestEntry> fresh = new ArrayList<>();
    List<QueryMatch> refused = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (QueryMatch match : matches) {
      if (match.sopInstanceUid().isEmpty()) {
        throw new IllegalArgumentException("Only IMAGE-level matches can be recorded, got a " + match.level()
            + " match");
      }
      Optional<String> problem = problem(match.sopInstanceUid(), match.studyInstanceUid(),
          match.seriesInstanceUid(), match.sopClassUid());
      if (problem.isPresent()) {
        LOG.warn("Refusing a listed instance: {}", problem.get());
        refused.add(match);
        continue;
      }
      if (manifest.get(match.sopInstanceUid()).isEmpty() && seen.add(match.sopInstanceUid())) {
        fresh.add(new ManifestEntry(match.sopInstanceUid(), match.studyInstanceUid(), match.seriesInstanceUid(),
            match.sopClassUid(), InstanceState.FOUND, "", "", Instant.now()));
      }
    }
    manifest.recordAll(fresh);
    return List.copyOf(refused);
  }

  /** Why these UIDs cannot be stored (the first invalid one, by {@link Uids}), or empty. */
  private static Optional<String> problem(String sop, String study, String series, String sopClass) {
    try {
      new ManifestEntry(sop, study, series, sopClass, InstanceState.FOUND, "", "", Instant.EPOCH);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Moves a received file into place durably and records it as RETRIEVED; returns once that is on disk.
   *
   * <p>Callers on several threads at once (the node's storage SCP, one thread per association) share group
   * commits: the first caller commits everything queued by then with {@link #acceptAll} (file forces one after
   * the other, one folder force per folder, one manifest append), the others wait for that commit or run the
   * next one themselves. One caller at a time costs what it did before (three disk flushes); k callers at once
   * cost k + 2 instead of 3k. Each still returns only once its own instance is durably in place and recorded.
   *
   * @return true if the instance was new, false if it was already on disk (the duplicate is dropped)
   * @throws RefusedInstanceException when a UID of the file is not a valid DICOM UID ({@link Uids}); the
   *     file is deleted and nothing is recorded
   * @throws IOException when the commit holding this instance failed (then none of that commit is recorded)
   */
  public boolean accept(ReceivedInstance r) throws IOException {
    Pending mine = new Pending(r);
    boolean interrupted = false;
    try {
      synchronized (commits) {
        queued.add(mine);
        while (committing && !mine.done) {
          try {
            commits.wait();
          } catch (InterruptedException e) {
            interrupted = true; // our instance may already be in a running commit: wait for its outcome
          }
        }
        if (!mine.done) {
          committing = true; // we lead the next commit, which holds our instance
        }
      }
      if (!mine.done) {
        commitQueued();
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    if (mine.failure != null) {
      throw mine.failure instanceof RefusedInstanceException refused
          ? new RefusedInstanceException(refused.getMessage()) : new IOException(mine.failure.getMessage(), mine.failure);
    }
    return mine.stored;
  }

  /** One {@link #accept} caller's instance and, once committed, its outcome. */
  private static final class Pending {
    final ReceivedInstance instance;
    boolean done;
    boolean stored;
    IOException failure;

    Pending(ReceivedInstance instance) {
      this.instance = instance;
    }
  }

  private final Object commits = new Object();
  private final List<Pending> queued = new ArrayList<>(); // guarded by commits
  private boolean committing; // guarded by commits

  /** Commits every queued instance with one {@link #acceptAll}, then hands the lead to the next waiter. */
  private void commitQueued() {
    List<Pending> batch;
    synchronized (commits) {
      batch = new ArrayList<>(queued);
      queued.clear();
    }
    List<Accepted> outcomes = null;
    IOException failure = null;
    try {
      outcomes = acceptAll(batch.stream().map(p -> p.instance).toList(), Runnable::run);
    } catch (IOException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = new IOException(e.toString(), e);
    }
    synchronized (commits) {
      for (int i = 0; i < batch.size(); i++) {
        Pending p = batch.get(i);
        if (failure != null) {
          p.failure = failure;
        } else if (outcomes.get(i).outcome() == Outcome.REFUSED) {
          p.failure = new RefusedInstanceException(outcomes.get(i).refusal());
        } else {
          p.stored = outcomes.get(i).outcome() == Outcome.STORED;
        }
        p.done = true;
      }
      committing = false;
      commits.notifyAll();
    }
  }

  /** What {@link #acceptAll} did with one received instance. */
  public enum Outcome {
    /** Moved into place and recorded RETRIEVED. */
    STORED,
    /** Already on disk (or twice in the batch): the file was dropped. */
    DUPLICATE,
    /** A UID is not a valid DICOM UID: the file was deleted and nothing recorded. */
    REFUSED
  }

  /**
   * One instance's outcome.
   *
   * @param refusal why it was refused ({@link Outcome#REFUSED}), otherwise empty
   */
  public record Accepted(ReceivedInstance instance, Outcome outcome, String refusal) {
  }

  /**
   * {@link #accept} for several received instances with one group commit: every new file is forced (concurrently
   * on {@code fsyncs}) and renamed into place, each folder forced once, then all their RETRIEVED lines are
   * appended with one manifest fsync. The guarantee is {@link #accept}'s: no manifest line names a file that
   * is not durably in place, and nothing counts as stored before this returns. Three disk flushes per batch
   * instead of three per instance.
   *
   * @param fsyncs runs the file forces ({@code Runnable::run}: one after the other)
   * @return one outcome per instance, in order
   * @throws IOException when a file cannot be moved or the manifest written; then none of the batch is recorded
   *     (files already moved are fetched again and replaced by the next pull)
   */
  public synchronized List<Accepted> acceptAll(List<ReceivedInstance> batch, Executor fsyncs)
      throws IOException {
    List<Accepted> outcomes = new ArrayList<>();
    Map<Path, Path> moves = new LinkedHashMap<>();
    List<ManifestEntry> lines = new ArrayList<>();
    Set<String> inBatch = new HashSet<>();
    for (ReceivedInstance r : batch) {
      Optional<String> problem = problem(r.sopInstanceUid(), r.studyInstanceUid(), r.seriesInstanceUid(),
          r.sopClassUid()).or(() -> (r.transferSyntaxUid().isEmpty() ? Optional.<String>empty()
          : Uids.problem(r.transferSyntaxUid())).map(p -> "Transfer Syntax UID "
          + LogSafe.shortHash(r.transferSyntaxUid()) + " is not a valid DICOM UID: it " + p));
      if (problem.isPresent()) {
        Files.deleteIfExists(r.file());
        outcomes.add(new Accepted(r, Outcome.REFUSED, problem.get()));
        continue;
      }
      Optional<ManifestEntry> known = manifest.get(r.sopInstanceUid());
      if (!inBatch.add(r.sopInstanceUid()) || known.isPresent() && known.get().state().hasFile()
          && Files.exists(root.resolve(known.get().file()))) {
        Files.deleteIfExists(r.file());
        outcomes.add(new Accepted(r, Outcome.DUPLICATE, ""));
        continue;
      }
      String rel = relativePath(r.studyInstanceUid(), r.seriesInstanceUid(), r.sopInstanceUid());
      moves.put(r.file(), root.resolve(rel));
      lines.add(new ManifestEntry(r.sopInstanceUid(), r.studyInstanceUid(), r.seriesInstanceUid(),
          r.sopClassUid(), InstanceState.RETRIEVED, rel, r.transferSyntaxUid(), Instant.now()));
      outcomes.add(new Accepted(r, Outcome.STORED, ""));
    }
    AtomicFiles.moveAll(moves, fsyncs);
    manifest.recordAll(lines);
    return List.copyOf(outcomes);
  }

  /** True when the instance is recorded with a file and the file exists. */
  public synchronized boolean isOnDisk(String sopInstanceUid) {
    return manifest.get(sopInstanceUid)
        .filter(e -> e.state().hasFile() && Files.exists(root.resolve(e.file())))
        .isPresent();
  }

  /** Absolute path of an instance's file, if it is on disk. */
  public synchronized Optional<Path> file(String sopInstanceUid) {
    return manifest.get(sopInstanceUid).filter(e -> !e.file().isEmpty()).map(e -> root.resolve(e.file()));
  }

  /** Records a new state for a known instance, keeping its file. */
  public synchronized void mark(String sopInstanceUid, InstanceState state, String detail) throws IOException {
    ManifestEntry e = manifest.get(sopInstanceUid).orElseThrow(() -> new IllegalArgumentException(
        "Instance " + LogSafe.shortHash(sopInstanceUid) + " is not in the manifest " + manifest.file()));
    manifest.record(e.with(state, e.file(), detail));
  }

  /** Releases the lock and closes the manifest. */
  @Override
  public synchronized void close() throws IOException {
    try {
      manifest.close();
    } finally {
      lock.release();
      lockChannel.close();
    }
  }
}

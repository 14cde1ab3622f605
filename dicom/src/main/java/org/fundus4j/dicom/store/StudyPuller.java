package org.fundus4j.dicom.store;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.InstanceSink;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsException;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.net.ReceivedInstance;
import org.fundus4j.dicom.net.RetrieveTarget;
import org.fundus4j.dicom.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls a study into a {@link LocalStore} so that an interrupted pull completes when run again.
 *
 * <p>Each run lists the study's instances (C-FIND or QIDO-RS), records new ones as FOUND, and
 * fetches only those not yet on disk: the whole study when none are, otherwise whole series that
 * are entirely missing and single instances for the rest. Instances are stored as they arrive, so
 * a PACS that dies mid-transfer leaves a manifest that is correct up to the last instance received;
 * nothing is fetched twice by the next run and nothing is lost. Instances still missing after a
 * run are recorded FAILED with the reason; a later run tries them again.
 * <pre>{@code
 * PullSummary s = new StudyPuller(store, pacs, RetrieveMethod.C_GET).pull(studyUid, (done, total) -> bar(done, total));
 * }</pre>
 */
public final class StudyPuller {

  private static final Logger LOG = LoggerFactory.getLogger(StudyPuller.class);

  /**
   * Instances received but not yet durably stored, at most (see {@code fetchStoringBehind}). With 16, timers
   * inside a C-GET pull (load ~15) showed the network thread waiting for the writer 150-260 ms per 200
   * instances: forcing a batch costs ~1.5 ms per file, so the window filled whenever Orthanc sent faster.
   */
  static final int STORE_BEHIND = 64;

  /**
   * Threads forcing one batch's files to disk together (see {@link LocalStore#acceptAll}); they wait on the
   * disk, not on a core. 8 rather than 4: a batch of up to {@link #STORE_BEHIND} files.
   */
  static final int FSYNC_THREADS = 8;

  private final LocalStore store;
  private final PacsClient dimse;
  private final DicomWebClient web;
  private final RetrieveMethod method;
  /** SOP classes pulled; empty for every instance of the study. */
  private Set<String> sopClasses = Set.of();
  /** Instances received but not yet durably stored, at most. */
  private int storeWindow = STORE_BEHIND;

  /** A puller using DIMSE: {@link RetrieveMethod#C_GET} or {@link RetrieveMethod#C_MOVE}. */
  public StudyPuller(LocalStore store, PacsClient pacs, RetrieveMethod method) {
    if (method == RetrieveMethod.WADO_RS) {
      throw new IllegalArgumentException("WADO-RS needs a DicomWebClient; use StudyPuller(store, DicomWebClient)");
    }
    this.store = require(store);
    this.dimse = require(pacs);
    this.web = null;
    this.method = method;
  }

  /** A puller using DICOMweb (QIDO-RS to list, WADO-RS to fetch). */
  public StudyPuller(LocalStore store, DicomWebClient web) {
    this.store = require(store);
    this.dimse = null;
    this.web = require(web);
    this.method = RetrieveMethod.WADO_RS;
  }

  /**
   * The same puller, pulling only instances of the given SOP classes (e.g.
   * {@link PacsClient#FUNDUS_STORAGE_SOP_CLASSES} to screen a study that already holds SRs: C-GET negotiates image
   * classes only, and a study-level retrieve would otherwise ask for the SRs too).
   */
  public StudyPuller withSopClasses(Set<String> sopClassUids) {
    StudyPuller p = copy();
    p.sopClasses = Set.copyOf(sopClassUids);
    return p;
  }

  /**
   * The same puller, letting the network run at most {@code instances} ahead of the disk (default
   * {@value #STORE_BEHIND}): a C-STORE response waits while that many received instances are not yet durably
   * stored. 1 stores each instance before the PACS may send the next, so a progress listener sees the transfer
   * exactly where it is, at the cost of one disk flush per instance.
   */
  public StudyPuller withStoreWindow(int instances) {
    if (instances < 1) {
      throw new IllegalArgumentException("store window must be at least 1 instance, not " + instances);
    }
    StudyPuller p = copy();
    p.storeWindow = instances;
    return p;
  }

  private StudyPuller copy() {
    StudyPuller p = dimse != null ? new StudyPuller(store, dimse, method) : new StudyPuller(store, web);
    p.sopClasses = sopClasses;
    p.storeWindow = storeWindow;
    return p;
  }

  private static <T> T require(T t) {
    if (t == null) {
      throw new IllegalArgumentException("StudyPuller arguments must not be null");
    }
    return t;
  }

  /**
   * Pulls every instance of the study that is not on disk yet.
   *
   * @param progress told {@code (on disk, listed)} after the listing and after each instance
   * @throws PacsException when the PACS cannot be reached or the transfer breaks; the store keeps
   *     everything received so far and the next run continues from there
   */
  public PullSummary pull(String studyInstanceUid, ProgressListener progress) throws PacsException {
    long start = System.nanoTime();
    // SOP classes are listed only when they filter: the manifest gets them from the files, and Orthanc reads
    // every instance's file to answer that key
    List<QueryMatch> all = dimse != null ? dimse.findInstances(studyInstanceUid, !sopClasses.isEmpty())
        : web.findInstances(studyInstanceUid);
    List<QueryMatch> listed = sopClasses.isEmpty() ? all
        : all.stream().filter(m -> sopClasses.contains(m.sopClassUid())).toList();
    int alreadyOnDisk = 0;
    List<QueryMatch> missing = new ArrayList<>();
    AtomicInteger refused = new AtomicInteger();
    try {
      List<QueryMatch> invalid = store.foundAll(listed);
      refused.addAndGet(invalid.size());
      for (QueryMatch m : listed) {
        if (invalid.contains(m)) {
          continue;
        }
        if (store.isOnDisk(m.sopInstanceUid())) {
          alreadyOnDisk++;
        } else {
          missing.add(m);
        }
      }
    } catch (IOException e) {
      throw new PacsException("Cannot update manifest " + store.manifest().file() + ": " + e.getMessage(), e);
    }
    int total = listed.size();
    AtomicLong done = new AtomicLong(alreadyOnDisk);
    AtomicInteger retrieved = new AtomicInteger();
    AtomicInteger duplicates = new AtomicInteger();
    progress.progress(done.get(), total);
    Stored stored = a -> {
      switch (a.outcome()) {
        case STORED -> {
          retrieved.incrementAndGet();
          progress.progress(done.incrementAndGet(), total);
        }
        case DUPLICATE -> duplicates.incrementAndGet();
        // listed with valid UIDs but delivered with others: refused, the rest of the study goes on
        case REFUSED -> LOG.warn("Refused an instance {} delivered for study {}: {}", method,
            LogSafe.shortHash(studyInstanceUid), a.refusal());
      }
    };
    // planned against every listed instance: a study or series is retrieved whole only when all of it is wanted
    List<RetrieveTarget> targets = plan(studyInstanceUid, all, missing);
    if (!targets.isEmpty()) {
      fetchStoringBehind(targets, stored);
    }
    int failed = refused.get();
    for (QueryMatch m : missing) {
      if (!store.isOnDisk(m.sopInstanceUid())) {
        failed++;
        try {
          store.mark(m.sopInstanceUid(), InstanceState.FAILED, method + " completed without delivering this instance");
        } catch (IOException e) {
          throw new PacsException("Cannot update manifest " + store.manifest().file() + ": " + e.getMessage(), e);
        }
        LOG.warn("{} did not deliver instance {} of study {}", method, LogSafe.shortHash(m.sopInstanceUid()),
            LogSafe.shortHash(studyInstanceUid));
      }
    }
    PullSummary summary = new PullSummary(studyInstanceUid, method, total, alreadyOnDisk, retrieved.get(),
        duplicates.get(), failed, Duration.ofNanos(System.nanoTime() - start));
    LOG.info("Pull of study {} by {}: {} listed, {} already on disk, {} retrieved, {} duplicates, {} failed in {} ms",
        LogSafe.shortHash(studyInstanceUid), method, total, alreadyOnDisk, retrieved.get(), duplicates.get(), failed,
        summary.took().toMillis());
    return summary;
  }

  /** Whole study if nothing is on disk, else whole series that are missing entirely, else single instances. */
  static List<RetrieveTarget> plan(String study, List<QueryMatch> listed, List<QueryMatch> missing) {
    if (missing.isEmpty()) {
      return List.of();
    }
    if (missing.size() == listed.size()) {
      return List.of(RetrieveTarget.study(study));
    }
    Map<String, Integer> perSeries = new LinkedHashMap<>();
    for (QueryMatch m : listed) {
      perSeries.merge(m.seriesInstanceUid(), 1, Integer::sum);
    }
    Map<String, List<QueryMatch>> missingPerSeries = new LinkedHashMap<>();
    for (QueryMatch m : missing) {
      missingPerSeries.computeIfAbsent(m.seriesInstanceUid(), k -> new ArrayList<>()).add(m);
    }
    List<RetrieveTarget> targets = new ArrayList<>();
    for (Map.Entry<String, List<QueryMatch>> e : missingPerSeries.entrySet()) {
      if (e.getValue().size() == perSeries.get(e.getKey())) {
        targets.add(RetrieveTarget.series(study, e.getKey()));
      } else {
        for (QueryMatch m : e.getValue()) {
          targets.add(RetrieveTarget.instance(study, m.seriesInstanceUid(), m.sopInstanceUid()));
        }
      }
    }
    return targets;
  }

  /**
   * Fetches with the store's group commit ({@link LocalStore#acceptAll}) on a writer thread of its own, so
   * the PACS's next sub-operation does not wait for our disk: C-GET and C-MOVE send one instance at a time
   * and wait for each C-STORE response. Each time the writer is free it takes every instance received
   * since (at most the store window: {@link #STORE_BEHIND} unless {@link #withStoreWindow}) and stores them
   * with three disk flushes in all (their files forced together on {@link #FSYNC_THREADS} threads, their
   * folder, one manifest append) instead of three each; one flush after another, a disk with ~8 ms per flush
   * stored at most ~40 instances/s. An instance counts as retrieved only once its manifest line is on disk, as
   * before; after a crash, instances received but not yet recorded are simply fetched again by the next run.
   * The network runs at most the store window ahead of the disk (then the C-STORE response waits), so a
   * progress listener still sees the transfer within that many instances. Waits for the writer before returning.
   */
  private void fetchStoringBehind(List<RetrieveTarget> targets, Stored stored) throws PacsException {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory daemons = r -> {
      Thread t = new Thread(r, "store-writer-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ExecutorService writer = Executors.newSingleThreadExecutor(daemons);
    ExecutorService fsyncs = Executors.newFixedThreadPool(FSYNC_THREADS, daemons);
    AtomicReference<IOException> failure = new AtomicReference<>();
    Semaphore ahead = new Semaphore(storeWindow);
    Queue<ReceivedInstance> received = new ConcurrentLinkedQueue<>();
    Runnable commit = () -> {
      List<ReceivedInstance> batch = new ArrayList<>();
      for (ReceivedInstance r; batch.size() < storeWindow && (r = received.poll()) != null; ) {
        batch.add(r);
      }
      if (batch.isEmpty()) {
        return; // an earlier commit took them
      }
      try {
        if (failure.get() == null) {
          for (LocalStore.Accepted a : store.acceptAll(batch, fsyncs)) {
            stored.accepted(a);
          }
        }
      } catch (IOException e) {
        failure.compareAndSet(null, e);
      } catch (RuntimeException e) {
        failure.compareAndSet(null, new IOException(e.toString(), e));
      } finally {
        ahead.release(batch.size());
      }
    };
    InstanceSink behind = r -> {
      IOException earlier = failure.get();
      if (earlier != null) {
        throw earlier; // refuse further instances: PixelMed answers this C-STORE with a failure status
      }
      ahead.acquireUninterruptibly();
      received.add(r);
      writer.execute(commit);
    };
    try {
      fetch(targets, behind);
    } finally {
      writer.shutdown();
      try {
        while (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
          LOG.info("Waiting for the store writer to flush received instances to disk");
        }
      } catch (InterruptedException e) {
        writer.shutdownNow();
        Thread.currentThread().interrupt();
      } finally {
        fsyncs.shutdownNow();
      }
    }
    if (failure.get() != null) {
      throw new PacsException("Cannot store a received instance in " + store.root() + ": "
          + failure.get().getMessage(), failure.get());
    }
  }

  /** Told each instance's outcome once it is durably stored (or dropped), on the writer thread. */
  @FunctionalInterface
  private interface Stored {
    void accepted(LocalStore.Accepted accepted);
  }

  private void fetch(List<RetrieveTarget> targets, InstanceSink sink) throws PacsException {
    switch (method) {
      case C_GET -> dimse.get(targets, store.incomingDir(), sink);
      case C_MOVE -> dimse.move(targets, store.incomingDir(), sink);
      case WADO_RS -> {
        for (RetrieveTarget t : targets) {
          web.retrieve(t, store.incomingDir(), sink);
        }
      }
    }
  }
}

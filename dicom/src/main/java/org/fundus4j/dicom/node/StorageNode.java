package org.fundus4j.dicom.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.time.Duration;
import org.fundus4j.dicom.DerivedImage;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsException;
import org.fundus4j.dicom.net.ReceivedInstance;
import org.fundus4j.dicom.net.StorageListener;
import org.fundus4j.dicom.net.StoreSummary;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.SrResult;
import org.fundus4j.dicom.store.InstanceState;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.store.ManifestEntry;
import org.fundus4j.dicom.store.RefusedInstanceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening DICOM node behind {@code fundus serve}: receives images, screens them and sends one
 * SR per image to a PACS, with the images derived from it that the SR references (Grad-CAM overlays from
 * {@link ImageScreener#screen(Path, Path, org.fundus4j.dicom.sr.UidGenerator)}, written into the SR's
 * {@link ScreeningReportWriter#derivedImagesFolder} and sent first, in the same association or request).
 *
 * <p>Guarantees, each backed by an fsynced journal in {@link NodeConfig#workDir()}:
 * <ul>
 *   <li>only allow-listed calling AE titles may connect (others get A-ASSOCIATE-RJ);</li>
 *   <li>an image is on disk and in the queue manifest before the sender is told "success";</li>
 *   <li>a restart resumes the queue: received but unsent images are screened and sent;</li>
 *   <li>never a second SR for the same image SOP Instance UID and algorithm version
 *       ({@link SrLedger}), even if the modality sends the image again or the node crashed mid-send; the
 *       SR's derived images are written before its WRITTEN line and resent with it as the same files.</li>
 * </ul>
 * One worker thread screens and sends in arrival order; when the destination is down it waits
 * {@link NodeConfig#retryDelay()} and tries again, keeping the image queued.
 * <pre>{@code
 * try (StorageNode node = StorageNode.start(config)) {
 *   System.out.println("listening on " + node.port());
 *   node.awaitShutdownSignal();   // e.g. cli waits for Ctrl-C
 * }
 * }</pre>
 */
public final class StorageNode implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StorageNode.class);
  private static final String POISON = "";

  private final NodeConfig config;
  private final LocalStore store;
  private final SrLedger ledger;
  private final ScreeningReportWriter writer;
  private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Thread worker;
  private final Object idleLock = new Object();
  private final NodeMetrics metrics;
  private volatile String lastSendError = "";
  private StorageListener listener;
  private volatile boolean closing;

  private StorageNode(NodeConfig config, LocalStore store, SrLedger ledger) {
    this.config = config;
    this.store = store;
    this.ledger = ledger;
    this.writer = new ScreeningReportWriter(config.screener().algorithm(), config.uids());
    this.worker = new Thread(this::work, "fundus-node-" + config.aeTitle().value());
    this.worker.setDaemon(true);
    this.metrics = new NodeMetrics(this::status);
  }

  /**
   * Opens the node's work dir, re-queues what a previous run left, and starts listening.
   *
   * @throws IOException when the work dir is in use by another node or the port cannot be bound
   */
  public static StorageNode start(NodeConfig config) throws IOException {
    return start(config, null);
  }

  /**
   * As {@link #start(NodeConfig)}, with modalities connecting over DICOM TLS when {@code listenerTls} is
   * given (BCP 195; {@link DicomTls#withClientAuthRequired} to demand their certificates).
   */
  public static StorageNode start(NodeConfig config, org.fundus4j.dicom.net.DicomTls listenerTls)
      throws IOException {
    Files.createDirectories(config.workDir().resolve("sr"));
    LocalStore store = LocalStore.open(config.workDir().resolve("store"));
    SrLedger ledger;
    try {
      ledger = SrLedger.open(config.workDir().resolve("sr-ledger.tsv"));
    } catch (IOException e) {
      store.close();
      throw e;
    }
    StorageNode node = new StorageNode(config, store, ledger);
    int resumed = 0;
    for (ManifestEntry e : store.manifest().entries()) {
      if (e.state() == InstanceState.RETRIEVED || e.state() == InstanceState.SCREENED) {
        node.enqueue(e.sopInstanceUid());
        resumed++;
      }
    }
    node.worker.start();
    try {
      node.listener = StorageListener.start(config.bindAddress(), config.port(), config.aeTitle(),
          config.allowedCallers(), store.incomingDir(), node::received, listenerTls);
    } catch (IOException e) {
      node.close();
      throw e;
    }
    LOG.info("Node {} started on port {}: {} image(s) resumed from the queue, SRs by {} via {}", config.aeTitle(),
        node.port(), resumed, config.screener().algorithm(), config.destination());
    return node;
  }

  /** The TCP port the node listens on. */
  public int port() {
    return listener.port();
  }

  /** Current counters. */
  public NodeStatus status() {
    Map<InstanceState, Long> c = store.manifest().counts();
    long received = c.get(InstanceState.RETRIEVED) + c.get(InstanceState.SCREENED) + c.get(InstanceState.SR_SENT);
    return new NodeStatus(received, c.get(InstanceState.SR_SENT), c.get(InstanceState.FAILED), inFlight.get(),
        listener == null ? 0 : listener.rejectedCount());
  }

  /** What this node did in this run, for {@code /metrics} and the status page ({@link NodeMonitor}). */
  public NodeMetrics metrics() {
    return metrics;
  }

  /** The node's settings. */
  public NodeConfig config() {
    return config;
  }

  /**
   * The last send error of the SR or result destination, or {@code ""} when the last send worked: whether
   * the destination is reachable, as far as the node knows.
   */
  public String lastSendError() {
    return lastSendError;
  }

  /** Waits until no image is queued or being processed; false on timeout. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (idleLock) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(idleLock, left);
      }
    }
    return true;
  }

  /** Called on a network thread before the C-STORE response: persist, then queue. */
  private void received(ReceivedInstance instance) throws IOException {
    if (closing) {
      throw new IOException("Node " + config.aeTitle() + " is shutting down; refusing the instance");
    }
    boolean isNew;
    try {
      isNew = store.accept(instance);
    } catch (RefusedInstanceException e) {
      LOG.warn("Refused an instance from {}: {}; not stored, the C-STORE is not acknowledged",
          instance.sourceAe(), e.getMessage());
      throw e;
    }
    if (isNew) {
      metrics.received();
      enqueue(instance.sopInstanceUid());
      LOG.info("Received {} from {}", LogSafe.shortHash(instance.sopInstanceUid()), instance.sourceAe());
    } else {
      LOG.info("Received {} again from {}; already on disk", LogSafe.shortHash(instance.sopInstanceUid()),
          instance.sourceAe());
    }
  }

  private void enqueue(String sop) {
    inFlight.incrementAndGet();
    queue.add(sop);
    reportProgress();
  }

  private void work() {
    while (true) {
      String sop;
      try {
        sop = queue.take();
      } catch (InterruptedException e) {
        return;
      }
      if (sop.equals(POISON) || closing) {
        return;
      }
      boolean done;
      try {
        done = process(sop);
      } catch (RuntimeException e) {
        LOG.error("Unexpected error on {}: {}", LogSafe.shortHash(sop), LogSafe.withoutUids(e.toString()));
        metrics.failed(sop, "internal", e.toString());
        done = true;
      }
      if (!done) {
        long until = System.nanoTime() + config.retryDelay().toNanos();
        while (!closing && System.nanoTime() < until) {
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            return;
          }
        }
        queue.add(sop); // keep it queued; inFlight unchanged
        continue;
      }
      inFlight.decrementAndGet();
      reportProgress();
      synchronized (idleLock) {
        idleLock.notifyAll();
      }
    }
  }

  private void reportProgress() {
    NodeStatus s = status();
    config.progress().progress(s.srSent(), s.received());
  }

  /**
   * Screens, writes and sends one image's SR, then its result for the {@link ResultPublisher} if there is one;
   * false when a send must be retried later.
   */
  private boolean process(String sop) {
    AlgorithmId algorithm = config.screener().algorithm();
    Optional<ResultPublisher> publisher = config.publisher();
    Optional<Path> image = store.file(sop);
    try {
      Optional<SrLedger.Entry> known = ledger.get(sop, algorithm);
      Optional<SrLedger.Entry> knownResult = ledger.get(sop, algorithm, SrLedger.Channel.RESULT);
      boolean srSent = known.isPresent() && known.get().state() == SrLedger.State.SENT;
      boolean resultSent = knownResult.isPresent() && knownResult.get().state() == SrLedger.State.RESULT_SENT;
      if (srSent && (publisher.isEmpty() || resultSent)) {
        store.mark(sop, InstanceState.SR_SENT, known.get().srSopInstanceUid());
        return true;
      }
      boolean srOnDisk = known.isPresent() && Files.exists(config.workDir().resolve(known.get().srFile()));
      boolean resultOnDisk = knownResult.isPresent()
          && Files.exists(config.workDir().resolve(knownResult.get().srFile()));
      SrLedger.Entry entry;
      SrLedger.Entry resultEntry = resultOnDisk ? knownResult.get() : null;
      if ((srSent || srOnDisk) && (publisher.isEmpty() || resultOnDisk)) {
        entry = known.get(); // written before a crash or a failed send: send the same files again
      } else {
        if (image.isEmpty() || !Files.exists(image.get())) {
          fail(sop, "image_missing", "image file missing from the node store");
          return true;
        }
        boolean writeSr = !(srSent || srOnDisk);
        String srRel = "sr/" + srFileName(sop, algorithm);
        Path derivedFolder = ScreeningReportWriter.derivedImagesFolder(config.workDir().resolve(srRel));
        if (writeSr) {
          clear(derivedFolder);
        }
        List<Finding> findings;
        List<DerivedImage> derived = List.of();
        long started = System.nanoTime();
        try {
          if (writeSr) {
            ImageScreener.Screening screening = config.screener().screen(image.get(), derivedFolder, config.uids());
            findings = screening.findings();
            derived = screening.derived();
          } else {
            findings = config.screener().screen(image.get()); // the SR and its derived images are on disk
          }
        } catch (Exception e) {
          fail(sop, "screening", "screening failed: " + e.getMessage());
          LOG.warn("Screening {} failed: {}", LogSafe.shortHash(sop), LogSafe.withoutUids(e.toString()));
          return true;
        }
        Finding first = findings.get(0);
        metrics.screened(sop, (System.nanoTime() - started) / 1e9, first.concept().meaning(), first.probability(),
            config.screener().call(first).map(c -> c ? "positive" : "negative").orElse(""));
        store.mark(sop, InstanceState.SCREENED, algorithm.name() + " " + algorithm.version());
        if (!writeSr) {
          entry = known.get(); // only the result file is missing: screen again (the model is deterministic)
        } else {
          // the derived images are written before the SR that references them, and journalled with it: the
          // WRITTEN line covers the SR and its derived images folder, which are sent together
          SrResult sr = writer.write(image.get(), findings, derived, config.workDir().resolve(srRel));
          entry = new SrLedger.Entry(sop, algorithm, sr.sopInstanceUid(), srRel, SrLedger.State.WRITTEN);
          ledger.record(entry);
        }
        if (publisher.isPresent()) {
          Files.createDirectories(config.workDir().resolve("results"));
          String rel = "results/" + srFileName(sop, algorithm).replace(".dcm", publisher.get().fileSuffix());
          Map<CodedConcept, Boolean> calls = new HashMap<>();
          for (Finding f : findings) {
            config.screener().call(f).ifPresent(c -> calls.put(f.concept(), c));
          }
          publisher.get().write(image.get(), findings, entry.srSopInstanceUid(), algorithm, calls,
              config.workDir().resolve(rel));
          resultEntry = new SrLedger.Entry(sop, algorithm, entry.srSopInstanceUid(), rel,
              SrLedger.State.RESULT_WRITTEN);
          ledger.record(resultEntry);
        }
      }
      Path srFile = config.workDir().resolve(entry.srFile());
      if (!srSent && !deliver(sop, entry, SrLedger.State.SENT, "SR via " + config.destination(),
          () -> send(srFile))) {
        return closing;
      }
      if (publisher.isPresent() && !resultSent) {
        Path resultFile = config.workDir().resolve(resultEntry.srFile());
        if (!deliver(sop, resultEntry, SrLedger.State.RESULT_SENT, publisher.get().describe(),
            () -> publisher.get().send(resultFile))) {
          return closing;
        }
      }
      store.mark(sop, InstanceState.SR_SENT, entry.srSopInstanceUid());
      return true;
    } catch (IOException e) {
      LOG.error("Node store or ledger write failed for {}: {}", LogSafe.shortHash(sop),
          LogSafe.withoutUids(e.toString()));
      try {
        fail(sop, "io", "I/O error: " + e.getMessage());
      } catch (IOException | RuntimeException ignored) {
        // the manifest itself is failing; the image stays RETRIEVED and is retried after a restart
      }
      return true;
    }
  }

  /** A send to one destination; PacsException (C-STORE, STOW-RS) or IOException (result publisher). */
  private interface Send {
    void run() throws PacsException, IOException;
  }

  /**
   * Sends {@code written}'s file and journals {@code sentState}; false (the send is retried) when the
   * destination failed.
   */
  private boolean deliver(String sop, SrLedger.Entry written, SrLedger.State sentState, String where, Send send)
      throws IOException {
    String destination = sentState == SrLedger.State.SENT ? "sr" : "result";
    try {
      send.run();
    } catch (PacsException | IOException e) {
      LOG.warn("Sending {} for {} ({}) failed, retrying in {} ms: {}", destination, LogSafe.shortHash(sop), where,
          config.retryDelay().toMillis(), LogSafe.withoutUids(e.getMessage()));
      lastSendError = where + ": " + e.getMessage();
      metrics.retry(destination, e.getMessage());
      return false;
    }
    ledger.record(new SrLedger.Entry(sop, written.algorithm(), written.srSopInstanceUid(), written.srFile(),
        sentState));
    if (sentState == SrLedger.State.SENT) {
      metrics.srSent();
    } else {
      metrics.resultSent();
    }
    lastSendError = "";
    LOG.info("{} for image {} sent: {} {}", destination, LogSafe.shortHash(sop), where,
        LogSafe.shortHash(written.srSopInstanceUid()));
    return true;
  }

  private void fail(String sop, String reason, String message) throws IOException {
    metrics.failed(sop, reason, message);
    store.mark(sop, InstanceState.FAILED, message);
  }

  /** SHA-256 of image UID and algorithm: unique per ledger key, and no UID in file names that end up in logs. */
  static String srFileName(String sop, AlgorithmId algorithm) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest((sop + "\u0000" + algorithm.name()
          + "\u0000" + algorithm.version()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d) + ".dcm";
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /**
   * Sends the SR and its derived images ({@link ScreeningReportWriter#filesToSend}: the derived images first) on
   * one association or in one STOW-RS request; throws unless the destination accepted every file.
   */
  private void send(Path srFile) throws PacsException, IOException {
    List<Path> files = ScreeningReportWriter.filesToSend(srFile);
    SrDestination d = config.destination();
    StoreSummary summary;
    if (d instanceof SrDestination.CStore c) {
      try (PacsClient pacs = c.tls() == null ? new PacsClient(c.pacs(), c.callingAe())
          : new PacsClient(c.pacs(), c.callingAe()).withTls(c.tls())) {
        summary = pacs.store(files, org.fundus4j.dicom.net.ProgressListener.NONE);
      }
    } else {
      SrDestination.StowRs s = (SrDestination.StowRs) d;
      summary = new DicomWebClient(s.root(), s.auth()).store(files, org.fundus4j.dicom.net.ProgressListener.NONE);
    }
    summary.requireAll(files.size(), d + " (the SR and its derived images)");
  }

  /** Empties {@code folder} of derived images a run that stopped before journalling their SR left (never sent). */
  private static void clear(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return;
    }
    try (java.util.stream.Stream<Path> files = Files.list(folder)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.delete(f);
      }
    }
  }

  /**
   * Stops listening, lets the worker finish the image in hand, and closes the journals. Queued images
   * stay in the manifest and are processed after the next {@link #start}.
   */
  @Override
  public void close() {
    closing = true;
    if (listener != null) {
      listener.close();
    }
    queue.add(POISON);
    try {
      worker.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (worker.isAlive()) {
      worker.interrupt();
    }
    try {
      ledger.close();
    } catch (IOException e) {
      LOG.warn("Closing SR ledger: {}", LogSafe.withoutUids(e.toString()));
    }
    try {
      store.close();
    } catch (IOException e) {
      LOG.warn("Closing node store: {}", LogSafe.withoutUids(e.toString()));
    }
    LOG.info("Node {} stopped", config.aeTitle());
  }
}

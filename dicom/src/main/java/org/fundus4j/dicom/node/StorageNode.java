package org.fundus4j.dicom.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.time.Duration;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsException;
import org.fundus4j.dicom.net.ReceivedInstance;
import org.fundus4j.dicom.net.StorageListener;
import org.fundus4j.dicom.net.StoreSummary;
import org.fundus4j.dicom.sr.AlgorithmId;
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
 * SR per image to a PACS.
 *
 * <p>Guarantees, each backed by an fsynced journal in {@link NodeConfig#workDir()}:
 * <ul>
 *   <li>only allow-listed calling AE titles may connect (others get A-ASSOCIATE-RJ);</li>
 *   <li>an image is on disk and in the queue manifest before the sender is told "success";</li>
 *   <li>a restart resumes the queue: received but unsent images are screened and sent;</li>
 *   <li>never a second SR for the same image SOP Instance UID and algorithm version
 *       ({@link SrLedger}), even if the modality sends the image again or the node crashed mid-send.</li>
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
  private StorageListener listener;
  private volatile boolean closing;

  private StorageNode(NodeConfig config, LocalStore store, SrLedger ledger) {
    this.config = config;
    this.store = store;
    this.ledger = ledger;
    this.writer = new ScreeningReportWriter(config.screener().algorithm(), config.uids());
    this.worker = new Thread(this::work, "fundus-node-" + config.aeTitle().value());
    this.worker.setDaemon(true);
  }

  /**
   * Opens the node's work dir, re-queues what a previous run left, and starts listening.
   *
   * @throws IOException when the work dir is in use by another node or the port cannot be bound
   */
  public static StorageNode start(NodeConfig config) throws IOException {
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
          config.allowedCallers(), store.incomingDir(), node::received);
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

  /** Screens, writes and sends one image's SR; false when the send must be retried later. */
  private boolean process(String sop) {
    AlgorithmId algorithm = config.screener().algorithm();
    Optional<Path> image = store.file(sop);
    try {
      Optional<SrLedger.Entry> known = ledger.get(sop, algorithm);
      if (known.isPresent() && known.get().state() == SrLedger.State.SENT) {
        store.mark(sop, InstanceState.SR_SENT, known.get().srSopInstanceUid());
        return true;
      }
      SrLedger.Entry entry;
      if (known.isPresent() && Files.exists(config.workDir().resolve(known.get().srFile()))) {
        entry = known.get(); // written before a crash or a failed send: send the same SR again
      } else {
        if (image.isEmpty() || !Files.exists(image.get())) {
          store.mark(sop, InstanceState.FAILED, "image file missing from the node store");
          return true;
        }
        List<Finding> findings;
        try {
          findings = config.screener().screen(image.get());
        } catch (Exception e) {
          store.mark(sop, InstanceState.FAILED, "screening failed: " + e.getMessage());
          LOG.warn("Screening {} failed: {}", LogSafe.shortHash(sop), LogSafe.withoutUids(e.toString()));
          return true;
        }
        store.mark(sop, InstanceState.SCREENED, algorithm.name() + " " + algorithm.version());
        String rel = "sr/" + srFileName(sop, algorithm);
        SrResult sr = writer.write(image.get(), findings, config.workDir().resolve(rel));
        entry = new SrLedger.Entry(sop, algorithm, sr.sopInstanceUid(), rel, SrLedger.State.WRITTEN);
        ledger.record(entry);
      }
      try {
        send(config.workDir().resolve(entry.srFile()));
      } catch (PacsException e) {
        LOG.warn("Sending SR for {} failed, retrying in {} ms: {}", LogSafe.shortHash(sop),
            config.retryDelay().toMillis(), LogSafe.withoutUids(e.getMessage()));
        return closing;
      }
      ledger.record(new SrLedger.Entry(sop, algorithm, entry.srSopInstanceUid(), entry.srFile(), SrLedger.State.SENT));
      store.mark(sop, InstanceState.SR_SENT, entry.srSopInstanceUid());
      LOG.info("SR {} for image {} sent via {}", LogSafe.shortHash(entry.srSopInstanceUid()), LogSafe.shortHash(sop),
          config.destination());
      return true;
    } catch (IOException e) {
      LOG.error("Node store or ledger write failed for {}: {}", LogSafe.shortHash(sop),
          LogSafe.withoutUids(e.toString()));
      try {
        store.mark(sop, InstanceState.FAILED, "I/O error: " + e.getMessage());
      } catch (IOException | RuntimeException ignored) {
        // the manifest itself is failing; the image stays RETRIEVED and is retried after a restart
      }
      return true;
    }
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

  private void send(Path srFile) throws PacsException {
    SrDestination d = config.destination();
    if (d instanceof SrDestination.CStore c) {
      try (PacsClient pacs = new PacsClient(c.pacs(), c.callingAe())) {
        pacs.store(srFile);
      }
    } else if (d instanceof SrDestination.StowRs s) {
      StoreSummary summary = new DicomWebClient(s.root(), s.auth()).store(List.of(srFile),
          org.fundus4j.dicom.net.ProgressListener.NONE);
      if (summary.stored() != 1) {
        throw new PacsException("STOW-RS to " + s.root() + " did not accept the SR: " + summary.failures(), null);
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

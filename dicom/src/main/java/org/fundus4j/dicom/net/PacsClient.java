package org.fundus4j.dicom.net;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.network.Association;
import com.pixelmed.network.DicomNetworkException;
import com.pixelmed.network.FindSOPClassSCU;
import com.pixelmed.network.GetSOPClassSCU;
import com.pixelmed.network.IdentifierHandler;
import com.pixelmed.network.MoveSOPClassSCU;
import com.pixelmed.network.MultipleInstanceTransferStatusHandlerWithFileName;
import com.pixelmed.network.ReceivedObjectHandler;
import com.pixelmed.network.StorageSOPClassSCU;
import com.pixelmed.network.VerificationSOPClassSCU;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.fundus4j.dicom.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DIMSE client for one PACS over PixelMed: C-ECHO, C-FIND, C-MOVE, C-GET and C-STORE.
 *
 * <p>Retrievals ask for the stored transfer syntax: C-GET proposes every known transfer syntax in a
 * presentation context of its own (21 per SOP class, so at most 5 storage SOP classes fit in the 128
 * contexts allowed), because Orthanc transcodes to Explicit VR Little Endian when offered one context
 * with a list; the C-MOVE
 * receiver accepts any explicit transfer syntax, so JPEG fundus photographs arrive byte-identical
 * instead of being transcoded. C-MOVE needs the PACS to know our AE title with the host and the
 * port given to {@link #withMoveReceiver(InetAddress, int)}.
 *
 * <p>Each association runs over a TCP connection this client opens itself (see {@code DimseRelay}:
 * PixelMed has no socket hook), with {@code TCP_NODELAY} and quick ACKs, which removed a ~43 ms
 * delayed-ACK stall per PDU against DCMTK-based PACS such as Orthanc ({@code dicom/docs/pacs-networking.md}),
 * and optionally DICOM TLS ({@link #withTls(DicomTls)}).
 *
 * <p>Every operation gives up when the peer has been silent for {@link #timeout()}; errors are
 * {@link PacsException}s naming the host, port and both AE titles.
 * <pre>{@code
 * try (PacsClient pacs = new PacsClient(PacsAddress.parse("ORTHANC@127.0.0.1:4242"), AeTitle.of("FUNDUS4J"))) {
 *   pacs.echo();
 *   for (QueryMatch study : pacs.find(DicomQuery.studies().withModalities(Set.of("OP")))) {
 *     pacs.get(RetrieveTarget.study(study.studyInstanceUid()), Path.of("incoming"), received -> { ... });
 *   }
 * }
 * }</pre>
 */
public final class PacsClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PacsClient.class);

  /** Storage SOP classes negotiated for C-GET by default: fundus photography. */
  public static final Set<String> FUNDUS_STORAGE_SOP_CLASSES = Collections.unmodifiableSet(new LinkedHashSet<>(List.of(
      "1.2.840.10008.5.1.4.1.1.77.1.5.1", // Ophthalmic Photography 8 Bit
      "1.2.840.10008.5.1.4.1.1.77.1.5.2", // Ophthalmic Photography 16 Bit
      "1.2.840.10008.5.1.4.1.1.77.1.4", // VL Photographic
      "1.2.840.10008.5.1.4.1.1.7"))); // Secondary Capture

  /** PixelMed's "all known lossless and lossy" transfer syntaxes in C-GET proposals. */
  static final int PROPOSE_ALL_TRANSFER_SYNTAXES = 4;

  private final PacsAddress pacs;
  private final AeTitle localAe;
  private final Duration timeout;
  private final InetAddress moveBindAddress;
  private final int movePort;
  private final Set<String> storageSopClasses;
  private final DicomTls tls;
  private final ExecutorService executor;

  /** A client calling {@code pacs} as {@code localAe}, with a 30 s inactivity timeout and no C-MOVE receiver. */
  public PacsClient(PacsAddress pacs, AeTitle localAe) {
    this(pacs, localAe, Duration.ofSeconds(30), null, -1, FUNDUS_STORAGE_SOP_CLASSES, null);
  }

  private PacsClient(PacsAddress pacs, AeTitle localAe, Duration timeout, InetAddress moveBindAddress, int movePort,
      Set<String> storageSopClasses, DicomTls tls) {
    if (pacs == null || localAe == null) {
      throw new IllegalArgumentException("PACS address and local AE title are required");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("Timeout must be positive, got " + timeout);
    }
    if (storageSopClasses.isEmpty() || storageSopClasses.size() > 5) {
      throw new IllegalArgumentException("C-GET needs 1-5 storage SOP classes (21 presentation contexts each,"
          + " 128 at most), got " + storageSopClasses.size());
    }
    this.pacs = pacs;
    this.localAe = localAe;
    this.timeout = timeout;
    this.moveBindAddress = moveBindAddress;
    this.movePort = movePort;
    this.storageSopClasses = Set.copyOf(storageSopClasses);
    this.tls = tls;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "dimse-" + localAe.value() + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** A client that gives up after {@code inactivity} without any answer from the PACS. */
  public PacsClient withTimeout(Duration inactivity) {
    return new PacsClient(pacs, localAe, inactivity, moveBindAddress, movePort, storageSopClasses, tls);
  }

  /**
   * A client that receives C-MOVE sub-operations on {@code bindAddress:port}; the PACS must list our
   * AE title with a host reaching that address and this port.
   */
  public PacsClient withMoveReceiver(InetAddress bindAddress, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("C-MOVE receiver port must be 1-65535, got " + port);
    }
    return new PacsClient(pacs, localAe, timeout, bindAddress, port, storageSopClasses, tls);
  }

  /** A client negotiating these 1-5 storage SOP classes for C-GET (one context per transfer syntax). */
  public PacsClient withStorageSopClasses(Set<String> sopClassUids) {
    return new PacsClient(pacs, localAe, timeout, moveBindAddress, movePort, sopClassUids, tls);
  }

  /**
   * A client speaking DICOM TLS (BCP 195, see {@link DicomTls}) to the PACS; the C-MOVE receiver then
   * listens with TLS too (with {@code tls}'s certificate) and the PACS must connect back with TLS.
   */
  public PacsClient withTls(DicomTls tls) {
    return new PacsClient(pacs, localAe, timeout, moveBindAddress, movePort, storageSopClasses, tls);
  }

  /** The PACS this client talks to. */
  public PacsAddress pacs() {
    return pacs;
  }

  /** Our (calling) AE title. */
  public AeTitle localAe() {
    return localAe;
  }

  /** The inactivity timeout. */
  public Duration timeout() {
    return timeout;
  }

  /** C-ECHO; returns the round-trip time including association set-up. */
  public Duration echo() throws PacsException {
    long start = System.nanoTime();
    call("C-ECHO", new Activity(), (association, host, port) -> {
      new VerificationSOPClassSCU(host, port, pacs.aeTitle().value(), localAe.value(), false);
      return null;
    });
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    LOG.info("C-ECHO {} as {}: {} ms", pacs, localAe, took.toMillis());
    return took;
  }

  /** C-FIND (Study Root) returning every match; see {@link DicomQuery} for the attribute mapping. */
  public List<QueryMatch> find(DicomQuery query) throws PacsException {
    return find(query, false);
  }

  /** C-FIND; {@code uidsOnly} asks an IMAGE-level query for its UIDs alone (see {@link #findInstances}). */
  private List<QueryMatch> find(DicomQuery query, boolean uidsOnly) throws PacsException {
    AttributeList identifier = identifier(query, uidsOnly);
    List<QueryMatch> matches = Collections.synchronizedList(new ArrayList<>());
    Activity activity = new Activity();
    String sopClass = SOPClass.StudyRootQueryRetrieveInformationModelFind;
    call("C-FIND " + query.level(), activity, (association, host, port) -> {
      Association a = FindSOPClassSCU.getSuitableAssociation(host, port, pacs.aeTitle().value(),
          localAe.value(), sopClass);
      association.set(a);
      new FindSOPClassSCU(a, sopClass, identifier, new IdentifierHandler() {
        @Override
        public void doSomethingWithIdentifier(AttributeList id) {
          activity.touch();
          matches.add(toMatch(query.level(), id));
        }
      });
      a.release();
      return null;
    });
    LOG.info("C-FIND {} at {}: {} match(es)", query.level(), pacs, matches.size());
    return List.copyOf(matches);
  }

  /** Every instance of a study, by a SERIES-level C-FIND then an IMAGE-level C-FIND per series. */
  public List<QueryMatch> findInstances(String studyInstanceUid) throws PacsException {
    return findInstances(studyInstanceUid, true);
  }

  /**
   * Every instance of a study; with {@code sopClasses} false the IMAGE-level C-FIND asks only for the
   * instances' UIDs (no SOP Class UID, no Image Laterality: the matches then have them empty). A PACS may
   * answer that much faster: Orthanc 1.10 keeps neither key in its index and reads every instance's file to
   * return them (see {@code PacsPullBenchmark}'s listing rows).
   */
  public List<QueryMatch> findInstances(String studyInstanceUid, boolean sopClasses) throws PacsException {
    List<QueryMatch> instances = new ArrayList<>();
    for (QueryMatch series : find(DicomQuery.series(studyInstanceUid))) {
      instances.addAll(find(DicomQuery.images(studyInstanceUid, series.seriesInstanceUid()), !sopClasses));
    }
    return instances;
  }

  /**
   * C-GET of {@code target}: the PACS sends the instances back on our association.
   *
   * @param incomingDir folder for files as they arrive (the sink may move them away)
   * @param sink called once per received instance, before its C-STORE response goes out (the PACS waits for
   *     it: a slow sink slows the transfer, see {@code StudyPuller}, which stores behind the wire)
   * @return the number of instances received
   */
  public int get(RetrieveTarget target, Path incomingDir, InstanceSink sink) throws PacsException {
    return get(List.of(target), incomingDir, sink);
  }

  /** C-GET of several targets one after the other; returns the number of instances received. */
  public int get(List<RetrieveTarget> targets, Path incomingDir, InstanceSink sink) throws PacsException {
    int total = 0;
    for (RetrieveTarget target : targets) {
      total += getOne(target, incomingDir, sink);
    }
    return total;
  }

  private int getOne(RetrieveTarget target, Path incomingDir, InstanceSink sink) throws PacsException {
    createDirectories(incomingDir);
    Activity activity = new Activity();
    AtomicInteger count = new AtomicInteger();
    AttributeList identifier = identifier(target);
    ReceivedObjectHandler handler = new ReceivedObjectHandler() {
      @Override
      public void sendReceivedObjectIndication(String fileName, String transferSyntax, String callingAe)
          throws IOException {
        activity.touch();
        sink.accept(Part10.describe(Path.of(fileName), pacs.aeTitle().value()));
        count.incrementAndGet();
      }
    };
    call("C-GET " + target.level(), activity, (association, host, port) -> {
      new GetSOPClassSCU(host, port, pacs.aeTitle().value(), localAe.value(),
          SOPClass.StudyRootQueryRetrieveInformationModelGet, identifier, new IdentifierHandler(),
          incomingDir.toFile(), Part10.INCOMING, handler,
          new LinkedHashSet<>(storageSopClasses), PROPOSE_ALL_TRANSFER_SYNTAXES, false, true, false);
      return null;
    });
    LOG.info("C-GET {} from {}: {} instance(s)", target.level(), pacs, count.get());
    return count.get();
  }

  /**
   * C-MOVE of {@code target} to our own AE title, received by a temporary {@link StorageListener}
   * on the port given to {@link #withMoveReceiver(InetAddress, int)}.
   *
   * @return the number of instances received
   */
  public int move(RetrieveTarget target, Path incomingDir, InstanceSink sink) throws PacsException {
    return move(List.of(target), incomingDir, sink);
  }

  /**
   * C-MOVE of several targets one after the other, all received by one temporary {@link StorageListener}.
   *
   * @return the number of instances received
   */
  public int move(List<RetrieveTarget> targets, Path incomingDir, InstanceSink sink) throws PacsException {
    if (movePort < 0) {
      throw new IllegalStateException("C-MOVE needs a receiver: call withMoveReceiver(address, port) with the port"
          + " the PACS has registered for AE " + localAe);
    }
    createDirectories(incomingDir);
    AtomicReference<Activity> activityRef = new AtomicReference<>(new Activity());
    AtomicInteger count = new AtomicInteger();
    String sopClass = SOPClass.StudyRootQueryRetrieveInformationModelMove;
    InstanceSink counting = instance -> {
      activityRef.get().touch();
      sink.accept(instance);
      count.incrementAndGet();
    };
    try (StorageListener receiver = StorageListener.start(moveBindAddress, movePort, localAe,
        Set.of(pacs.aeTitle()), incomingDir, counting, tls != null && tls.hasKey() ? tls : null)) {
      for (RetrieveTarget target : targets) {
        Activity activity = new Activity();
        activityRef.set(activity);
        AttributeList identifier = identifier(target);
        int status = call("C-MOVE " + target.level(), activity, (association, host, port) -> {
          Association a = MoveSOPClassSCU.getSuitableAssociation(host, port, pacs.aeTitle().value(),
              localAe.value(), sopClass);
          association.set(a);
          MoveSOPClassSCU move = new MoveSOPClassSCU(a, localAe.value(), sopClass, identifier);
          a.release();
          return move.getStatus();
        });
        if (status != 0x0000) {
          throw new PacsException(String.format("C-MOVE %s of study %s from %s ended with status 0x%04X after %d"
                  + " instance(s) (%s); check that %s lists AE %s with this host and port %d", target.level(),
              target.studyInstanceUid(), describe(), status, count.get(), statusMeaning(status), pacs.aeTitle(),
              localAe, receiver.port()), status, null);
        }
      }
    } catch (IOException e) {
      throw new PacsException("Cannot start the C-MOVE receiver for " + describe() + ": " + e.getMessage(), e);
    }
    LOG.info("C-MOVE of {} target(s) from {}: {} instance(s)", targets.size(), pacs, count.get());
    return count.get();
  }

  /** C-STORE of one Part 10 file; throws unless the PACS answered success or warning. */
  public void store(Path file) throws PacsException {
    StoreSummary summary = store(List.of(file), ProgressListener.NONE);
    if (summary.failed() > 0) {
      throw new PacsException("C-STORE to " + describe() + " failed: " + summary.failures().get(0), null);
    }
  }

  /** C-STORE of several Part 10 files on one association, reporting progress per file. */
  public StoreSummary store(List<Path> files, ProgressListener progress) throws PacsException {
    if (files.isEmpty()) {
      return new StoreSummary(0, 0, List.of());
    }
    SetOfDicomFiles set = new SetOfDicomFiles();
    for (Path f : files) {
      try {
        set.add(f.toFile());
      } catch (IOException e) {
        throw new PacsException("Cannot read DICOM file " + f + " for C-STORE: " + e.getMessage(), e);
      }
    }
    Activity activity = new Activity();
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    MultipleInstanceTransferStatusHandlerWithFileName handler = new MultipleInstanceTransferStatusHandlerWithFileName() {
      @Override
      public void updateStatus(int remaining, int completed, int failed, int warning, String sopInstanceUid,
          String fileName, boolean success) {
        activity.touch();
        if (success) {
          ok.incrementAndGet();
        } else {
          failures.add("SOP instance " + LogSafe.shortHash(sopInstanceUid) + " refused");
        }
        progress.progress(completed + failed + warning, files.size());
      }
    };
    call("C-STORE", activity, (association, host, port) -> {
      new StorageSOPClassSCU(host, port, pacs.aeTitle().value(), localAe.value(), set, 0, handler);
      return null;
    });
    int notAnswered = files.size() - ok.get() - failures.size();
    if (notAnswered == files.size()) {
      probeConnection("C-STORE"); // PixelMed traps connection errors here: name them properly
    }
    if (notAnswered > 0) {
      failures.add(notAnswered + " file(s) got no C-STORE response (association rejected or aborted; see the"
          + " PACS log for calling AE '" + localAe + "')");
    }
    LOG.info("C-STORE to {}: {} stored, {} failed", pacs, ok.get(), failures.size());
    return new StoreSummary(ok.get(), files.size() - ok.get(), List.copyOf(failures));
  }

  /** Throws the "connection refused" / "no route" error if a plain TCP connection to the PACS fails. */
  private void probeConnection(String operation) throws PacsException {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(pacs.host(), pacs.port()), (int) Math.min(timeout.toMillis(), 10_000));
    } catch (IOException e) {
      throw translate(operation, e);
    }
  }

  /** Stops the worker threads. */
  @Override
  public void close() {
    executor.shutdownNow();
  }

  /** "called AE 'X' at host:port (calling AE 'Y')", used in every error message. */
  String describe() {
    return "called AE '" + pacs.aeTitle() + "' at " + pacs.host() + ":" + pacs.port() + " (calling AE '" + localAe
        + "')";
  }

  // --- execution with an inactivity watchdog -------------------------------------------------

  /** Last time the peer did something, for the inactivity timeout. */
  private static final class Activity {
    private final AtomicLong last = new AtomicLong(System.nanoTime());

    void touch() {
      last.set(System.nanoTime());
    }

    long idleNanos() {
      return System.nanoTime() - last.get();
    }
  }

  @FunctionalInterface
  private interface DimseBody<T> {
    /** Runs the PixelMed exchange against {@code host:port}, the {@link DimseRelay} to the PACS. */
    T run(AtomicReference<Association> association, String host, int port) throws Exception;
  }

  private <T> T call(String operation, Activity activity, DimseBody<T> body) throws PacsException {
    AtomicReference<Association> association = new AtomicReference<>();
    DimseRelay relay;
    try {
      relay = DimseRelay.open(pacs.host(), pacs.port(), (int) Math.min(timeout.toMillis(), 30_000), tls, executor);
    } catch (IOException e) {
      throw translate(operation, e);
    }
    try (relay) {
      return watch(operation, activity, association, executor.submit(() -> body.run(association, relay.host(),
          relay.port())));
    }
  }

  private <T> T watch(String operation, Activity activity, AtomicReference<Association> association,
      Future<T> future) throws PacsException {
    long limit = timeout.toNanos();
    try {
      while (true) {
        try {
          return future.get(Math.min(100, timeout.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          if (activity.idleNanos() > limit) {
            Association a = association.get();
            if (a != null) {
              try {
                a.abort();
              } catch (DicomNetworkException ignored) {
                // the socket is closed either way
              }
            }
            future.cancel(true);
            throw new PacsException(operation + " timed out: no answer for " + timeout.toMillis() + " ms from "
                + describe() + "; check that the PACS is responsive and that the port is a DICOM port", null);
          }
        }
      }
    } catch (ExecutionException e) {
      throw translate(operation, e.getCause());
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new PacsException(operation + " with " + describe() + " was interrupted", e);
    }
  }

  private PacsException translate(String operation, Throwable t) {
    String msg = String.valueOf(t.getMessage());
    if (t instanceof ConnectException || msg.contains("java.net.ConnectException")) {
      return new PacsException(operation + " failed: connection refused by " + pacs.host() + ":" + pacs.port()
          + " (called AE '" + pacs.aeTitle() + "', calling AE '" + localAe + "'); is the PACS running and is "
          + pacs.port() + " its DICOM port?", t);
    }
    if (t instanceof javax.net.ssl.SSLException) {
      return new PacsException(operation + " failed: TLS with " + describe() + " failed: " + msg.strip()
          + "; check that the PACS's DICOM port speaks TLS, that the trust store holds the CA of its certificate,"
          + " whose name must match '" + pacs.host() + "', and whether it wants our certificate", t);
    }
    if (t instanceof java.net.SocketTimeoutException) {
      return new PacsException(operation + " timed out connecting to " + describe() + "; is " + pacs.host() + ":"
          + pacs.port() + " reachable?", t);
    }
    if (t instanceof UnknownHostException) {
      return new PacsException(operation + " failed: unknown host '" + pacs.host() + "' for " + describe(), t);
    }
    if (t instanceof NoRouteToHostException) {
      return new PacsException(operation + " failed: no route to " + describe(), t);
    }
    if (msg.contains("A-ASSOCIATE-RJ")) {
      return new PacsException(operation + " rejected by " + describe() + ": " + msg.strip()
          + "; check that '" + pacs.aeTitle() + "' is the PACS's AE title and that the PACS knows calling AE '"
          + localAe + "'", t);
    }
    if (msg.contains("A-ABORT") || msg.contains("A-P-ABORT") || t instanceof SocketException
        || t instanceof java.io.EOFException) {
      return new PacsException(operation + " aborted by " + describe() + ": " + msg.strip()
          + "; the PACS may not allow calling AE '" + localAe + "' this operation (check its list of modalities)", t);
    }
    if (msg.contains("status 0x")) {
      int status = parseStatus(msg);
      return new PacsException(operation + " failed at " + describe() + ": " + msg.strip()
          + (status >= 0 ? " (" + statusMeaning(status) + ")" : ""), status < 0 ? 0xC000 : status, t);
    }
    return new PacsException(operation + " with " + describe() + " failed: " + t, t);
  }

  private static int parseStatus(String msg) {
    int i = msg.indexOf("status 0x");
    if (i < 0) {
      return -1;
    }
    String hex = msg.substring(i + 9).replaceAll("[^0-9a-fA-F].*$", "");
    try {
      return Integer.parseInt(hex, 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** A short reading of common DIMSE statuses (PS3.4 C.4.2.1.5, C.4.3.1.4). */
  static String statusMeaning(int status) {
    if (status == 0x0000) {
      return "success";
    }
    if (status == 0xA701 || status == 0xA702 || (status & 0xFF00) == 0xA700) {
      return "refused: out of resources";
    }
    if (status == 0xA801) {
      return "refused: move destination unknown";
    }
    if (status == 0xA900) {
      return "identifier does not match SOP class";
    }
    if (status == 0xB000) {
      return "warning: some sub-operations failed";
    }
    if (status == 0xFE00) {
      return "cancelled";
    }
    if ((status & 0xF000) == 0xC000) {
      return "failed: unable to process";
    }
    return "see PS3.7 annex C";
  }

  private static void createDirectories(Path dir) throws PacsException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new PacsException("Cannot create folder " + dir + ": " + e.getMessage(), e);
    }
  }

  // --- identifiers -----------------------------------------------------------------------------

  private static AttributeList identifier(DicomQuery q, boolean uidsOnly) throws PacsException {
    try {
      AttributeList id = new AttributeList();
      put(id, TagFromName.QueryRetrieveLevel, q.level().name());
      put(id, TagFromName.StudyInstanceUID, q.studyInstanceUid());
      put(id, TagFromName.PatientID, q.patientId());
      put(id, TagFromName.StudyDate, q.studyDateRange());
      String modalities = String.join("\\", new java.util.TreeSet<>(q.modalities()));
      switch (q.level()) {
        case STUDY -> {
          put(id, TagFromName.ModalitiesInStudy, modalities);
          put(id, TagFromName.NumberOfStudyRelatedInstances, "");
        }
        case SERIES -> {
          put(id, TagFromName.SeriesInstanceUID, "");
          put(id, TagFromName.Modality, modalities);
          put(id, TagFromName.Laterality, q.laterality());
          put(id, TagFromName.NumberOfSeriesRelatedInstances, "");
        }
        case IMAGE -> {
          put(id, TagFromName.SeriesInstanceUID, q.seriesInstanceUid());
          put(id, TagFromName.SOPInstanceUID, "");
          if (!uidsOnly || !q.sopClassUid().isEmpty()) {
            put(id, TagFromName.SOPClassUID, q.sopClassUid());
          }
          if (!uidsOnly || !q.laterality().isEmpty()) {
            put(id, TagFromName.ImageLaterality, q.laterality());
          }
        }
      }
      return id;
    } catch (DicomException e) {
      throw new IllegalStateException("Cannot build C-FIND identifier: " + e.getMessage(), e);
    }
  }

  private static AttributeList identifier(RetrieveTarget t) throws PacsException {
    try {
      AttributeList id = new AttributeList();
      put(id, TagFromName.QueryRetrieveLevel, t.level().name());
      put(id, TagFromName.StudyInstanceUID, t.studyInstanceUid());
      if (!t.seriesInstanceUid().isEmpty()) {
        put(id, TagFromName.SeriesInstanceUID, t.seriesInstanceUid());
      }
      if (!t.sopInstanceUid().isEmpty()) {
        put(id, TagFromName.SOPInstanceUID, t.sopInstanceUid());
      }
      return id;
    } catch (DicomException e) {
      throw new IllegalStateException("Cannot build retrieve identifier: " + e.getMessage(), e);
    }
  }

  /** Adds a (possibly multi-valued, backslash-separated) key; an empty value makes a return key. */
  private static void put(AttributeList list, AttributeTag tag, String value) throws DicomException {
    Attribute a = list.putNewAttribute(tag);
    if (!value.isEmpty()) {
      for (String v : value.split("\\\\")) {
        a.addValue(v);
      }
    }
  }

  private static QueryMatch toMatch(QueryLevel level, AttributeList id) {
    String modalities = level == QueryLevel.STUDY
        ? Attribute.getDelimitedStringValuesOrEmptyString(id, TagFromName.ModalitiesInStudy)
        : Attribute.getDelimitedStringValuesOrEmptyString(id, TagFromName.Modality);
    String laterality = level == QueryLevel.IMAGE
        ? Attribute.getSingleStringValueOrEmptyString(id, TagFromName.ImageLaterality)
        : Attribute.getSingleStringValueOrEmptyString(id, TagFromName.Laterality);
    String count = level == QueryLevel.STUDY
        ? Attribute.getSingleStringValueOrEmptyString(id, TagFromName.NumberOfStudyRelatedInstances)
        : Attribute.getSingleStringValueOrEmptyString(id, TagFromName.NumberOfSeriesRelatedInstances);
    int n;
    try {
      n = count.isBlank() || level == QueryLevel.IMAGE ? -1 : Integer.parseInt(count.strip());
    } catch (NumberFormatException e) {
      n = -1;
    }
    return new QueryMatch(level,
        Attribute.getSingleStringValueOrEmptyString(id, TagFromName.StudyInstanceUID),
        Attribute.getSingleStringValueOrEmptyString(id, TagFromName.SeriesInstanceUID),
        Attribute.getSingleStringValueOrEmptyString(id, TagFromName.SOPInstanceUID),
        Attribute.getSingleStringValueOrEmptyString(id, TagFromName.SOPClassUID),
        Attribute.getSingleStringValueOrEmptyString(id, TagFromName.PatientID),
        Attribute.getSingleStringValueOrEmptyString(id, TagFromName.StudyDate),
        modalities.isEmpty() ? List.of() : List.of(modalities.split("\\\\")),
        laterality, n);
  }
}

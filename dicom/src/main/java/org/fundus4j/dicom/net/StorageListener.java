package org.fundus4j.dicom.net;

import com.pixelmed.network.AnyExplicitStorePresentationContextSelectionPolicy;
import com.pixelmed.network.ReceivedObjectHandler;
import com.pixelmed.network.StorageSOPClassSCP;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DICOM storage SCP (C-STORE and C-ECHO) that only talks to allow-listed calling AE titles.
 *
 * <p>Used as the C-MOVE destination of {@link PacsClient} and by {@code fundus serve}. Each
 * connection's A-ASSOCIATE-RQ is read here first: a calling AE title not on the allow-list gets an
 * A-ASSOCIATE-RJ (rejected-permanent, service-user, "calling-AE-title-not-recognized", PS3.8 9.3.4)
 * before PixelMed sees it; a wrong called AE title is rejected by PixelMed. Any explicit transfer
 * syntax is accepted, so JPEG images arrive as they are stored. Each file is handed to the
 * {@link InstanceSink} before the C-STORE response goes out.
 * <pre>{@code
 * try (StorageListener scp = StorageListener.start(InetAddress.getLoopbackAddress(), 0,
 *     AeTitle.of("FUNDUS4J"), Set.of(AeTitle.of("ORTHANC")), Path.of("incoming"), sink)) {
 *   int port = scp.port();
 * }
 * }</pre>
 */
public final class StorageListener implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(StorageListener.class);
  private static final int PDU_ASSOCIATE_RQ = 0x01;
  private static final int MAX_ASSOCIATE_RQ_LENGTH = 1 << 20;
  private static final int IDLE_TIMEOUT_MS = 10 * 60 * 1000;
  /** How long {@link #close()} lets associations that are not over yet end by themselves. */
  static final int CLOSE_GRACE_MS = 200;

  private final ServerSocket server;
  private final boolean tls;
  private final AeTitle ae;
  private final Set<String> allowedCallers;
  private final Path incomingDir;
  private final InstanceSink sink;
  private final ExecutorService workers;
  private final Thread acceptor;
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  /** Open connections, each with whether its association is over (see {@link PduWatch}). */
  private final java.util.Map<Socket, Connection> open = new java.util.concurrent.ConcurrentHashMap<>();

  /** One connection's worker thread and whether its association is over. */
  private record Connection(Thread thread, java.util.concurrent.atomic.AtomicBoolean over) {
  }
  private volatile boolean closed;

  private StorageListener(ServerSocket server, AeTitle ae, Set<AeTitle> allowedCallers, Path incomingDir,
      InstanceSink sink) {
    this.server = server;
    this.tls = server instanceof javax.net.ssl.SSLServerSocket;
    this.ae = ae;
    this.allowedCallers = allowedCallers.stream().map(AeTitle::value).collect(java.util.stream.Collectors.toUnmodifiableSet());
    this.incomingDir = incomingDir;
    this.sink = sink;
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "dicom-scp-" + ae.value() + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.acceptor = new Thread(this::acceptLoop, "dicom-scp-accept-" + ae.value());
    this.acceptor.setDaemon(true);
  }

  /**
   * Binds {@code bindAddress:port} (port 0 picks a free one) and starts accepting associations.
   *
   * @param bindAddress address to listen on, e.g. {@link InetAddress#getLoopbackAddress()}
   * @param port TCP port, 0 for any free port
   * @param ae our AE title; associations calling another title are rejected
   * @param allowedCallers calling AE titles accepted; must not be empty
   * @param incomingDir where PixelMed writes each file before the sink takes it
   * @param sink receives each stored instance before the C-STORE response is sent
   * @throws IOException when the port cannot be bound (message names address and port)
   */
  public static StorageListener start(InetAddress bindAddress, int port, AeTitle ae, Set<AeTitle> allowedCallers,
      Path incomingDir, InstanceSink sink) throws IOException {
    return start(bindAddress, port, ae, allowedCallers, incomingDir, sink, null);
  }

  /**
   * As {@link #start(InetAddress, int, AeTitle, Set, Path, InstanceSink)}, speaking DICOM TLS when
   * {@code tls} is given (BCP 195; callers need a certificate trusted by {@code tls}'s trust store when
   * {@link DicomTls#clientAuthRequired()}); the AE-title allow-list applies on top.
   */
  public static StorageListener start(InetAddress bindAddress, int port, AeTitle ae, Set<AeTitle> allowedCallers,
      Path incomingDir, InstanceSink sink, DicomTls tls) throws IOException {
    if (allowedCallers == null || allowedCallers.isEmpty()) {
      throw new IllegalArgumentException("Storage SCP " + ae + " needs at least one allow-listed calling AE title");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("Port must be 0-65535, got " + port);
    }
    Files.createDirectories(incomingDir);
    ServerSocket server = tls == null ? new ServerSocket() : tls.serverSocket();
    server.setReuseAddress(true);
    try {
      server.bind(new InetSocketAddress(bindAddress, port), 50);
    } catch (IOException e) {
      server.close();
      throw new IOException("Cannot listen for DICOM on " + bindAddress.getHostAddress() + ":" + port
          + " as AE " + ae + ": " + e.getMessage(), e);
    }
    StorageListener listener = new StorageListener(server, ae, Set.copyOf(allowedCallers), incomingDir, sink);
    listener.acceptor.start();
    LOG.info("DICOM storage SCP {} listening on {}:{}{}, {} allowed caller(s)", ae,
        bindAddress.getHostAddress(), server.getLocalPort(), tls == null ? "" : " with " + tls, allowedCallers.size());
    return listener;
  }

  /** The TCP port actually bound. */
  public int port() {
    return server.getLocalPort();
  }

  /** Whether callers must speak TLS. */
  public boolean tls() {
    return tls;
  }

  /** Our AE title. */
  public AeTitle aeTitle() {
    return ae;
  }

  /** Instances handed to the sink so far. */
  public long receivedCount() {
    return received.get();
  }

  /** Associations refused because of their calling AE title. */
  public long rejectedCount() {
    return rejected.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("Storage SCP {} stopped accepting: {}", ae, e.getMessage());
        }
        return;
      }
      try {
        workers.execute(() -> serve(socket));
      } catch (RuntimeException e) {
        closeQuietly(socket);
      }
    }
  }

  private void serve(Socket socket) {
    java.util.concurrent.atomic.AtomicBoolean over = new java.util.concurrent.atomic.AtomicBoolean();
    open.put(socket, new Connection(Thread.currentThread(), over));
    try {
      DimseSockets.tune(socket);
      socket.setSoTimeout(30_000);
      if (socket instanceof javax.net.ssl.SSLSocket ssl) {
        ssl.startHandshake(); // fails here (logged with the peer's address) for untrusted or certificate-less callers
      }
      InputStream in = DimseSockets.quickAckingInput(socket, socket);
      byte[] pdu = readAssociateRequest(in);
      if (pdu == null) {
        closeQuietly(socket);
        return;
      }
      String called = new String(pdu, 10, 16, StandardCharsets.US_ASCII).strip();
      String calling = new String(pdu, 26, 16, StandardCharsets.US_ASCII).strip();
      if (!allowedCallers.contains(calling)) {
        rejected.incrementAndGet();
        LOG.warn("Rejected association from {} calling AE '{}' (called '{}'): calling AE title not on the allow-list",
            socket.getInetAddress().getHostAddress(), calling, called);
        OutputStream out = socket.getOutputStream();
        // A-ASSOCIATE-RJ: type 3, length 4, result 1 (permanent), source 1 (service-user), reason 3 (calling AE).
        out.write(new byte[] {0x03, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x01, 0x03});
        out.flush();
        Thread.sleep(100); // let the peer read the RJ before the FIN (PS3.8 9.1.4: requestor closes)
        closeQuietly(socket);
        return;
      }
      socket.setSoTimeout(IDLE_TIMEOUT_MS); // a peer silent this long loses its association (frees the thread)
      Socket replay = new ReplaySocket(socket, pdu, in, new PduWatch(socket.getOutputStream(), () -> {
        over.set(true);
        changed();
      }));
      ReceivedObjectHandler handler = new ReceivedObjectHandler() {
        @Override
        public void sendReceivedObjectIndication(String fileName, String transferSyntax, String callingAe)
            throws IOException {
          try {
            ReceivedInstance instance = Part10.describe(Path.of(fileName), callingAe);
            sink.accept(instance);
          } catch (IOException | RuntimeException e) {
            // PixelMed would keep the association open without answering; abort it so the sender sees the
            // failure at once and can retry (or give up) instead of waiting for a response
            Files.deleteIfExists(Path.of(fileName));
            closeQuietly(socket);
            throw e;
          }
          received.incrementAndGet();
        }
      };
      new StorageSOPClassSCP(replay, ae.value(), 16384, 0, 0, incomingDir.toFile(),
          Part10.INCOMING, handler, null, null, null, null,
          acceptancePolicy()).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      closeQuietly(socket);
    } catch (Exception e) {
      if (!closed) {
        LOG.warn("Storage SCP {}: association from {} failed: {}", ae, socket.getInetAddress().getHostAddress(),
            e.toString());
      }
      closeQuietly(socket);
    } finally {
      open.remove(socket);
      changed();
    }
  }

  /** Wakes {@link #close()} when a connection's association ended or the connection went away. */
  private void changed() {
    synchronized (open) {
      open.notifyAll();
    }
  }

  /**
   * What the SCP accepts: Verification and every storage SOP class PixelMed knows, each in any
   * explicit transfer syntax proposed (so compressed images arrive as stored), Implicit VR Little Endian
   * only when proposed alone. {@link DimseConformance} documents it by running this policy.
   */
  static com.pixelmed.network.PresentationContextSelectionPolicy acceptancePolicy() {
    return new AnyExplicitStorePresentationContextSelectionPolicy();
  }

  /** Reads one whole PDU; returns it (header included) if it is an A-ASSOCIATE-RQ, else null. */
  private static byte[] readAssociateRequest(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    byte[] header = new byte[6];
    try {
      data.readFully(header);
    } catch (EOFException e) {
      return null; // port probe
    }
    long length = ((header[2] & 0xffL) << 24) | ((header[3] & 0xffL) << 16) | ((header[4] & 0xffL) << 8)
        | (header[5] & 0xffL);
    if ((header[0] & 0xff) != PDU_ASSOCIATE_RQ || length < 68 || length > MAX_ASSOCIATE_RQ_LENGTH) {
      return null;
    }
    byte[] pdu = new byte[6 + (int) length];
    System.arraycopy(header, 0, pdu, 0, 6);
    data.readFully(pdu, 6, (int) length);
    return pdu;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }

  /**
   * Stops accepting and closes open associations. A C-STORE cut off this way was not answered, so
   * its sender sees a failure and sends it again later; nothing it was told succeeded is lost.
   *
   * <p>Associations already released (our A-RELEASE-RP sent) or aborted are closed at once; others get up
   * to {@value #CLOSE_GRACE_MS} ms to end first (Orthanc and others may keep a finished association open
   * for reuse: that is not waited for). PixelMed keeps the thread of a released association waiting up to
   * 5 s (its ARTIM timer, {@code Association.waitForARTIMBeforeTransportConnectionClose}, not settable) for
   * the peer to close the connection; that daemon thread then ends by itself. It used to be interrupted after
   * the grace period, which cost every C-MOVE {@value #CLOSE_GRACE_MS} ms and logged PixelMed errors.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    workers.shutdown();
    try {
      awaitAllOver(CLOSE_GRACE_MS);
      // released ones: PixelMed would close them after its ARTIM wait; the rest are cut off
      open.forEach((socket, c) -> {
        closeQuietly(socket);
        if (!c.over().get()) {
          c.thread().interrupt();
        }
      });
      awaitAllOver(5_000); // the threads of cut-off connections end with their sockets (a sink call finishes first)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("DICOM storage SCP {} closed after {} instance(s), {} rejected association(s)", ae, received.get(),
        rejected.get());
  }

  /** Waits until every open connection's association is over (or the connection gone), at most {@code ms}. */
  private void awaitAllOver(long ms) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    synchronized (open) {
      for (long left; open.values().stream().anyMatch(c -> !c.over().get())
          && (left = deadline - System.nanoTime()) > 0; ) {
        TimeUnit.NANOSECONDS.timedWait(open, left);
      }
    }
  }

  /**
   * The PDUs PixelMed writes on one connection, followed across {@code write} calls by their headers (type,
   * reserved, 4-byte length): once an A-ASSOCIATE-RJ, A-RELEASE-RP or A-ABORT has gone out, the association
   * is over and nothing more is sent or received on it.
   */
  static final class PduWatch extends java.io.FilterOutputStream {
    private final Runnable over;
    private final byte[] header = new byte[6];
    private int headerFill;
    private long bodyLeft;

    PduWatch(OutputStream out, Runnable over) {
      super(out);
      this.over = over;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      scan(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      scan(b, off, len);
    }

    private void scan(byte[] b, int off, int len) {
      int i = off;
      int end = off + len;
      while (i < end) {
        if (bodyLeft > 0) {
          int n = (int) Math.min(bodyLeft, end - i);
          bodyLeft -= n;
          i += n;
          if (bodyLeft == 0) {
            ended();
          }
          continue;
        }
        header[headerFill++] = b[i++];
        if (headerFill == header.length) {
          headerFill = 0;
          bodyLeft = ((header[2] & 0xffL) << 24) | ((header[3] & 0xffL) << 16) | ((header[4] & 0xffL) << 8)
              | (header[5] & 0xffL);
          if (bodyLeft == 0) {
            ended();
          }
        }
      }
    }

    private void ended() {
      int type = header[0] & 0xff;
      if (type == 0x03 || type == 0x06 || type == 0x07) { // A-ASSOCIATE-RJ, A-RELEASE-RP, A-ABORT
        over.run();
      }
    }
  }

  /** A connected socket whose input replays the A-ASSOCIATE-RQ we already consumed. */
  private static final class ReplaySocket extends Socket {
    private final Socket delegate;
    private final InputStream input;
    private final OutputStream output;

    ReplaySocket(Socket delegate, byte[] consumed, InputStream rest, OutputStream output) {
      this.delegate = delegate;
      this.input = new SequenceInputStream(new ByteArrayInputStream(consumed), rest);
      this.output = output;
    }

    @Override public InputStream getInputStream() { return input; }
    @Override public OutputStream getOutputStream() { return output; }
    @Override public synchronized void close() throws IOException { delegate.close(); }
    @Override public synchronized void setSoTimeout(int timeout) throws SocketException { delegate.setSoTimeout(timeout); }
    @Override public synchronized int getSoTimeout() throws SocketException { return delegate.getSoTimeout(); }
    @Override public synchronized void setReceiveBufferSize(int size) throws SocketException { delegate.setReceiveBufferSize(size); }
    @Override public synchronized int getReceiveBufferSize() throws SocketException { return delegate.getReceiveBufferSize(); }
    @Override public synchronized void setSendBufferSize(int size) throws SocketException { delegate.setSendBufferSize(size); }
    @Override public synchronized int getSendBufferSize() throws SocketException { return delegate.getSendBufferSize(); }
    @Override public void setTcpNoDelay(boolean on) throws SocketException { delegate.setTcpNoDelay(on); }
    @Override public boolean getTcpNoDelay() throws SocketException { return delegate.getTcpNoDelay(); }
    @Override public void setSoLinger(boolean on, int linger) throws SocketException { delegate.setSoLinger(on, linger); }
    @Override public int getSoLinger() throws SocketException { return delegate.getSoLinger(); }
    @Override public void setKeepAlive(boolean on) throws SocketException { delegate.setKeepAlive(on); }
    @Override public boolean getKeepAlive() throws SocketException { return delegate.getKeepAlive(); }
    @Override public InetAddress getInetAddress() { return delegate.getInetAddress(); }
    @Override public InetAddress getLocalAddress() { return delegate.getLocalAddress(); }
    @Override public int getPort() { return delegate.getPort(); }
    @Override public int getLocalPort() { return delegate.getLocalPort(); }
    @Override public SocketAddress getRemoteSocketAddress() { return delegate.getRemoteSocketAddress(); }
    @Override public SocketAddress getLocalSocketAddress() { return delegate.getLocalSocketAddress(); }
    @Override public boolean isConnected() { return delegate.isConnected(); }
    @Override public boolean isBound() { return delegate.isBound(); }
    @Override public boolean isClosed() { return delegate.isClosed(); }
    @Override public void shutdownInput() throws IOException { delegate.shutdownInput(); }
    @Override public void shutdownOutput() throws IOException { delegate.shutdownOutput(); }
    @Override public boolean isInputShutdown() { return delegate.isInputShutdown(); }
    @Override public boolean isOutputShutdown() { return delegate.isOutputShutdown(); }
    @Override public String toString() { return delegate.toString(); }
  }
}

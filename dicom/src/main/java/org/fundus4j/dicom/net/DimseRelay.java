package org.fundus4j.dicom.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;

/**
 * The socket under one PixelMed SCU association: PixelMed opens its own {@code java.net.Socket}
 * (AssociationInitiator: {@code new Socket(host, port)}, no hook for options or a factory), so
 * {@link PacsClient} connects to the PACS itself, with {@link DimseSockets}' options and optionally
 * TLS, and lets PixelMed connect to this one-shot loopback endpoint that forwards both ways.
 *
 * <p>The upstream connection is made in {@link #open} (so "connection refused" surfaces there, before
 * PixelMed starts); the loopback port accepts exactly one connection, from 127.0.0.1, and closes its
 * listening socket once that connection arrived.
 */
final class DimseRelay implements AutoCloseable {

  private static final int BUFFER = 64 * 1024;

  private final Socket upstream;
  private final Socket upstreamRaw;
  private final ServerSocket local;
  private volatile Socket accepted;
  private volatile boolean closed;

  private DimseRelay(Socket upstream, Socket upstreamRaw, ServerSocket local) {
    this.upstream = upstream;
    this.upstreamRaw = upstreamRaw;
    this.local = local;
  }

  /** Connects to {@code host:port} (TLS when {@code tls} is given) and starts the loopback endpoint. */
  static DimseRelay open(String host, int port, int connectTimeoutMs, DicomTls tls, ExecutorService threads)
      throws IOException {
    DimseSockets.Connection upstream = DimseSockets.connect(host, port, connectTimeoutMs, tls);
    ServerSocket local = new ServerSocket();
    try {
      local.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
    } catch (IOException e) {
      local.close();
      upstream.socket().close();
      throw e;
    }
    DimseRelay relay = new DimseRelay(upstream.socket(), upstream.raw(), local);
    threads.execute(relay::acceptAndPump);
    return relay;
  }

  /** The loopback host PixelMed should connect to. */
  String host() {
    return local.getInetAddress().getHostAddress();
  }

  /** The loopback port PixelMed should connect to. */
  int port() {
    return local.getLocalPort();
  }

  private void acceptAndPump() {
    try (ServerSocket server = local) {
      Socket s = server.accept();
      if (!s.getInetAddress().isLoopbackAddress()) {
        s.close();
        close();
        return;
      }
      DimseSockets.tune(s);
      accepted = s;
    } catch (IOException e) {
      close();
      return;
    }
    Thread down = new Thread(() -> pump(upstream, upstreamRaw, accepted), "dimse-relay-down-" + port());
    down.setDaemon(true);
    down.start();
    pump(accepted, accepted, upstream);
  }

  private void pump(Socket from, Socket fromRaw, Socket to) {
    byte[] buffer = new byte[BUFFER];
    try {
      InputStream in = DimseSockets.quickAckingInput(from, fromRaw);
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) > 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side closed or reset: close both below, PixelMed reports the broken association
    } finally {
      close();
    }
  }

  /** Closes both connections and the loopback endpoint. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeQuietly(local);
    closeQuietly(accepted);
    closeQuietly(upstream);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }
}

package org.fundus4j.dicom.net;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import javax.net.ssl.SSLSocket;

/**
 * How fundus4j sets up every TCP socket that carries DIMSE: one home for the options measured in
 * {@code dicom/docs/pacs-networking.md} ("Where the 47 ms per instance went").
 *
 * <ul>
 *   <li>{@code TCP_NODELAY}: PixelMed writes a PDU in several {@code write} calls; with Nagle's
 *       algorithm the second one waits for the peer's (delayed) ACK of the first.</li>
 *   <li>{@code TCP_QUICKACK} after every read (Linux): DCMTK-based peers such as Orthanc send a
 *       P-DATA-TF header (12 bytes) and its PDV in two writes with Nagle left on, so the PDV leaves only
 *       once we ACK the header. Linux delays that ACK by ~40 ms in request/response traffic; re-arming
 *       quick-ACK mode after each read sends it at once. The kernel leaves quick-ACK mode by itself,
 *       hence "after every read".</li>
 * </ul>
 */
final class DimseSockets {

  private DimseSockets() {
  }

  /** A connection: the socket to read and write ({@code raw} itself, or TLS over it) and the TCP socket. */
  record Connection(Socket socket, Socket raw) {
  }

  /** Connects a plain socket with the options above, then wraps it in TLS when {@code tls} is given. */
  static Connection connect(String host, int port, int timeoutMs, DicomTls tls) throws IOException {
    Socket raw = new Socket();
    try {
      raw.setTcpNoDelay(true);
      raw.connect(new InetSocketAddress(host, port), timeoutMs);
      if (tls == null) {
        return new Connection(raw, raw);
      }
      raw.setSoTimeout(timeoutMs);
      SSLSocket ssl = tls.layer(raw, host, port);
      ssl.startHandshake();
      raw.setSoTimeout(0);
      return new Connection(ssl, raw);
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }

  /** Sets {@code TCP_NODELAY} on an accepted socket. */
  static void tune(Socket socket) throws SocketException {
    socket.setTcpNoDelay(true);
  }

  /**
   * {@code socket}'s input stream, re-arming quick-ACK mode on {@code raw} (the TCP socket under a TLS
   * socket, or {@code socket} itself) after every read that returned data.
   */
  static InputStream quickAckingInput(Socket socket, Socket raw) throws IOException {
    InputStream in = socket.getInputStream();
    if (!QuickAck.SUPPORTED) {
      return in;
    }
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          QuickAck.arm(raw);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          QuickAck.arm(raw);
        }
        return n;
      }
    };
  }

  /** {@code jdk.net.ExtendedSocketOptions.TCP_QUICKACK} where the platform has it (Linux). */
  static final class QuickAck {
    static final boolean SUPPORTED;

    static {
      boolean supported;
      try (Socket probe = new Socket()) {
        supported = probe.supportedOptions().contains(jdk.net.ExtendedSocketOptions.TCP_QUICKACK);
      } catch (IOException | RuntimeException | LinkageError e) {
        supported = false;
      }
      SUPPORTED = supported;
    }

    private QuickAck() {
    }

    static void arm(Socket raw) {
      try {
        raw.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, Boolean.TRUE);
      } catch (IOException | UnsupportedOperationException e) {
        // closed meanwhile, or not a TCP socket: the read result stands either way
      }
    }
  }
}

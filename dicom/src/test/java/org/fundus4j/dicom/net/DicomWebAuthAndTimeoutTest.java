package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bearer tokens and HTTP timeouts, against the JDK's own HTTP server and a silent socket (Orthanc only
 * does basic auth).
 */
class DicomWebAuthAndTimeoutTest {

  @Test
  void bearerTokenIsSentAndNeverPrinted() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/dicom-web/studies", exchange -> {
      boolean ok = "Bearer t0ken".equals(exchange.getRequestHeaders().getFirst("Authorization"));
      byte[] body = (ok ? "[{\"0020000D\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]},"
          + "\"00201208\":{\"vr\":\"IS\",\"Value\":[7]}}]" : "{}").getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/dicom+json");
      exchange.sendResponseHeaders(ok ? 200 : 401, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      URI root = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/dicom-web");
      List<QueryMatch> m = new DicomWebClient(root, DicomWebAuth.bearer("t0ken")).search(DicomQuery.studies());
      assertEquals(1, m.size());
      assertEquals("1.2.3", m.get(0).studyInstanceUid());
      assertEquals(7, m.get(0).numberOfInstances());
      PacsException e = assertThrows(PacsException.class,
          () -> new DicomWebClient(root, DicomWebAuth.bearer("wrong")).search(DicomQuery.studies()));
      assertEquals(401, e.status().getAsInt());
      assertTrue(e.getMessage().contains("check the user/password or token"), e.getMessage());
      assertFalse(DicomWebAuth.bearer("t0ken").toString().contains("t0ken"));
      assertFalse(DicomWebAuth.basic("u", "pw-secret").toString().contains("pw-secret"));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void silentServerTimesOutNamingHostAndPort() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = new ArrayList<>();
      Thread t = new Thread(() -> {
        try {
          while (true) {
            accepted.add(silent.accept());
          }
        } catch (IOException ignored) {
          // closed
        }
      });
      t.setDaemon(true);
      t.start();
      DicomWebClient web = new DicomWebClient(URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/dicom-web/"),
          DicomWebAuth.none()).withTimeout(Duration.ofMillis(500));
      PacsException e = assertThrows(PacsException.class, () -> web.search(DicomQuery.studies()));
      assertTrue(e.getMessage().contains("timed out"), e.getMessage());
      assertTrue(e.getMessage().contains("127.0.0.1:" + silent.getLocalPort()), e.getMessage());
      for (Socket s : accepted) {
        s.close();
      }
    }
  }
}

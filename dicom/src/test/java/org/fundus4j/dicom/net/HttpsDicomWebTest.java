package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DICOMweb over HTTPS with a private trust anchor. Orthanc 1.10.1 (Debian 12) crashes (SIGSEGV in a
 * civetweb worker, with or without the DICOMweb plugin) on its first HTTPS request when {@code SslEnabled} is
 * set (see {@code dicom/docs/pacs-networking.md}), so the server here is the JDK's own
 * {@link HttpsServer} with a certificate for IP 127.0.0.1 made by {@code keytool}, serving a real
 * img2dcm file as a WADO-RS multipart response.
 */
class HttpsDicomWebTest {

  static final String PASSWORD = "changeit-test";

  @TempDir
  static Path tmp;
  static HttpsServer server;
  static SSLContext clientTrust;
  static Path instance;

  @BeforeAll
  static void start() throws Exception {
    Path ks = tmp.resolve("server.p12");
    FundusStudyFixture.run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "1",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", ks.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD));
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      keyStore.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keyStore, PASSWORD.toCharArray());
    SSLContext serverContext = SSLContext.getInstance("TLS");
    serverContext.init(kmf.getKeyManagers(), null, null);

    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("server", keyStore.getCertificate("server"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    clientTrust = SSLContext.getInstance("TLS");
    clientTrust.init(null, tmf.getTrustManagers(), null);

    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("study"), 1, "PAT-TLS", "L", "20240505", 32);
    instance = study.files().get(0);
    byte[] dicom = Files.readAllBytes(instance);

    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
    server.createContext("/dicom-web/studies/", exchange -> {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write("--XyZ\r\nContent-Type: application/dicom\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      body.write(dicom);
      body.write("\r\n--XyZ--\r\n".getBytes(StandardCharsets.US_ASCII));
      exchange.getResponseHeaders().add("Content-Type",
          "multipart/related; type=\"application/dicom\"; boundary=XyZ");
      exchange.sendResponseHeaders(200, body.size());
      exchange.getResponseBody().write(body.toByteArray());
      exchange.close();
    });
    server.start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  URI root() {
    return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/dicom-web/");
  }

  @Test
  void wadoRsWorksOverHttpsWithAPrivateTrustAnchor() throws Exception {
    DicomWebClient web = new DicomWebClient(root(), DicomWebAuth.bearer("t")).withSslContext(clientTrust);
    ReceivedInstance original = ReceivedInstance.read(instance);
    List<ReceivedInstance> got = new ArrayList<>();
    assertEquals(1, web.retrieve(RetrieveTarget.study(original.studyInstanceUid()), tmp.resolve("in"), got::add));
    assertEquals(original.sopInstanceUid(), got.get(0).sopInstanceUid());
    assertEquals(FundusStudyFixture.JPEG_BASELINE, got.get(0).transferSyntaxUid());
    assertArrayEquals(Files.readAllBytes(instance), Files.readAllBytes(got.get(0).file()));
  }

  @Test
  void untrustedCertificateIsRefusedNamingTheUrl() {
    DicomWebClient web = new DicomWebClient(root(), DicomWebAuth.none());
    PacsException e = assertThrows(PacsException.class,
        () -> web.retrieve(RetrieveTarget.study("1.2.3"), tmp.resolve("in2"), r -> { }));
    assertTrue(e.getMessage().contains("WADO-RS https://127.0.0.1:" + server.getAddress().getPort()), e.getMessage());
  }
}

package org.fundus4j.dicom.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away PKI made at test time with {@code openssl} and {@code keytool}: a CA, a server
 * certificate for 127.0.0.1 / localhost, a client certificate, and a second CA nobody trusts; PEM files
 * for dcmtk and Orthanc, PKCS#12 stores (password {@link #PASSWORD}) for the JDK.
 */
public final class TestCertificates {

  public static final String PASSWORD = "changeit";

  public final Path dir;
  public final Path caPem;
  public final Path serverPem;
  public final Path serverKey;
  public final Path clientPem;
  public final Path clientKey;
  public final Path serverP12;
  public final Path clientP12;
  public final Path trustP12;
  public final Path otherCaTrustP12;
  public final Path otherPem;
  public final Path otherKey;

  private TestCertificates(Path dir) {
    this.dir = dir;
    this.caPem = dir.resolve("ca.pem");
    this.serverPem = dir.resolve("server.pem");
    this.serverKey = dir.resolve("server.key");
    this.clientPem = dir.resolve("client.pem");
    this.clientKey = dir.resolve("client.key");
    this.serverP12 = dir.resolve("server.p12");
    this.clientP12 = dir.resolve("client.p12");
    this.trustP12 = dir.resolve("trust.p12");
    this.otherCaTrustP12 = dir.resolve("other-trust.p12");
    this.otherPem = dir.resolve("other.pem");
    this.otherKey = dir.resolve("other.key");
  }

  /** Makes everything in {@code dir} (about a second of openssl/keytool). */
  public static TestCertificates make(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    TestCertificates c = new TestCertificates(dir);
    String d = dir.toString() + "/";
    ca(d, "ca", "fundus4j test CA");
    ca(d, "otherca", "untrusted test CA");
    leaf(d, "server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost");
    leaf(d, "client", "ca", "subjectAltName=DNS:fundus4j-client");
    leaf(d, "other", "otherca", "subjectAltName=IP:127.0.0.1");
    for (String name : List.of("server", "client")) {
      run("openssl", "pkcs12", "-export", "-in", d + name + ".pem", "-inkey", d + name + ".key", "-certfile",
          d + "ca.pem", "-name", name, "-out", d + name + ".p12", "-passout", "pass:" + PASSWORD);
    }
    run("keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", d + "ca.pem", "-keystore", d + "trust.p12",
        "-storetype", "PKCS12", "-storepass", PASSWORD);
    run("keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", d + "otherca.pem", "-keystore",
        d + "other-trust.p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
    return c;
  }

  private static void ca(String d, String name, String cn) throws IOException, InterruptedException {
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + cn,
        "-keyout", d + name + ".key", "-out", d + name + ".pem", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  }

  private static void leaf(String d, String name, String ca, String san) throws IOException, InterruptedException {
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", d + name + ".key",
        "-out", d + name + ".csr");
    Files.writeString(Path.of(d + name + ".ext"), san + "\nextendedKeyUsage=serverAuth,clientAuth\n"
        + "keyUsage=critical,digitalSignature,keyEncipherment\n");
    run("openssl", "x509", "-req", "-in", d + name + ".csr", "-CA", d + ca + ".pem", "-CAkey", d + ca + ".key",
        "-CAcreateserial", "-days", "2", "-out", d + name + ".pem", "-extfile", d + name + ".ext");
  }

  /** An SSLContext trusting this CA (for HTTPS clients in tests). */
  public SSLContext trustingContext() throws Exception {
    KeyStore ks = KeyStore.getInstance(trustP12.toFile(), PASSWORD.toCharArray());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  private static void run(String... command) throws IOException, InterruptedException {
    FundusStudyFixture.run(List.of(command));
  }
}

package org.fundus4j.dicom.net;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * DICOM TLS settings: PS3.15 Annex B.9 "BCP 195 TLS Secure Transport Connection Profile" (RFC 7525),
 * for the PACS client ({@link PacsClient#withTls}) and the listening node ({@link StorageListener}).
 *
 * <p>TLS 1.3 and 1.2 only, AEAD cipher suites with forward secrecy only ({@link #CIPHER_SUITES}),
 * server certificates checked against the trust store and the host name (subject alternative
 * name); a key store makes our side present a certificate (needed to listen, optional as a client:
 * mutual authentication). PixelMed's own "secure transport" flag is not used: it enables TLSv1
 * with {@code TLS_RSA_WITH_AES_128_CBC_SHA} only (PS3.15 B.1, retired), which JDK 17 disables.
 * <pre>{@code
 * DicomTls tls = DicomTls.of(Path.of("node.p12"), "changeit".toCharArray(),
 *     Path.of("hospital-ca.p12"), "changeit".toCharArray()).withClientAuthRequired(true);
 * }</pre>
 */
public final class DicomTls {

  /** Protocol versions enabled (BCP 195: TLS 1.2 or later). */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /** Cipher suites enabled: TLS 1.3's and RFC 7525 section 4.2's recommended TLS 1.2 suites. */
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384");

  private final SSLContext context;
  private final boolean hasKey;
  private final boolean clientAuthRequired;

  private DicomTls(SSLContext context, boolean hasKey, boolean clientAuthRequired) {
    this.context = context;
    this.hasKey = hasKey;
    this.clientAuthRequired = clientAuthRequired;
  }

  /**
   * Settings from a key store (our certificate and private key; {@code null} for a client without one)
   * and a trust store (the CA certificates whose peers we accept). PKCS#12 or JKS, as {@code keytool}
   * writes them.
   *
   * @throws IllegalArgumentException naming the file when a store cannot be read or its password is wrong
   */
  public static DicomTls of(Path keyStore, char[] keyStorePassword, Path trustStore, char[] trustStorePassword) {
    if (trustStore == null) {
      throw new IllegalArgumentException("DICOM TLS needs a trust store (the CA certificates of the peers)");
    }
    try {
      KeyManagerFactory kmf = null;
      if (keyStore != null) {
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keyStore, keyStorePassword, "key store"), keyStorePassword);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(load(trustStore, trustStorePassword, "trust store"));
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return new DicomTls(context, keyStore != null, false);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("Cannot set up DICOM TLS from key store " + keyStore + " and trust store "
          + trustStore + ": " + e.getMessage(), e);
    }
  }

  private static KeyStore load(Path file, char[] password, String what) {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("DICOM TLS " + what + " " + file + " does not exist or is not readable");
    }
    try {
      return KeyStore.getInstance(file.toFile(), password);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("Cannot read DICOM TLS " + what + " " + file + " (wrong password or not"
          + " a PKCS#12/JKS file?): " + e.getMessage(), e);
    }
  }

  /** The same settings; as a server, refuse peers that present no certificate trusted by the trust store. */
  public DicomTls withClientAuthRequired(boolean required) {
    return new DicomTls(context, hasKey, required);
  }

  /** Whether a listening socket asks for and requires the caller's certificate. */
  public boolean clientAuthRequired() {
    return clientAuthRequired;
  }

  /** Whether we present a certificate of our own. */
  public boolean hasKey() {
    return hasKey;
  }

  /** TLS client socket over the connected {@code raw} socket, checking the server's name against {@code host}. */
  SSLSocket layer(Socket raw, String host, int port) throws IOException {
    SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, true);
    SSLParameters p = parameters(ssl.getSupportedCipherSuites());
    p.setEndpointIdentificationAlgorithm("HTTPS"); // RFC 6125 host name check, as BCP 195 asks
    ssl.setSSLParameters(p);
    ssl.setUseClientMode(true);
    return ssl;
  }

  /** A listening TLS socket (not yet bound). */
  SSLServerSocket serverSocket() throws IOException {
    if (!hasKey) {
      throw new IllegalStateException("A DICOM TLS listener needs a key store with our certificate");
    }
    SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
    SSLParameters p = parameters(server.getSupportedCipherSuites());
    p.setNeedClientAuth(clientAuthRequired);
    server.setSSLParameters(p);
    return server;
  }

  private static SSLParameters parameters(String[] supported) {
    List<String> supportedList = List.of(supported);
    SSLParameters p = new SSLParameters();
    p.setProtocols(PROTOCOLS.toArray(String[]::new));
    p.setCipherSuites(CIPHER_SUITES.stream().filter(supportedList::contains).toArray(String[]::new));
    return p;
  }

  @Override
  public String toString() {
    return "DicomTls[" + String.join("/", PROTOCOLS) + (hasKey ? ", own certificate" : "")
        + (clientAuthRequired ? ", client certificate required" : "") + "]";
  }
}

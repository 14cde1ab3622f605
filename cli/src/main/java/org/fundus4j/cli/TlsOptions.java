package org.fundus4j.cli;

import java.nio.file.Path;
import org.fundus4j.dicom.net.DicomTls;
import picocli.CommandLine.Option;

/** DICOM TLS options of {@code fundus pacs} and {@code fundus serve}; the settings are {@link DicomTls}'s. */
final class TlsOptions {

  @Option(names = "--tls-truststore", required = true, paramLabel = "P12",
      description = "DICOM TLS (BCP 195): trust store with the CA certificates of the peers (PKCS#12 or JKS)")
  Path trustStore;

  @Option(names = "--tls-truststore-password", paramLabel = "PASSWORD",
      defaultValue = "${env:FUNDUS4J_TLS_TRUSTSTORE_PASSWORD}",
      description = "Password of --tls-truststore (or set FUNDUS4J_TLS_TRUSTSTORE_PASSWORD)")
  String trustStorePassword;

  @Option(names = "--tls-keystore", paramLabel = "P12",
      description = "Key store with our certificate and key (required to listen; as a client, for mutual auth)")
  Path keyStore;

  @Option(names = "--tls-keystore-password", paramLabel = "PASSWORD",
      defaultValue = "${env:FUNDUS4J_TLS_KEYSTORE_PASSWORD}",
      description = "Password of --tls-keystore (or set FUNDUS4J_TLS_KEYSTORE_PASSWORD)")
  String keyStorePassword;

  /** The settings, or {@code null} when no TLS option was given. */
  static DicomTls settings(TlsOptions options) {
    if (options == null) {
      return null;
    }
    return DicomTls.of(options.keyStore, chars(options.keyStorePassword), options.trustStore,
        chars(options.trustStorePassword));
  }

  private static char[] chars(String password) {
    return password == null || password.isEmpty() ? null : password.toCharArray();
  }
}

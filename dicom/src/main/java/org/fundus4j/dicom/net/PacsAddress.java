package org.fundus4j.dicom.net;

/**
 * Where a DICOM peer listens: host, TCP port and the AE title it answers to (the "called" AE).
 *
 * <pre>{@code
 * PacsAddress pacs = new PacsAddress("127.0.0.1", 4242, AeTitle.of("ORTHANC"));
 * pacs.toString();   // "ORTHANC@127.0.0.1:4242"
 * }</pre>
 *
 * @param host host name or IP address
 * @param port TCP port, 1-65535
 * @param aeTitle the peer's own AE title
 */
public record PacsAddress(String host, int port, AeTitle aeTitle) {

  /** Checks host, port and AE title; throws {@link IllegalArgumentException} naming the bad value. */
  public PacsAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("PACS host must not be blank: '" + host + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("PACS port must be 1-65535, got " + port + " for host " + host);
    }
    if (aeTitle == null) {
      throw new IllegalArgumentException("PACS AE title must not be null for " + host + ":" + port);
    }
  }

  /** Parses {@code AE@host:port}, the form printed by {@link #toString()} and accepted by the CLI. */
  public static PacsAddress parse(String text) {
    int at = text.indexOf('@');
    int colon = text.lastIndexOf(':');
    if (at <= 0 || colon < at + 2 || colon == text.length() - 1) {
      throw new IllegalArgumentException("Expected AE@host:port (e.g. ORTHANC@127.0.0.1:4242), got '" + text + "'");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Port is not a number in '" + text + "'", e);
    }
    return new PacsAddress(text.substring(at + 1, colon), port, new AeTitle(text.substring(0, at)));
  }

  /** A copy with another port, e.g. after the PACS was restarted on a new one. */
  public PacsAddress withPort(int newPort) {
    return new PacsAddress(host, newPort, aeTitle);
  }

  @Override
  public String toString() {
    return aeTitle.value() + "@" + host + ":" + port;
  }
}

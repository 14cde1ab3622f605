package org.fundus4j.dicom.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@link OrthancServer} for one test class: started before the class's {@code @BeforeAll} methods (so they
 * may upload to it) and stopped after its {@code @AfterAll} methods, in a temporary folder of its own that is then
 * deleted.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final OrthancExtension ORTHANC = OrthancExtension.withModalities("FUNDUS4J");
 * ...
 * ORTHANC.server().uploadAll(files);
 * ORTHANC.port("FUNDUS4J");   // where Orthanc sends C-MOVE / C-STORE for that AE title
 * }</pre>
 */
public final class OrthancExtension implements BeforeAllCallback, AfterAllCallback {
  private final String[] modalities;
  private final boolean tls;
  private final Map<String, Integer> ports = new LinkedHashMap<>();
  private Path dir;
  private TestCertificates certificates;
  private OrthancServer server;

  private OrthancExtension(boolean tls, String... modalities) {
    this.tls = tls;
    this.modalities = modalities.clone();
  }

  /** Orthanc with each AE title registered as a modality on a free port of 127.0.0.1 (none: no modality). */
  public static OrthancExtension withModalities(String... aeTitles) {
    return new OrthancExtension(false, aeTitles);
  }

  /**
   * As {@link #withModalities}, speaking DICOM TLS with fresh {@link TestCertificates} (client certificates
   * required, and used towards every modality), see {@link OrthancServer#start(Path, Map, TestCertificates)}.
   */
  public static OrthancExtension withTls(String... aeTitles) {
    return new OrthancExtension(true, aeTitles);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("fundus4j-orthanc-");
    for (String ae : modalities) {
      ports.put(ae, OrthancServer.freePort());
    }
    certificates = tls ? TestCertificates.make(dir.resolve("pki")) : null;
    server = OrthancServer.start(dir.resolve("orthanc"), ports, certificates);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (server != null) {
        server.stop();
      }
    } finally {
      deleteTree(dir);
    }
  }

  /** The running server (after the extension's {@code beforeAll}). */
  public OrthancServer server() {
    if (server == null) {
      throw new IllegalStateException("Orthanc is not started: register the extension with @RegisterExtension on a "
          + "static field");
    }
    return server;
  }

  /** The port on 127.0.0.1 registered for {@code aeTitle}. */
  public int port(String aeTitle) {
    Integer p = ports.get(aeTitle);
    if (p == null) {
      throw new IllegalArgumentException("No modality " + aeTitle + " registered; registered: " + ports.keySet());
    }
    return p;
  }

  /** The certificates Orthanc and its peers use ({@link #withTls} only). */
  public TestCertificates certificates() {
    if (certificates == null) {
      throw new IllegalStateException("Orthanc was started without TLS: use OrthancExtension.withTls");
    }
    return certificates;
  }

  private static void deleteTree(Path root) throws IOException {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

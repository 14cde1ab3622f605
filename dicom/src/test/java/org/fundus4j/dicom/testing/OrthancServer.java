package org.fundus4j.dicom.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.PacsAddress;

/**
 * A real Orthanc (Debian package {@code orthanc} + {@code orthanc-dicomweb}) started on 127.0.0.1 with
 * free ports and a temporary storage folder, for integration tests.
 *
 * <p>The configuration turns remote access off, checks the called AE title, enables DICOMweb at
 * {@code /dicom-web/} behind HTTP basic auth ({@link #USER}/{@link #PASSWORD}), and registers each
 * given modality (AE title, 127.0.0.1, port) so that C-MOVE can reach our receivers. Orthanc 1.10
 * binds its DICOM port on all interfaces; tests only ever connect to 127.0.0.1.
 * Stopped by PID: {@link #stop()} sends SIGTERM, {@link #kill()} SIGKILL.
 */
public final class OrthancServer implements AutoCloseable {

  public static final String ORTHANC = "/usr/sbin/Orthanc";
  public static final String DICOMWEB_PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
  public static final AeTitle AE = AeTitle.of("ORTHANC");
  public static final String USER = "fundus";
  public static final String PASSWORD = "s3cret-for-tests";

  private final Path dir;
  private final int dicomPort;
  private final int httpPort;
  private final Map<String, Integer> modalities;
  private final TestCertificates tls;
  private HttpClient http;
  private Process process;

  private OrthancServer(Path dir, int dicomPort, int httpPort, Map<String, Integer> modalities,
      TestCertificates tls) {
    this.dir = dir;
    this.dicomPort = dicomPort;
    this.httpPort = httpPort;
    this.modalities = modalities;
    this.tls = tls;
    this.http = newHttpClient();
  }

  /**
   * Writes the configuration into {@code dir} and starts Orthanc.
   *
   * @param modalities AE title -> port on 127.0.0.1 of each peer Orthanc may send to (C-MOVE, C-STORE)
   */
  public static OrthancServer start(Path dir, Map<String, Integer> modalities) throws IOException {
    return start(dir, modalities, null);
  }

  /**
   * As {@link #start(Path, Map)}; with {@code tls}, Orthanc speaks DICOM TLS on its DICOM port
   * ({@code DicomTlsEnabled}, server certificate, client certificate required and checked against the
   * test CA) and connects to every modality with TLS ({@code UseDicomTls}). The REST API stays on plain
   * HTTP: Orthanc 1.10.1 (Debian 12) with {@code SslEnabled} dies with SIGSEGV on its first HTTPS request
   * (curl or the JDK, RSA or EC certificate), see {@code dicom/docs/pacs-networking.md}.
   */
  public static OrthancServer start(Path dir, Map<String, Integer> modalities, TestCertificates tls)
      throws IOException {
    OrthancServer server = new OrthancServer(dir, freePort(), freePort(), new LinkedHashMap<>(modalities), tls);
    server.writeConfig();
    server.launch();
    return server;
  }

  /** A free TCP port on 127.0.0.1 (free when asked; tests use it right away). */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  private void writeConfig() throws IOException {
    Files.createDirectories(dir.resolve("storage"));
    Files.createDirectories(dir.resolve("logs"));
    StringBuilder mods = new StringBuilder();
    for (Map.Entry<String, Integer> m : modalities.entrySet()) {
      if (mods.length() > 0) {
        mods.append(",\n");
      }
      mods.append(String.format("    \"%s\" : { \"AET\" : \"%s\", \"Host\" : \"127.0.0.1\", \"Port\" : %d,"
          + " \"AllowEcho\" : true, \"AllowFind\" : true, \"AllowMove\" : true, \"AllowGet\" : true,"
          + " \"AllowStore\" : true%s }", m.getKey().toLowerCase(), m.getKey(), m.getValue(),
          tls == null ? "" : ", \"UseDicomTls\" : true"));
    }
    String json = """
        {
          "Name" : "fundus4j-test",
          "StorageDirectory" : "%s",
          "IndexDirectory" : "%s",
          "StorageCompression" : false,
          "HttpPort" : %d,
          "DicomPort" : %d,
          "DicomAet" : "%s",
          "RemoteAccessAllowed" : false,
          "AuthenticationEnabled" : true,
          "RegisteredUsers" : { "%s" : "%s" },
          "DicomCheckCalledAet" : true,
          "DicomCheckModalityHost" : false,
          "DicomAlwaysAllowEcho" : true,
          "DicomAlwaysAllowStore" : true,
          "DicomModalities" : {
        %s
          },
          "DicomScuTimeout" : 10,
          "DicomScpTimeout" : 30,
          "StableAge" : 1,
          "KeepAlive" : false,
          "SaveJobs" : false,
          "Plugins" : [ "%s" ],
          "DicomWeb" : { "Enable" : true, "Root" : "/dicom-web/", "EnableWado" : false, "Ssl" : false }%s
        }
        """.formatted(dir.resolve("storage"), dir.resolve("storage"), httpPort, dicomPort, AE.value(), USER, PASSWORD,
        mods, DICOMWEB_PLUGIN, tlsConfig());
    Files.writeString(dir.resolve("orthanc.json"), json);
  }

  /** Orthanc 1.10's DICOM TLS keys (PEM files). */
  private String tlsConfig() {
    if (tls == null) {
      return "";
    }
    return """
        ,
          "DicomTlsEnabled" : true,
          "DicomTlsCertificate" : "%s",
          "DicomTlsPrivateKey" : "%s",
          "DicomTlsTrustedCertificates" : "%s",
          "DicomTlsRemoteCertificateRequired" : true
        """.formatted(tls.serverPem, tls.serverKey, tls.caPem).stripTrailing();
  }

  private static HttpClient newHttpClient() {
    return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  private void launch() throws IOException {
    http = newHttpClient(); // no pooled connection may outlive a killed Orthanc
    ProcessBuilder pb = new ProcessBuilder(ORTHANC, "--logdir=" + dir.resolve("logs"), dir.resolve("orthanc.json").toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("orthanc.out").toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("Orthanc exited with " + process.exitValue() + "; see " + dir.resolve("orthanc.out")
            + " and " + dir.resolve("logs"));
      }
      try {
        if (get("/system").statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      sleep(100);
    }
    process.destroyForcibly();
    throw new IOException("Orthanc did not answer GET /system within 30 s on port " + httpPort);
  }

  /** Starts Orthanc again on the same ports and storage (after {@link #kill()} or {@link #stop()}). */
  public void restart() throws IOException {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("Orthanc is still running (pid " + process.pid() + ")");
    }
    launch();
  }

  /** SIGKILL, as a crash or power loss would stop it. */
  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** SIGTERM and wait (Orthanc takes ~5 s to stop). */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  /** PID of the running process. */
  public long pid() {
    return process.pid();
  }

  /** The DICOM address: ORTHANC@127.0.0.1:dicomPort. */
  public PacsAddress dicom() {
    return new PacsAddress("127.0.0.1", dicomPort, AE);
  }

  /** The DICOMweb root, e.g. {@code http://127.0.0.1:8042/dicom-web/}. */
  public URI dicomWebRoot() {
    return URI.create("http://127.0.0.1:" + httpPort + "/dicom-web/");
  }

  /** HTTP port of the REST API. */
  public int httpPort() {
    return httpPort;
  }

  /** GET on Orthanc's REST API with the test user. */
  public HttpResponse<String> get(String path) throws IOException {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).GET());
  }

  /** Uploads a DICOM file through the REST API (POST /instances); returns Orthanc's JSON answer. */
  public String upload(Path file) throws IOException {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/instances"))
        .header("Content-Type", "application/dicom")
        .POST(HttpRequest.BodyPublishers.ofFile(file)));
    if (r.statusCode() != 200) {
      throw new IOException("Orthanc refused " + file + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  /** Uploads every file. */
  public void uploadAll(List<Path> files) throws IOException {
    for (Path f : files) {
      upload(f);
    }
  }

  /** Orthanc's count of stored instances, from GET /statistics. */
  public int countInstances() throws IOException {
    String body = get("/statistics").body();
    int i = body.indexOf("\"CountInstances\"");
    String rest = body.substring(body.indexOf(':', i) + 1).strip();
    return Integer.parseInt(rest.substring(0, rest.indexOf(',')).strip());
  }

  /** SOP Instance UIDs of a study's instances per Orthanc's REST API, via /tools/find. */
  public List<String> sopInstanceUidsOfStudy(String studyUid, String modality) throws IOException {
    String query = "{\"Level\":\"Instance\",\"Expand\":true,\"Query\":{\"StudyInstanceUID\":\"" + studyUid + "\""
        + (modality == null ? "" : ",\"Modality\":\"" + modality + "\"") + "}}";
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/tools/find"))
        .POST(HttpRequest.BodyPublishers.ofString(query)));
    List<String> uids = new ArrayList<>();
    String body = r.body();
    int i = 0;
    while ((i = body.indexOf("\"SOPInstanceUID\"", i)) >= 0) {
      int q1 = body.indexOf('"', body.indexOf(':', i) + 1);
      int q2 = body.indexOf('"', q1 + 1);
      uids.add(body.substring(q1 + 1, q2));
      i = q2;
    }
    return uids;
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException {
    String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    try {
      return http.send(b.header("Authorization", "Basic " + auth).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

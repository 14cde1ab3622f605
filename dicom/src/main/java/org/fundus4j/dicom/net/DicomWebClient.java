package org.fundus4j.dicom.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.fundus4j.dicom.LogSafe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DICOMweb client on {@code java.net.http}: QIDO-RS search, WADO-RS retrieve, STOW-RS store (PS3.18).
 *
 * <p>WADO-RS asks for {@code multipart/related; type="application/dicom"; transfer-syntax=*} so the
 * server sends instances as stored instead of transcoding them to Explicit VR Little Endian. HTTPS
 * works with the JDK's trust store, or a private CA through {@link #withSslContext(SSLContext)}.
 * <pre>{@code
 * DicomWebClient web = new DicomWebClient(URI.create("https://pacs.example.org/dicom-web/"),
 *     DicomWebAuth.bearer(token));
 * List<QueryMatch> studies = web.search(DicomQuery.studies().withPatientId("12345"));
 * web.retrieve(RetrieveTarget.study(studies.get(0).studyInstanceUid()), Path.of("incoming"), sink);
 * }</pre>
 */
public final class DicomWebClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DicomWebClient.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ACCEPT_NATIVE = "multipart/related; type=\"application/dicom\"; transfer-syntax=*";

  private final URI root;
  private final DicomWebAuth auth;
  private final Duration timeout;
  private final SSLContext ssl;
  private final HttpClient http;

  /** A client for the DICOMweb service at {@code root} (e.g. {@code http://127.0.0.1:8042/dicom-web/}). */
  public DicomWebClient(URI root, DicomWebAuth auth) {
    this(root, auth, Duration.ofSeconds(30), null);
  }

  private DicomWebClient(URI root, DicomWebAuth auth, Duration timeout, SSLContext ssl) {
    if (root == null || root.getScheme() == null
        || !(root.getScheme().equals("http") || root.getScheme().equals("https")) || root.getHost() == null) {
      throw new IllegalArgumentException("DICOMweb root must be an http(s) URL with a host, got " + root);
    }
    if (auth == null) {
      throw new IllegalArgumentException("auth must not be null; use DicomWebAuth.none()");
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("Timeout must be positive, got " + timeout);
    }
    String s = root.toString();
    this.root = URI.create(s.endsWith("/") ? s : s + "/");
    this.auth = auth;
    this.timeout = timeout;
    this.ssl = ssl;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL);
    if (ssl != null) {
      b.sslContext(ssl);
    }
    this.http = b.build();
  }

  /** A client that waits at most {@code t} to connect and for each response to start. */
  public DicomWebClient withTimeout(Duration t) {
    return new DicomWebClient(root, auth, t, ssl);
  }

  /** A client trusting the certificates of {@code context} (e.g. a hospital CA) for HTTPS. */
  public DicomWebClient withSslContext(SSLContext context) {
    return new DicomWebClient(root, auth, timeout, context);
  }

  /** The service root, ending with '/'. */
  public URI root() {
    return root;
  }

  /** QIDO-RS search at the query's level; same filters as C-FIND (see {@link DicomQuery}). */
  public List<QueryMatch> search(DicomQuery q) throws PacsException {
    Map<String, String> params = new LinkedHashMap<>();
    String path;
    switch (q.level()) {
      case STUDY -> {
        path = "studies";
        params.put("ModalitiesInStudy", String.join(",", new java.util.TreeSet<>(q.modalities())));
        params.put("includefield", "00201208"); // NumberOfStudyRelatedInstances
      }
      case SERIES -> {
        path = "studies/" + q.studyInstanceUid() + "/series";
        params.put("Modality", String.join(",", new java.util.TreeSet<>(q.modalities())));
        params.put("Laterality", q.laterality());
        params.put("includefield", "00201209"); // NumberOfSeriesRelatedInstances
      }
      default -> {
        path = "studies/" + q.studyInstanceUid() + "/series/" + q.seriesInstanceUid() + "/instances";
        params.put("SOPClassUID", q.sopClassUid());
        params.put("ImageLaterality", q.laterality());
        if (q.laterality().isEmpty()) {
          params.put("includefield", "00200062"); // ImageLaterality
        }
      }
    }
    if (q.level() == QueryLevel.STUDY) {
      params.put("StudyInstanceUID", q.studyInstanceUid());
    }
    params.put("PatientID", q.patientId());
    params.put("StudyDate", q.studyDateRange());
    return qido(path, params, q.level());
  }

  /** QIDO-RS {@code /studies/{uid}/instances}: every instance of a study. */
  public List<QueryMatch> findInstances(String studyInstanceUid) throws PacsException {
    DicomQuery.series(studyInstanceUid); // validates the UID
    return qido("studies/" + studyInstanceUid + "/instances", Map.of(), QueryLevel.IMAGE);
  }

  private List<QueryMatch> qido(String path, Map<String, String> params, QueryLevel level) throws PacsException {
    StringBuilder query = new StringBuilder();
    for (Map.Entry<String, String> e : params.entrySet()) {
      if (!e.getValue().isEmpty()) {
        query.append(query.length() == 0 ? "?" : "&").append(e.getKey()).append('=')
            .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
      }
    }
    URI uri = root.resolve(path + query);
    HttpResponse<byte[]> r = send("QIDO-RS", uri, request(uri).header("Accept", "application/dicom+json").GET(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() == 204) {
      return List.of();
    }
    expect("QIDO-RS", uri, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8), 200);
    List<QueryMatch> matches = new ArrayList<>();
    try {
      JsonNode array = JSON.readTree(r.body());
      for (JsonNode n : array) {
        String modalities = level == QueryLevel.STUDY ? str(n, "00080061") : str(n, "00080060");
        String count = level == QueryLevel.STUDY ? str(n, "00201208") : str(n, "00201209");
        matches.add(new QueryMatch(level, str(n, "0020000D"), str(n, "0020000E"), str(n, "00080018"),
            str(n, "00080016"), str(n, "00100020"), str(n, "00080020"),
            modalities.isEmpty() ? List.of() : List.of(modalities.split("\\\\")),
            level == QueryLevel.IMAGE ? str(n, "00200062") : str(n, "00200060"),
            count.isEmpty() || level == QueryLevel.IMAGE ? -1 : Integer.parseInt(count)));
      }
    } catch (IOException | RuntimeException e) {
      throw new PacsException("QIDO-RS " + uri + " returned invalid DICOM JSON: " + e.getMessage(), e);
    }
    LOG.info("QIDO-RS {} at {}: {} match(es)", level, root.getHost() + ":" + root.getPort(), matches.size());
    return matches;
  }

  /** Values of one attribute in DICOM JSON (PS3.18 F.2), joined by backslash; "" when absent. */
  private static String str(JsonNode dataset, String tag) {
    JsonNode values = dataset.path(tag).path("Value");
    List<String> out = new ArrayList<>();
    for (JsonNode v : values) {
      out.add(v.isObject() ? v.path("Alphabetic").asText("") : v.asText());
    }
    return String.join("\\", out);
  }

  /**
   * WADO-RS retrieve of a study, series or instance in the stored transfer syntax.
   *
   * @param incomingDir folder where each part is written before the sink takes it
   * @return the number of instances received
   */
  public int retrieve(RetrieveTarget target, Path incomingDir, InstanceSink sink) throws PacsException {
    String path = "studies/" + target.studyInstanceUid()
        + (target.seriesInstanceUid().isEmpty() ? "" : "/series/" + target.seriesInstanceUid())
        + (target.sopInstanceUid().isEmpty() ? "" : "/instances/" + target.sopInstanceUid());
    URI uri = root.resolve(path);
    HttpResponse<InputStream> r = send("WADO-RS", uri, request(uri).header("Accept", ACCEPT_NATIVE).GET(),
        HttpResponse.BodyHandlers.ofInputStream());
    AtomicInteger count = new AtomicInteger();
    try (InputStream body = r.body()) {
      if (r.statusCode() != 200) {
        expect("WADO-RS", uri, r.statusCode(), new String(body.readNBytes(2000), StandardCharsets.UTF_8), 200);
      }
      Files.createDirectories(incomingDir);
      String contentType = r.headers().firstValue("Content-Type").orElse("");
      Multipart.read(body, Multipart.boundary(contentType), incomingDir, (file, partType) -> {
        if (!partType.isEmpty() && !partType.toLowerCase(java.util.Locale.ROOT).startsWith("application/dicom")) {
          Files.deleteIfExists(file);
          throw new IOException("WADO-RS " + uri + " sent a part of type " + partType + ", expected application/dicom");
        }
        sink.accept(Part10.describe(file, ""));
        count.incrementAndGet();
      });
    } catch (IOException e) {
      throw new PacsException("WADO-RS " + uri + " failed after " + count.get() + " instance(s): " + e.getMessage(), e);
    }
    LOG.info("WADO-RS {} from {}: {} instance(s)", target.level(), root.getHost() + ":" + root.getPort(), count.get());
    return count.get();
  }

  /** STOW-RS of Part 10 files in one request to {@code {root}/studies}. */
  public StoreSummary store(List<Path> files, ProgressListener progress) throws PacsException {
    if (files.isEmpty()) {
      return new StoreSummary(0, 0, List.of());
    }
    String boundary = "fundus4j-" + UUID.randomUUID();
    List<HttpRequest.BodyPublisher> parts = new ArrayList<>();
    try {
      for (Path f : files) {
        parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n"));
        parts.add(HttpRequest.BodyPublishers.ofFile(f));
        parts.add(HttpRequest.BodyPublishers.ofString("\r\n"));
      }
    } catch (IOException e) {
      throw new PacsException("Cannot read file for STOW-RS: " + e.getMessage(), e);
    }
    parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "--\r\n"));
    URI uri = root.resolve("studies");
    HttpResponse<String> r = send("STOW-RS", uri, request(uri)
        .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
        .header("Accept", "application/dicom+json")
        .POST(HttpRequest.BodyPublishers.concat(parts.toArray(HttpRequest.BodyPublisher[]::new))),
        HttpResponse.BodyHandlers.ofString());
    expect("STOW-RS", uri, r.statusCode(), r.body(), 200, 202, 409);
    int stored;
    List<String> failures = new ArrayList<>();
    try {
      JsonNode answer = JSON.readTree(r.body().isBlank() ? "{}" : r.body());
      stored = answer.path("00081199").path("Value").size();
      for (JsonNode failed : answer.path("00081198").path("Value")) {
        failures.add("SOP instance " + LogSafe.shortHash(str(failed, "00081155")) + " failed, reason "
            + str(failed, "00081197"));
      }
    } catch (IOException e) {
      throw new PacsException("STOW-RS " + uri + " answered HTTP " + r.statusCode() + " with invalid JSON", e);
    }
    int failed = files.size() - stored;
    if (failed > failures.size()) {
      failures.add((failed - failures.size()) + " instance(s) not acknowledged");
    }
    progress.progress(files.size(), files.size());
    LOG.info("STOW-RS to {}: {} stored, {} failed", root.getHost() + ":" + root.getPort(), stored, failed);
    return new StoreSummary(stored, failed, failures);
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout);
    auth.authorizationHeader().ifPresent(h -> b.header("Authorization", h));
    return b;
  }

  private <T> HttpResponse<T> send(String op, URI uri, HttpRequest.Builder request, HttpResponse.BodyHandler<T> body)
      throws PacsException {
    try {
      return http.send(request.build(), body);
    } catch (HttpConnectTimeoutException e) {
      throw new PacsException(op + " timed out connecting to " + hostPort(uri) + " (" + uri + ") after "
          + timeout.toMillis() + " ms", e);
    } catch (HttpTimeoutException e) {
      throw new PacsException(op + " timed out: no response from " + hostPort(uri) + " (" + uri + ") within "
          + timeout.toMillis() + " ms", e);
    } catch (ConnectException e) {
      throw new PacsException(op + " failed: connection refused by " + hostPort(uri) + " (" + uri
          + "); is the DICOMweb server running on that port?", e);
    } catch (IOException e) {
      throw new PacsException(op + " " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PacsException(op + " " + uri + " was interrupted", e);
    }
  }

  private static String hostPort(URI uri) {
    int port = uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
    return uri.getHost() + ":" + port;
  }

  private static void expect(String op, URI uri, int status, String body, int... ok) throws PacsException {
    for (int s : ok) {
      if (s == status) {
        return;
      }
    }
    String hint = switch (status) {
      case 401 -> "; check the user/password or token";
      case 403 -> "; the account may not have access";
      case 404 -> "; check the DICOMweb root URL and the UIDs";
      case 406 -> "; the server cannot send this media type / transfer syntax";
      default -> "";
    };
    String excerpt = body == null ? "" : body.strip();
    if (excerpt.length() > 300) {
      excerpt = excerpt.substring(0, 300) + "...";
    }
    throw new PacsException(op + " " + uri + " answered HTTP " + status + hint
        + (excerpt.isEmpty() ? "" : ": " + excerpt), status, null);
  }

  /** Nothing to release: {@link HttpClient} threads end with the JVM (JDK 17 has no HttpClient.close()). */
  @Override
  public void close() {
    // no-op on JDK 17
  }
}

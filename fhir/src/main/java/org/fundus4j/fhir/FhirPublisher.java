package org.fundus4j.fhir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.fundus4j.dicom.node.ResultPublisher;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.OperationOutcome;
import org.hl7.fhir.r4.model.Resource;

/**
 * Posts each screened image's transaction Bundle ({@link ScreeningBundle}) to a FHIR R4 server: the node's
 * {@link ResultPublisher} behind {@code fundus serve --fhir URL [--fhir-token T]}.
 *
 * <p>The transaction is {@code POST [base]} with {@code application/fhir+json} (FHIR R4 RESTful API,
 * "transaction"); it succeeds when the server answers 200 with a transaction-response whose every entry has a
 * 2xx status. Anything else (connection refused, 4xx/5xx, a failed entry) is an {@link IOException} naming
 * the server and the status, and the node retries. Since every entry is a conditional create, a Bundle sent
 * again after a crash creates nothing twice.
 * <pre>{@code
 * NodeConfig config = NodeConfig.of(...).withPublisher(new FhirPublisher(URI.create("https://ehr/fhir"),
 *     Optional.of(token)));
 * }</pre>
 */
public final class FhirPublisher implements ResultPublisher {

  private final URI base;
  private final Optional<String> token;
  private final HttpClient http;
  private final FhirBundleWriter bundles = new FhirBundleWriter();

  /**
   * Publishes to the FHIR server at {@code base} (the service base URL, e.g. {@code https://ehr/fhir}).
   *
   * @param token bearer token sent as {@code Authorization: Bearer ...}, or empty
   */
  public FhirPublisher(URI base, Optional<String> token) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(token, "token");
    String scheme = base.getScheme();
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException("FHIR base URL must be http(s), got '" + base + "'");
    }
    if (token.isPresent() && token.get().isBlank()) {
      throw new IllegalArgumentException("FHIR bearer token must not be blank");
    }
    this.base = base;
    this.token = token;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public String describe() {
    return "FHIR to " + base;
  }

  @Override
  public String fileSuffix() {
    return bundles.fileSuffix();
  }

  @Override
  public void write(Path image, List<Finding> findings, String srSopInstanceUid, AlgorithmId algorithm,
      Map<CodedConcept, Boolean> calls, Path out) throws IOException {
    bundles.write(image, findings, srSopInstanceUid, algorithm, calls, out);
  }

  @Override
  public void send(Path file) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(base).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/fhir+json; charset=utf-8")
        .header("Accept", "application/fhir+json")
        .POST(HttpRequest.BodyPublishers.ofFile(file));
    token.ifPresent(t -> request.header("Authorization", "Bearer " + t));
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Interrupted while posting to FHIR server " + base, e);
    } catch (IOException e) {
      throw new IOException("FHIR server " + base + " unreachable: " + e, e);
    }
    if (response.statusCode() != 200) {
      throw new IOException("FHIR server " + base + " answered HTTP " + response.statusCode() + " to the"
          + " transaction" + outcome(response.body()));
    }
    Bundle reply;
    try {
      reply = ScreeningBundle.context().newJsonParser().parseResource(Bundle.class, response.body());
    } catch (RuntimeException e) {
      throw new IOException("FHIR server " + base + " answered 200 without a transaction-response Bundle: " + e, e);
    }
    for (Bundle.BundleEntryComponent entry : reply.getEntry()) {
      String status = entry.getResponse().getStatus();
      if (status == null || !status.startsWith("2")) {
        throw new IOException("FHIR server " + base + " refused a transaction entry: status " + status);
      }
    }
  }

  private static String outcome(String body) {
    try {
      Resource r = (Resource) ScreeningBundle.context().newJsonParser().parseResource(body);
      if (r instanceof OperationOutcome o && !o.getIssue().isEmpty()) {
        String d = o.getIssueFirstRep().getDiagnostics();
        return d == null ? "" : ": " + (d.length() > 200 ? d.substring(0, 200) + "..." : d);
      }
    } catch (RuntimeException e) {
      // not FHIR: the status code says enough
    }
    return "";
  }

  @Override
  public String toString() {
    return describe();
  }
}

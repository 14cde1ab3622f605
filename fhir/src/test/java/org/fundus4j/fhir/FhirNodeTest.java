package org.fundus4j.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.node.NodeConfig;
import org.fundus4j.dicom.node.NodeStatus;
import org.fundus4j.dicom.node.SrDestination;
import org.fundus4j.dicom.node.SrLedger;
import org.fundus4j.dicom.node.StorageNode;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.MeanBrightnessScreener;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.dicom.testing.Storescu;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Resource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fundus serve --fhir}: dcmtk's storescu as the modality, the node, Orthanc receiving the SRs, and HAPI
 * FHIR's RestfulServer (in-process, see {@link HapiFhirServer}) receiving one transaction Bundle per image.
 */
class FhirNodeTest {

  static final AeTitle NODE = AeTitle.of("FUNDUSNODE");
  static final AeTitle MODALITY = AeTitle.of("FUNDUSCAM");
  static final String TOKEN = "fhir-token-for-tests";

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities();
  static OrthancServer orthanc;

  @BeforeAll
  static void start() throws Exception {
    orthanc = ORTHANC.server();
  }

  static NodeConfig config(Path work, URI fhir) {
    return NodeConfig.of(NODE, 0, Set.of(MODALITY), work, new MeanBrightnessScreener("1.0"),
            SrDestination.cStore(orthanc.dicom(), NODE))
        .withBindAddress(InetAddress.getLoopbackAddress())
        .withRetryDelay(Duration.ofMillis(200))
        .withPublisher(new FhirPublisher(fhir, Optional.of(TOKEN)));
  }

  static void storescu(int port, List<Path> files) throws Exception {
    String out = Storescu.push("-xy", MODALITY.value(), NODE.value(), port, files);
    assertTrue(out.startsWith("exit=0"), out);
  }

  static Bundle search(HapiFhirServer server, String query) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server.base() + "/"
        + query)).header("Accept", "application/fhir+json").header("Authorization", "Bearer " + TOKEN).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return ScreeningBundle.context().newJsonParser().parseResource(Bundle.class, r.body());
  }

  /**
   * The DiagnosticReports of a study, found by the study UID alone with standard R4 searches:
   * ImagingStudy?identifier, Observation?derived-from, DiagnosticReport?result.
   */
  static List<DiagnosticReport> reportsOfStudy(HapiFhirServer server, String studyUid) throws Exception {
    Bundle studies = search(server, "ImagingStudy?identifier=urn:dicom:uid%7Curn:oid:" + studyUid);
    assertEquals(1, studies.getEntry().size());
    String studyId = studies.getEntryFirstRep().getResource().getIdElement().getIdPart();
    Bundle observations = search(server, "Observation?derived-from=ImagingStudy/" + studyId);
    Map<String, DiagnosticReport> reports = new java.util.LinkedHashMap<>();
    for (Bundle.BundleEntryComponent e : observations.getEntry()) {
      Observation o = (Observation) e.getResource();
      for (Bundle.BundleEntryComponent d : search(server, "DiagnosticReport?result=Observation/"
          + o.getIdElement().getIdPart()).getEntry()) {
        reports.put(d.getResource().getIdElement().getIdPart(), (DiagnosticReport) d.getResource());
      }
    }
    return List.copyOf(reports.values());
  }

  @Test
  void eachImageGetsOneBundleFoundByStudyUidAndARestartPostsNothingTwice() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("src"), 3, "PAT-FHIR", "L", "20240505", 32);
    Path work = tmp.resolve("node");
    try (HapiFhirServer fhir = HapiFhirServer.start(Optional.of(TOKEN))) {
      try (StorageNode node = StorageNode.start(config(work, fhir.base()))) {
        storescu(node.port(), study.files());
        assertTrue(node.awaitIdle(Duration.ofSeconds(120)));
        assertEquals(new NodeStatus(3, 3, 0, 0, 0), node.status());
      }
      assertEquals(3, fhir.transactions());
      List<DiagnosticReport> reports = reportsOfStudy(fhir, study.studyInstanceUid());
      assertEquals(3, reports.size());
      assertEquals(3, fhir.count("Observation"));
      assertEquals(1, fhir.count("ImagingStudy")); // conditional create: the study once
      assertEquals(1, fhir.count("Device"));       // one model version, one Device

      // the reports' identifiers are the SR UIDs the ledger journalled
      Set<String> srUids = new HashSet<>();
      try (SrLedger ledger = SrLedger.open(work.resolve("sr-ledger.tsv"))) {
        assertEquals(3, ledger.sentCount(SrLedger.Channel.RESULT));
        for (String line : Files.readAllLines(work.resolve("sr-ledger.tsv"))) {
          srUids.add("urn:oid:" + line.split("\t")[5]);
        }
      }
      assertEquals(srUids, new HashSet<>(reports.stream().map(r -> r.getIdentifierFirstRep().getValue()).toList()));

      // restart on the same work dir and push the same images again: nothing is posted
      try (StorageNode node = StorageNode.start(config(work, fhir.base()))) {
        storescu(node.port(), study.files());
        assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
        assertEquals(3, node.status().srSent());
      }
      assertEquals(3, fhir.transactions());
      assertEquals(3, fhir.count("DiagnosticReport"));
    }
  }

  @Test
  void fhirServerDownIsRetriedAndTheSameBundleArrivesOnce() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("retry-src"), 2, "PAT-RETRY", "R", "20240606",
        32);
    Path work = tmp.resolve("node-retry");
    try (HapiFhirServer fhir = HapiFhirServer.start(Optional.of(TOKEN))) {
      fhir.refuseNext(3);
      try (StorageNode node = StorageNode.start(config(work, fhir.base()))) {
        storescu(node.port(), study.files());
        assertTrue(node.awaitIdle(Duration.ofSeconds(120)));
        assertEquals(2, node.status().srSent());
        String metrics = node.metrics().prometheusText();
        assertTrue(metrics.contains("fundus_node_retries_total{destination=\"result\"} 3.0"), metrics);
        assertTrue(metrics.contains("fundus_node_results_sent_total 2.0"), metrics);
      }
      assertEquals(5, fhir.transactions()); // 3 refused + 2 accepted
      assertEquals(2, fhir.count("DiagnosticReport"));
      assertEquals(2, reportsOfStudy(fhir, study.studyInstanceUid()).size());

      // the same Bundle file posted again (as after a crash between "accepted" and the ledger line) creates nothing
      Path bundle;
      try (var files = Files.list(work.resolve("results"))) {
        bundle = files.filter(f -> f.toString().endsWith(".json")).findFirst().orElseThrow();
      }
      new FhirPublisher(fhir.base(), Optional.of(TOKEN)).send(bundle);
      assertEquals(2, fhir.count("DiagnosticReport"));
      assertEquals(2, fhir.count("Observation"));
    }
  }

  @Test
  void bundleWrittenButNotAcceptedBeforeAStopIsSentOnceAfterTheRestart() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("resume-src"), 1, "PAT-RESUME", "L",
        "20240707", 32);
    Path work = tmp.resolve("node-resume");
    try (HapiFhirServer fhir = HapiFhirServer.start(Optional.of(TOKEN))) {
      fhir.refuseNext(Integer.MAX_VALUE);
      try (StorageNode node = StorageNode.start(config(work, fhir.base()))) {
        storescu(node.port(), study.files());
        // wait (bounded) until the node has tried the FHIR server once: the SR is out, the Bundle journalled
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (fhir.transactions() == 0 && System.nanoTime() < deadline) {
          Thread.sleep(20); // polling a condition, not a timing assumption
        }
        assertTrue(fhir.transactions() > 0, "the node never tried the FHIR server");
      }
      try (SrLedger ledger = SrLedger.open(work.resolve("sr-ledger.tsv"))) {
        assertEquals(1, ledger.sentCount());
        assertEquals(0, ledger.sentCount(SrLedger.Channel.RESULT));
      }
      int refused = fhir.transactions();
      fhir.refuseNext(0);
      try (StorageNode node = StorageNode.start(config(work, fhir.base()))) {
        assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
        assertEquals(1, node.status().srSent());
      }
      assertEquals(refused + 1, fhir.transactions());
      assertEquals(1, reportsOfStudy(fhir, study.studyInstanceUid()).size());
    }
  }

  @Test
  void wrongTokenIsAnErrorNamingTheServerAndStatus() throws Exception {
    try (HapiFhirServer fhir = HapiFhirServer.start(Optional.of(TOKEN))) {
      Path file = tmp.resolve("empty-transaction.json");
      Files.writeString(file, ScreeningBundle.toJson(new Bundle().setType(Bundle.BundleType.TRANSACTION)));
      java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
          () -> new FhirPublisher(fhir.base(), Optional.of("wrong")).send(file));
      assertTrue(e.getMessage().contains(fhir.base().toString()) && e.getMessage().contains("HTTP 401"),
          e.getMessage());
      new FhirPublisher(fhir.base(), Optional.of(TOKEN)).send(file); // right token: accepted
      assertEquals(1, fhir.transactions());
    }
  }
}

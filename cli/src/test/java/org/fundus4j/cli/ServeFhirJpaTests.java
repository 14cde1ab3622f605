package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.fundus4j.dicom.node.NodeStatus;
import org.fundus4j.dicom.node.StorageNode;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.fhir.FhirPublisher;
import org.fundus4j.fhir.ScreeningBundle;
import org.fundus4j.fhirjpa.JpaFhirServerProcess;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fundus serve --fhir URL} against a real FHIR server: HAPI FHIR's JPA server (R4, H2 database in a temp
 * folder, module {@code fhir-jpa-server}) in a JVM of its own, started by pid and stopped. storescu pushes 3
 * images, the node sends SRs to Orthanc and posts a transaction Bundle per image; the test reads the reports
 * back by search (identifier = SR UID, ImagingStudy by study UID), then restarts the node on the same work
 * folder, pushes the same images again and re-posts a Bundle file: nothing exists twice.
 */
class ServeFhirJpaTests {

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities("FUNDUS4J");
  static OrthancServer orthanc;
  static JpaFhirServerProcess fhir;
  static Path model;

  @BeforeAll
  static void start() throws Exception {
    orthanc = ORTHANC.server();
    fhir = JpaFhirServerProcess.start(tmp.resolve("fhir-jpa"), Duration.ofMinutes(8));
    model = ServeCommandTests.binaryModel(tmp.resolve("model"), "serve fhir test model");
  }

  @AfterAll
  static void stop() throws Exception {
    if (fhir != null) {
      fhir.close();
    }
  }

  static Bundle search(String query) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(fhir.base() + "/"
        + query)).header("Accept", "application/fhir+json").build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), query + ": " + r.body());
    return ScreeningBundle.context().newJsonParser().parseResource(Bundle.class, r.body());
  }

  static int count(String type) throws Exception {
    return search(type + "?_summary=count").getTotal();
  }

  /** The SR UIDs the node's ledger journalled. */
  static Set<String> srUids(Path work) throws Exception {
    Set<String> uids = new TreeSet<>();
    for (String line : Files.readAllLines(work.resolve("sr-ledger.tsv"))) {
      uids.add(line.split("\t")[5]);
    }
    return uids;
  }

  @Test
  void servePostsToHapiJpaTheReportsAreFoundBySrUidAndARestartPostsNothingTwice() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("images"), 3, "PAT-FHIR-JPA", "L",
        "20240804", 64);
    Path work = tmp.resolve("node");
    String[] args = {"--aet", "FUNDUSNODE", "--port", "0", "--bind", "127.0.0.1", "--allow", "FUNDUSCAM",
        "--work", work.toString(), "--model", model.toString(), "--send-to", orthanc.dicom().toString(),
        "--calling-aet", "FUNDUS4J", "--retry-delay", "1", "--fhir", fhir.base().toString()};

    try (StorageNode node = ServeCommandTests.parse(args).start()) {
      String out = ServeCommandTests.storescu("FUNDUSCAM", node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(180)), "node did not finish: " + node.status());
      assertEquals(new NodeStatus(3, 3, 0, 0, 0), node.status());
    }
    Set<String> srs = srUids(work);
    assertEquals(3, srs.size(), srs.toString());

    // each SR UID finds exactly one DiagnosticReport, its Observation and the one ImagingStudy of the study
    Bundle study1 = search("ImagingStudy?identifier=urn:dicom:uid%7Curn:oid:" + study.studyInstanceUid());
    assertEquals(1, study1.getEntry().size());
    String studyRef = "ImagingStudy/" + study1.getEntryFirstRep().getResource().getIdElement().getIdPart();
    for (String sr : srs) {
      Bundle found = search("DiagnosticReport?identifier=urn:dicom:uid%7Curn:oid:" + sr
          + "&_include=DiagnosticReport:result");
      List<DiagnosticReport> reports = found.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
          .filter(DiagnosticReport.class::isInstance).map(DiagnosticReport.class::cast).toList();
      List<Observation> observations = found.getEntry().stream().map(Bundle.BundleEntryComponent::getResource)
          .filter(Observation.class::isInstance).map(Observation.class::cast).toList();
      assertEquals(1, reports.size(), sr);
      assertEquals(studyRef, reports.get(0).getImagingStudyFirstRep().getReference());
      assertEquals(1, observations.size(), sr);
      assertEquals(studyRef, observations.get(0).getDerivedFromFirstRep().getReference());
      assertTrue(observations.get(0).getValueQuantity().hasValue(), sr);
    }
    int observations = count("Observation");
    assertEquals(3, observations);
    assertEquals(3, count("DiagnosticReport"));
    assertEquals(1, count("ImagingStudy"));
    assertEquals(1, count("Device"));

    // restart: the same images again, and a Bundle file posted again by hand (a crash after "accepted")
    try (StorageNode node = ServeCommandTests.parse(args).start()) {
      String again = ServeCommandTests.storescu("FUNDUSCAM", node.port(), study.files());
      assertTrue(again.startsWith("exit=0"), again);
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)), "node did not finish: " + node.status());
      assertEquals(3, node.status().srSent());
    }
    Path bundle;
    try (var files = Files.list(work.resolve("results"))) {
      bundle = files.filter(f -> f.toString().endsWith(".json")).sorted().findFirst().orElseThrow();
    }
    new FhirPublisher(fhir.base(), Optional.empty()).send(bundle);
    assertEquals(srs, srUids(work));
    assertEquals(3, count("DiagnosticReport"));
    assertEquals(observations, count("Observation"));
    assertEquals(1, count("ImagingStudy"));
    assertEquals(1, count("Device"));
  }
}

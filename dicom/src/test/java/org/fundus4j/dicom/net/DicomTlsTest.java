package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fundus4j.dicom.node.NodeConfig;
import org.fundus4j.dicom.node.NodeStatus;
import org.fundus4j.dicom.node.SrDestination;
import org.fundus4j.dicom.node.StorageNode;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.MeanBrightnessScreener;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.dicom.testing.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * DICOM TLS (BCP 195) against real peers: Orthanc 1.10 with {@code DicomTlsEnabled} (client certificate
 * required, and TLS back to our C-MOVE receiver); dcmtk's
 * {@code storescu +tls} into our storage SCP and into the node, whose SRs go to Orthanc over TLS.
 * Certificates are made at test time ({@link TestCertificates}).
 */
class DicomTlsTest {

  static final AeTitle US = AeTitle.of("FUNDUS4J");
  static final char[] PW = TestCertificates.PASSWORD.toCharArray();

  @TempDir
  static Path tmp;
  static TestCertificates certs;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withTls(US.value());
  static OrthancServer orthanc;
  static int movePort;
  static FundusStudyFixture.Study study;
  static Map<String, Path> originals = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    certs = ORTHANC.certificates();
    movePort = ORTHANC.port(US.value());
    orthanc = ORTHANC.server();
    study = FundusStudyFixture.make(tmp.resolve("src"), 3, "PAT-TLS", "L", "20240301", 48);
    orthanc.uploadAll(study.files());
    for (Path f : study.files()) {
      originals.put(ReceivedInstance.read(f).sopInstanceUid(), f);
    }
  }

  static DicomTls clientTls() {
    return DicomTls.of(certs.clientP12, PW, certs.trustP12, PW);
  }

  PacsClient client(DicomTls tls) {
    PacsClient c = new PacsClient(orthanc.dicom(), US).withTimeout(Duration.ofSeconds(10))
        .withMoveReceiver(InetAddress.getLoopbackAddress(), movePort);
    return tls == null ? c : c.withTls(tls);
  }

  @Test
  void echoFindGetAndMoveOverTlsAreByteIdentical() throws Exception {
    try (PacsClient pacs = client(clientTls())) {
      pacs.echo();
      assertEquals(1, pacs.find(DicomQuery.series(study.studyInstanceUid())).size());
      assertEquals(3, pacs.findInstances(study.studyInstanceUid()).size());

      List<ReceivedInstance> got = Collections.synchronizedList(new ArrayList<>());
      assertEquals(3, pacs.get(RetrieveTarget.study(study.studyInstanceUid()), tmp.resolve("get"), got::add));
      assertSameAsStored(got);

      List<ReceivedInstance> moved = Collections.synchronizedList(new ArrayList<>());
      assertEquals(3, pacs.move(RetrieveTarget.study(study.studyInstanceUid()), tmp.resolve("move"), moved::add));
      assertSameAsStored(moved);
    }
  }

  static void assertSameAsStored(List<ReceivedInstance> received) throws Exception {
    assertEquals(originals.keySet(), Set.copyOf(received.stream().map(ReceivedInstance::sopInstanceUid).toList()));
    for (ReceivedInstance r : received) {
      assertEquals(FundusStudyFixture.JPEG_BASELINE, r.transferSyntaxUid());
      assertArrayEquals(FundusStudyFixture.pixelDataElement(originals.get(r.sopInstanceUid())),
          FundusStudyFixture.pixelDataElement(r.file()));
    }
  }

  @Test
  void plainDicomToTheTlsPortFails() {
    try (PacsClient pacs = client(null).withTimeout(Duration.ofSeconds(3))) {
      assertThrows(PacsException.class, pacs::echo);
    }
  }

  @Test
  void serverCertificateFromAnUntrustedCaIsRefused() {
    DicomTls wrongTrust = DicomTls.of(certs.clientP12, PW, certs.otherCaTrustP12, PW);
    try (PacsClient pacs = client(wrongTrust)) {
      PacsException e = assertThrows(PacsException.class, pacs::echo);
      assertTrue(e.getMessage().contains("TLS with called AE 'ORTHANC'"), e.getMessage());
      assertTrue(e.getMessage().contains("trust store"), e.getMessage());
    }
  }

  @Test
  void orthancRefusesAClientWithoutCertificate() {
    DicomTls noKey = DicomTls.of(null, null, certs.trustP12, PW);
    try (PacsClient pacs = client(noKey)) {
      assertThrows(PacsException.class, pacs::echo);
    }
  }

  @Test
  void storescuOverTlsIntoTheStorageScpWithMutualAuthentication() throws Exception {
    List<ReceivedInstance> received = Collections.synchronizedList(new ArrayList<>());
    DicomTls serverTls = DicomTls.of(certs.serverP12, PW, certs.trustP12, PW).withClientAuthRequired(true);
    Path file = study.files().get(0);
    try (StorageListener scp = StorageListener.start(InetAddress.getLoopbackAddress(), 0, AeTitle.of("NODE"),
        Set.of(AeTitle.of("CAMERA1")), tmp.resolve("scp"), received::add, serverTls)) {
      String port = String.valueOf(scp.port());
      FundusStudyFixture.run(List.of("storescu", "+tls", certs.clientKey.toString(), certs.clientPem.toString(),
          "+cf", certs.caPem.toString(), "-xy", "-aet", "CAMERA1", "-aec", "NODE", "127.0.0.1", port, file.toString()));
      assertEquals(1, received.size());
      assertEquals(FundusStudyFixture.JPEG_BASELINE, received.get(0).transferSyntaxUid());
      assertArrayEquals(FundusStudyFixture.pixelDataElement(file), FundusStudyFixture.pixelDataElement(received.get(0).file()));

      // a client certificate from a CA the node does not trust, and plain DICOM: both refused, nothing stored
      assertNotEquals(0, exitCode(List.of("storescu", "+tls", certs.otherKey.toString(), certs.otherPem.toString(),
          "+cf", certs.caPem.toString(), "-xy", "-aet", "CAMERA1", "-aec", "NODE", "127.0.0.1", port, file.toString())));
      assertNotEquals(0, exitCode(List.of("storescu", "-xy", "-aet", "CAMERA1", "-aec", "NODE", "127.0.0.1", port,
          file.toString())));
      assertEquals(1, received.size());
    }
  }

  @Test
  void nodeReceivesOverTlsAndSendsItsSrsToOrthancOverTls() throws Exception {
    FundusStudyFixture.Study images = FundusStudyFixture.make(tmp.resolve("node-src"), 2, "PAT-TLS-NODE", "R",
        "20240401", 32);
    NodeConfig config = NodeConfig.of(AeTitle.of("FUNDUSNODE"), 0, Set.of(AeTitle.of("CAMERA1")), tmp.resolve("node"),
            new MeanBrightnessScreener("1.0"), SrDestination.cStore(orthanc.dicom(), AeTitle.of("FUNDUSNODE"),
                clientTls()))
        .withBindAddress(InetAddress.getLoopbackAddress())
        .withRetryDelay(Duration.ofMillis(200));
    DicomTls listening = DicomTls.of(certs.serverP12, PW, certs.trustP12, PW).withClientAuthRequired(true);
    try (StorageNode node = StorageNode.start(config, listening)) {
      List<String> cmd = new ArrayList<>(List.of("storescu", "+tls", certs.clientKey.toString(),
          certs.clientPem.toString(), "+cf", certs.caPem.toString(), "-xy", "-aet", "CAMERA1", "-aec", "FUNDUSNODE",
          "127.0.0.1", String.valueOf(node.port())));
      images.files().forEach(f -> cmd.add(f.toString()));
      FundusStudyFixture.run(cmd);
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
      assertEquals(new NodeStatus(2, 2, 0, 0, 0), node.status());
    }
    try (PacsClient pacs = client(clientTls())) {
      List<QueryMatch> srSeries = pacs.find(DicomQuery.series(images.studyInstanceUid()).withModalities(Set.of("SR")));
      assertEquals(1, srSeries.size());
      assertEquals(2, pacs.find(DicomQuery.images(images.studyInstanceUid(), srSeries.get(0).seriesInstanceUid()))
          .size());
    }
  }

  static int exitCode(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }
}

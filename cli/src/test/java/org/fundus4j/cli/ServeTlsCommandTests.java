package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomQuery;
import org.fundus4j.dicom.net.DicomTls;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.node.NodeStatus;
import org.fundus4j.dicom.node.StorageNode;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.dicom.testing.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fundus serve --tls-keystore K --tls-truststore T --tls-client-auth --send-tls} from its command-line
 * options: dcmtk's {@code storescu +tls} (client certificate from the test CA) pushes into the node, whose SRs
 * go to Orthanc over DICOM TLS ({@code DicomTlsEnabled}, client certificates required). Certificates are made
 * by openssl and keytool at test time ({@link TestCertificates}).
 */
class ServeTlsCommandTests {

  @TempDir
  static Path tmp;
  static TestCertificates certs;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withTls("FUNDUSNODE");
  static OrthancServer orthanc;
  static Path model;

  @BeforeAll
  static void start() throws Exception {
    certs = ORTHANC.certificates();
    orthanc = ORTHANC.server();
    model = ServeCommandTests.binaryModel(tmp.resolve("model"), "serve tls test model");
  }

  /** storescu +tls with a key and certificate (or none: anonymous TLS with {@code +tla}), trusting the test CA. */
  static List<String> storescuTls(Path key, Path cert, int port, List<Path> files) {
    List<String> cmd = new ArrayList<>(List.of("storescu"));
    if (key == null) {
      cmd.add("+tla");
    } else {
      cmd.addAll(List.of("+tls", key.toString(), cert.toString()));
    }
    cmd.addAll(List.of("+cf", certs.caPem.toString(), "-xy", "-aet", "FUNDUSCAM", "-aec", "FUNDUSNODE", "127.0.0.1",
        String.valueOf(port)));
    files.forEach(f -> cmd.add(f.toString()));
    return cmd;
  }

  static int exitCode(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  @Test
  void storescuOverTlsIntoServeWithMutualAuthAndSrsToOrthancOverTls() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("images"), 3, "PAT-SERVE-TLS", "R",
        "20240803", 64);
    String[] args = {"--aet", "FUNDUSNODE", "--port", "0", "--bind", "127.0.0.1", "--allow", "FUNDUSCAM",
        "--work", tmp.resolve("node").toString(), "--model", model.toString(),
        "--send-to", orthanc.dicom().toString(), "--send-tls", "--calling-aet", "FUNDUSNODE", "--retry-delay", "1",
        "--tls-keystore", certs.serverP12.toString(), "--tls-keystore-password", TestCertificates.PASSWORD,
        "--tls-truststore", certs.trustP12.toString(), "--tls-truststore-password", TestCertificates.PASSWORD,
        "--tls-client-auth"};

    try (StorageNode node = ServeCommandTests.parse(args).start()) {
      // refused before any image is taken: plain DICOM, TLS without a client certificate, a certificate of another CA
      List<String> plain = new ArrayList<>(List.of("storescu", "-xy", "-aet", "FUNDUSCAM", "-aec", "FUNDUSNODE",
          "127.0.0.1", String.valueOf(node.port()), study.files().get(0).toString()));
      assertNotEquals(0, exitCode(plain));
      List<Path> one = study.files().subList(0, 1);
      assertNotEquals(0, exitCode(storescuTls(null, null, node.port(), one)));
      assertNotEquals(0, exitCode(storescuTls(certs.otherKey, certs.otherPem, node.port(), one)));
      assertEquals(0, node.status().received(), node.status().toString()); // a failed handshake is no association

      FundusStudyFixture.run(storescuTls(certs.clientKey, certs.clientPem, node.port(), study.files()));
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)), "node did not finish: " + node.status());
      assertEquals(new NodeStatus(3, 3, 0, 0, 0), node.status());
    }

    DicomTls client = DicomTls.of(certs.clientP12, TestCertificates.PASSWORD.toCharArray(), certs.trustP12,
        TestCertificates.PASSWORD.toCharArray());
    try (PacsClient pacs = new PacsClient(orthanc.dicom(), AeTitle.of("FUNDUSNODE")).withTls(client)) {
      List<QueryMatch> srSeries = pacs.find(DicomQuery.series(study.studyInstanceUid()).withModalities(Set.of("SR")));
      assertEquals(1, srSeries.size(), srSeries.toString());
      assertEquals(3, pacs.find(DicomQuery.images(study.studyInstanceUid(), srSeries.get(0).seriesInstanceUid()))
          .size());
    }
  }
}

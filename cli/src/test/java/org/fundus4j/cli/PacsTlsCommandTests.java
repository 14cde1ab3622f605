package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.fundus4j.dicom.store.InstanceState;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.dicom.testing.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code fundus pacs echo|pull} over DICOM TLS with mutual authentication against Orthanc's DicomTlsEnabled. */
class PacsTlsCommandTests {

  @TempDir
  static Path tmp;
  static TestCertificates certs;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withTls("FUNDUS4J");
  static OrthancServer orthanc;
  static FundusStudyFixture.Study study;

  @BeforeAll
  static void start() throws Exception {
    certs = ORTHANC.certificates();
    orthanc = ORTHANC.server();
    study = FundusStudyFixture.make(tmp.resolve("study"), 3, "PAT-CLI-TLS", "R", "20240615", 48);
    orthanc.uploadAll(study.files());
  }

  static String[] tls() {
    return new String[] {"--tls-truststore", certs.trustP12.toString(), "--tls-truststore-password",
        TestCertificates.PASSWORD, "--tls-keystore", certs.clientP12.toString(), "--tls-keystore-password",
        TestCertificates.PASSWORD};
  }

  static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void echoAndPullOverTls() throws Exception {
    CliRun echo = CliRun.of(concat(new String[] {"pacs", "echo", "--pacs", orthanc.dicom().toString()}, tls()));
    assertEquals(0, echo.exit(), echo.all());
    assertTrue(echo.out().contains("success"), echo.out());

    Path store = tmp.resolve("store");
    CliRun pull = CliRun.of(concat(new String[] {"pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study",
        study.studyInstanceUid(), "--method", "c-get", "--store", store.toString()}, tls()));
    assertEquals(0, pull.exit(), pull.all());
    try (LocalStore s = LocalStore.open(store)) {
      assertEquals(3L, s.manifest().counts().get(InstanceState.RETRIEVED).longValue());
    }
  }

  @Test
  void plainEchoToTheTlsPortFails() {
    CliRun echo = CliRun.of("pacs", "echo", "--pacs", orthanc.dicom().toString(), "--timeout", "3");
    assertEquals(1, echo.exit(), echo.all());
  }

  @Test
  void wrongTrustStorePasswordIsAOneLineErrorNamingTheFile() {
    CliRun echo = CliRun.of("pacs", "echo", "--pacs", orthanc.dicom().toString(), "--tls-truststore",
        certs.trustP12.toString(), "--tls-truststore-password", "wrong");
    assertTrue(echo.exit() != 0, echo.all());
    String err = echo.err().strip();
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains(certs.trustP12.toString()), err);
  }
}

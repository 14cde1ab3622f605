package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Set;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conformance statement's generated tables equal what the code proposes and accepts. */
class ConformanceStatementTest {

  static final Path DOC = Path.of("docs", "conformance-statement.md"); // surefire runs in the module folder
  static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";
  static final String IMPLICIT_LE = "1.2.840.10008.1.2";

  @Test
  void documentTablesEqualTheCodes() throws Exception {
    String doc = Files.readString(DOC);
    assertEquals(DimseConformance.fill(doc), doc, DOC + " disagrees with the code: run"
        + " 'java -cp ... org.fundus4j.dicom.net.DimseConformance dicom/docs/conformance-statement.md' and review the diff");
  }

  @Test
  void everyCodeListAppearsInTheDocument() throws Exception {
    String doc = Files.readString(DOC);
    Map<String, String> tables = DimseConformance.tables();
    for (String table : tables.values()) {
      assertTrue(doc.contains(table));
    }
    List<DimseConformance.Row> scu = DimseConformance.scuProposals();
    // one row per table line: header + separator + rows
    assertEquals(scu.size() + 2, tables.get("scu-sop-classes").lines().count());
    for (String sopClass : PacsClient.FUNDUS_STORAGE_SOP_CLASSES) {
      DimseConformance.Row row = scu.stream().filter(r -> r.sopClassUid().equals(sopClass)).findFirst().orElseThrow();
      assertTrue(row.transferSyntaxUids().contains(JPEG_BASELINE), "C-GET must offer JPEG baseline as stored");
      assertTrue(doc.contains("`" + sopClass + "`"));
    }
    assertTrue(doc.contains("`" + ScreeningReportWriter.SOP_CLASS_UID + "`"));
    for (String suite : DicomTls.CIPHER_SUITES) {
      assertTrue(doc.contains(suite));
    }
  }

  /** What the statement says about Implicit VR Little Endian, checked with dcmtk's storescu as the modality. */
  @Test
  void storescuProposingImplicitVrAloneIsAcceptedAndExplicitIsPreferred(@TempDir Path tmp) throws Exception {
    Path jpeg = FundusStudyFixture.make(tmp.resolve("src"), 1, "PAT-CS", "R", "20240101", 32).files().get(0);
    Path plain = tmp.resolve("plain.dcm");
    FundusStudyFixture.run(List.of("dcmdjpeg", jpeg.toString(), plain.toString())); // Explicit VR LE
    List<ReceivedInstance> received = Collections.synchronizedList(new ArrayList<>());
    try (StorageListener scp = StorageListener.start(InetAddress.getLoopbackAddress(), 0, AeTitle.of("NODE"),
        Set.of(AeTitle.of("CAMERA1")), tmp.resolve("in"), received::add)) {
      String port = String.valueOf(scp.port());
      // -xi: Implicit VR LE only; default: Explicit LE first, then Explicit BE and Implicit LE
      FundusStudyFixture.run(List.of("storescu", "-xi", "-aet", "CAMERA1", "-aec", "NODE", "127.0.0.1", port,
          plain.toString()));
      FundusStudyFixture.run(List.of("storescu", "-aet", "CAMERA1", "-aec", "NODE", "127.0.0.1", port,
          plain.toString()));
      assertEquals(2, received.size());
      assertEquals(IMPLICIT_LE, received.get(0).transferSyntaxUid());
      assertEquals("1.2.840.10008.1.2.1", received.get(1).transferSyntaxUid());
    }
  }

  @Test
  void storageScpAcceptsExplicitTransferSyntaxesOnly() {
    for (DimseConformance.Row row : DimseConformance.scpAcceptance()) {
      assertFalse(row.transferSyntaxUids().contains(IMPLICIT_LE), row.toString());
      assertTrue(row.transferSyntaxUids().contains("1.2.840.10008.1.2.1"), row.toString());
      if (!row.sopClassUid().equals(DimseConformance.VERIFICATION)) {
        assertTrue(row.transferSyntaxUids().contains(JPEG_BASELINE), row.toString());
      }
    }
  }
}

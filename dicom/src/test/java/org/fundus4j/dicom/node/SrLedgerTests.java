package org.fundus4j.dicom.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger's two channels: SR lines and result (e.g. FHIR) lines of one image are journalled side by side. */
class SrLedgerTests {

  static final AlgorithmId MODEL = new AlgorithmId("model", "1");

  @TempDir
  Path tmp;

  @Test
  void resultLinesDoNotHideTheSrStateAndSurviveAReopen() throws Exception {
    Path file = tmp.resolve("sr-ledger.tsv");
    try (SrLedger ledger = SrLedger.open(file)) {
      ledger.record(new SrLedger.Entry("1.2.3.4", MODEL, "2.25.1", "sr/a.dcm", SrLedger.State.WRITTEN));
      ledger.record(new SrLedger.Entry("1.2.3.4", MODEL, "2.25.1", "results/a.json", SrLedger.State.RESULT_WRITTEN));
      ledger.record(new SrLedger.Entry("1.2.3.4", MODEL, "2.25.1", "sr/a.dcm", SrLedger.State.SENT));
      assertEquals(SrLedger.State.SENT, ledger.get("1.2.3.4", MODEL).orElseThrow().state());
      assertEquals(SrLedger.State.RESULT_WRITTEN,
          ledger.get("1.2.3.4", MODEL, SrLedger.Channel.RESULT).orElseThrow().state());
      assertEquals(1, ledger.sentCount());
      assertEquals(0, ledger.sentCount(SrLedger.Channel.RESULT));
    }
    // a torn last line (crash mid-write of RESULT_SENT) is cut off; what was fsynced before stays
    Files.writeString(file, "2026-12-01T00:00:00Z\tRESULT_SENT\t1.2.3.4\tmo", StandardOpenOption.APPEND);
    try (SrLedger ledger = SrLedger.open(file)) {
      assertEquals(SrLedger.State.SENT, ledger.get("1.2.3.4", MODEL).orElseThrow().state());
      SrLedger.Entry result = ledger.get("1.2.3.4", MODEL, SrLedger.Channel.RESULT).orElseThrow();
      assertEquals(SrLedger.State.RESULT_WRITTEN, result.state());
      assertEquals("results/a.json", result.srFile());
      ledger.record(new SrLedger.Entry("1.2.3.4", MODEL, "2.25.1", "results/a.json", SrLedger.State.RESULT_SENT));
      assertEquals(1, ledger.sentCount(SrLedger.Channel.RESULT));
    }
    assertEquals(4, Files.readAllLines(file).size());
    assertTrue(Files.readString(file).endsWith("\n"));
  }
}

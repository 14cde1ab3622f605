package org.fundus4j.dicom.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {

  @TempDir
  Path tmp;

  static ManifestEntry entry(String sop, InstanceState state, String detail) {
    return new ManifestEntry(sop, "1.2.3", "1.2.3.4", "1.2.840.10008.5.1.4.1.1.77.1.5.1", state,
        state.hasFile() ? "instances/" + sop + ".dcm" : "", detail, Instant.parse("2026-11-26T10:00:00Z"));
  }

  @Test
  void reopenReplaysTheLatestStatePerInstance() throws IOException {
    Path file = tmp.resolve("manifest.tsv");
    try (Manifest m = Manifest.open(file)) {
      m.record(entry("1.1", InstanceState.FOUND, ""));
      m.record(entry("1.2", InstanceState.FOUND, ""));
      m.record(entry("1.1", InstanceState.RETRIEVED, "1.2.840.10008.1.2.4.50"));
      m.record(entry("1.2", InstanceState.FAILED, "tab\there\nnewline"));
    }
    try (Manifest m = Manifest.open(file)) {
      assertEquals(2, m.entries().size());
      assertEquals(4, m.journalLines());
      assertEquals(InstanceState.RETRIEVED, m.get("1.1").orElseThrow().state());
      assertEquals("tab here newline", m.get("1.2").orElseThrow().detail());
      assertEquals(1L, m.counts().get(InstanceState.RETRIEVED));
      assertEquals(1L, m.counts().get(InstanceState.FAILED));
      assertEquals(0L, m.counts().get(InstanceState.FOUND));
    }
  }

  @Test
  void tornLastLineIsCutOffOnOpen() throws IOException {
    Path file = tmp.resolve("manifest.tsv");
    try (Manifest m = Manifest.open(file)) {
      m.record(entry("1.1", InstanceState.RETRIEVED, ""));
    }
    long goodLength = Files.size(file);
    Files.writeString(file, "2026-11-26T10:00:01Z\tSR_SENT\t1.1\t1.2", StandardOpenOption.APPEND);
    try (Manifest m = Manifest.open(file)) {
      assertEquals(InstanceState.RETRIEVED, m.get("1.1").orElseThrow().state());
      assertEquals(goodLength, Files.size(file));
      m.record(entry("1.1", InstanceState.SCREENED, "alg 1"));
    }
    try (Manifest m = Manifest.open(file)) {
      assertEquals(InstanceState.SCREENED, m.get("1.1").orElseThrow().state());
    }
  }

  @Test
  void unreadableLinesAreQuarantinedAndTheRestReplays() throws IOException {
    Path file = tmp.resolve("manifest.tsv");
    try (Manifest m = Manifest.open(file)) {
      m.record(entry("1.1", InstanceState.RETRIEVED, ""));
    }
    String good = Files.readString(file);
    // what the node wrote before UIDs were checked: a SOP Instance UID "1.5\n6" split the line in two
    String split = "2026-11-26T10:00:01Z\tRETRIEVED\t1.5\n6\t1.2.3\t1.2.3.4\t1.2\tinstances/x.dcm\t\n";
    Files.writeString(file, "garbage\n" + split + "2026-11-26T10:00:02Z\tFOUND\t1.7\\q\t\t\t\t\t\n",
        StandardOpenOption.APPEND);
    try (Manifest m = Manifest.open(file)) {
      assertEquals(1, m.entries().size());
      assertEquals(InstanceState.RETRIEVED, m.get("1.1").orElseThrow().state());
      assertEquals(4, m.quarantinedLines());
      assertEquals(good, Files.readString(file), "only readable lines stay in the journal");
      m.record(entry("1.2", InstanceState.FOUND, ""));
    }
    String quarantined = Files.readString(tmp.resolve("manifest.tsv.quarantine"));
    assertEquals("garbage\n2026-11-26T10:00:01Z\tRETRIEVED\t1.5\n6\t1.2.3\t1.2.3.4\t1.2\tinstances/x.dcm\t\n"
        + "2026-11-26T10:00:02Z\tFOUND\t1.7\\q\t\t\t\t\t\n", quarantined);
    try (Manifest m = Manifest.open(file)) {
      assertEquals(0, m.quarantinedLines());
      assertEquals(2, m.entries().size());
    }
  }

  @Test
  void invalidUidsAreRefusedBeforeTheyReachTheJournal() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> entry("1.2.3\n4\t5", InstanceState.RETRIEVED, ""));
    assertTrue(e.getMessage().startsWith("SOP Instance UID uid#"), e.getMessage());
    assertTrue(e.getMessage().endsWith("it contains the control character 0x0a at position 6"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new ManifestEntry("1.2", "1.2.3", "1.2.3.4",
        "1.2.840.10008\t", InstanceState.FOUND, "", "", Instant.EPOCH));
    assertThrows(IllegalArgumentException.class, () -> entry("1.2.3." + "1".repeat(60), InstanceState.FOUND, ""));
  }

  @Test
  void fieldsWithTabsNewlinesAndBackslashesRoundTrip() throws IOException {
    Path file = tmp.resolve("journal.tsv");
    try (Journal j = Journal.open(file, 2, f -> { })) {
      j.append(java.util.List.<String[]>of(new String[] {"a\tb\nc", "C:\\dir\\n"}));
    }
    assertEquals("a\\tb\\nc\tC:\\\\dir\\\\n\n", Files.readString(file));
    java.util.List<String> read = new java.util.ArrayList<>();
    try (Journal j = Journal.open(file, 2, f -> read.addAll(java.util.List.of(f)))) {
      assertEquals(0, j.quarantinedLines());
    }
    assertEquals(java.util.List.of("a\tb\nc", "C:\\dir\\n"), read);
  }
}

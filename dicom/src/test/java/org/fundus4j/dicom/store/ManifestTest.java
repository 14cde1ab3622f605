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
  void corruptMiddleLineNamesFileAndLine() throws IOException {
    Path file = tmp.resolve("manifest.tsv");
    Files.writeString(file, "garbage\n", StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class, () -> Manifest.open(file));
    assertTrue(e.getMessage().contains("manifest.tsv line 1 has 1 fields, expected 8"), e.getMessage());
  }
}

package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation of the value records and the multipart reader, without a network. */
class NetValuesTest {

  @TempDir
  Path tmp;

  static void assertRejected(String expectedPart, Runnable r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
  }

  /**
   * {@code StorageListener.PduWatch} follows PDU boundaries across any split of the writes: a P-DATA-TF whose
   * body holds the bytes of an A-RELEASE-RP does not end the association; the A-RELEASE-RP itself ends it
   * exactly after its last byte (PS3.8 9.3.1: type, reserved, 4-byte big-endian length).
   */
  @Test
  void pduWatchSeesTheReleaseResponseWhateverTheWriteSizes() throws Exception {
    byte[] releaseRp = {0x06, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
    byte[] pData = new byte[6 + 300];
    pData[0] = 0x04;
    pData[4] = 0x01; // length 300 = 0x012C
    pData[5] = 0x2C;
    System.arraycopy(releaseRp, 0, pData, 100, releaseRp.length); // looks like a release, inside a P-DATA body
    byte[] all = new byte[pData.length * 2 + releaseRp.length];
    System.arraycopy(pData, 0, all, 0, pData.length);
    System.arraycopy(pData, 0, all, pData.length, pData.length);
    System.arraycopy(releaseRp, 0, all, pData.length * 2, releaseRp.length);
    for (int chunk : new int[] {1, 5, 6, 7, 306, 1000}) {
      java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
      List<Integer> overAt = new ArrayList<>();
      int[] written = {0};
      StorageListener.PduWatch watch = new StorageListener.PduWatch(sent, () -> overAt.add(written[0]));
      for (int off = 0; off < all.length; off += chunk) {
        int n = Math.min(chunk, all.length - off);
        written[0] = off + n;
        if (n == 1) {
          watch.write(all[off]);
        } else {
          watch.write(all, off, n);
        }
      }
      assertEquals(List.of(all.length), overAt, "chunks of " + chunk);
      assertEquals(java.util.Arrays.toString(all), java.util.Arrays.toString(sent.toByteArray()));
    }
  }

  @Test
  void aeTitlesFollowPs35() {
    assertEquals("FUNDUS4J", AeTitle.of("FUNDUS4J").value());
    assertEquals("SIXTEEN_CHARS_AE", AeTitle.of("SIXTEEN_CHARS_AE").value());
    assertRejected("1-16 characters", () -> AeTitle.of("SEVENTEEN_CHARSAE"));
    assertRejected("1-16 characters", () -> AeTitle.of("  "));
    assertRejected("start or end with spaces", () -> AeTitle.of(" PACS"));
    assertRejected("without backslash", () -> AeTitle.of("A\\B"));
  }

  @Test
  void pacsAddressParsesAndPrints() {
    PacsAddress a = PacsAddress.parse("ORTHANC@127.0.0.1:4242");
    assertEquals(new PacsAddress("127.0.0.1", 4242, AeTitle.of("ORTHANC")), a);
    assertEquals("ORTHANC@127.0.0.1:4242", a.toString());
    assertEquals(104, a.withPort(104).port());
    assertRejected("Expected AE@host:port", () -> PacsAddress.parse("127.0.0.1:4242"));
    assertRejected("1-65535, got 0", () -> new PacsAddress("h", 0, AeTitle.of("X")));
  }

  @Test
  void queriesAreHierarchicalAndFiltersFitTheirLevel() {
    assertEquals("20240101-20241231", DicomQuery.studies()
        .withStudyDates(LocalDate.of(2024, 1, 1), LocalDate.of(2024, 12, 31)).studyDateRange());
    assertEquals("-20241231", DicomQuery.studies().withStudyDates(null, LocalDate.of(2024, 12, 31)).studyDateRange());
    assertRejected("need a Study Instance UID", () -> DicomQuery.series(""));
    assertRejected("Laterality is not a study attribute", () -> DicomQuery.studies().withLaterality("L"));
    assertRejected("R, L or B", () -> DicomQuery.series("1.2").withLaterality("left"));
    assertRejected("is after", () -> DicomQuery.studies()
        .withStudyDates(LocalDate.of(2024, 2, 1), LocalDate.of(2024, 1, 1)));
    assertRejected("digits and dots", () -> DicomQuery.series("1.2.abc"));
    assertRejected("exact value", () -> DicomQuery.studies().withPatientId("12*"));
    assertRejected("required for a SERIES-level retrieve", () -> new RetrieveTarget(QueryLevel.SERIES, "1.2", "", ""));
  }

  @Test
  void multipartReaderSplitsPartsExactly() throws Exception {
    byte[] part1 = "first\r\n--not-the-boundary\r\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] part2 = new byte[] {0, 13, 10, 45, 45, 1, 2, 3};
    String body = "preamble\r\n--B0UND\r\nContent-Type: application/dicom\r\n\r\n"
        + new String(part1, StandardCharsets.ISO_8859_1) + "\r\n--B0UND\r\nContent-Type: application/dicom\r\n\r\n"
        + new String(part2, StandardCharsets.ISO_8859_1) + "\r\n--B0UND--\r\n";
    List<byte[]> parts = new ArrayList<>();
    int n = Multipart.read(new ByteArrayInputStream(body.getBytes(StandardCharsets.ISO_8859_1)),
        Multipart.boundary("multipart/related; type=\"application/dicom\"; boundary=\"B0UND\""), tmp,
        (file, type) -> parts.add(Files.readAllBytes(file)));
    assertEquals(2, n);
    assertEquals(new String(part1, StandardCharsets.ISO_8859_1), new String(parts.get(0), StandardCharsets.ISO_8859_1));
    assertEquals(java.util.Arrays.toString(part2), java.util.Arrays.toString(parts.get(1)));
  }
}

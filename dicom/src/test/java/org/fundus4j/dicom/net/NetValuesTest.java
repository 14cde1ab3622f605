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

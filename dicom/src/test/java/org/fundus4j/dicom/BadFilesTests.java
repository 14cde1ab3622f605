package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unreadable and non-image files give a DicomReadException or a failed CheckResult naming file and reason. */
class BadFilesTests {

  @Test
  void zeroByteFile() throws Exception {
    Path file = Fixtures.derived("empty.dcm");

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.read(file));
    assertEquals(file + ": empty file (0 bytes)", e.getMessage());
    assertEquals(file, e.file());

    CheckResult r = DicomCheck.check(file);
    assertFalse(r.ok());
    assertEquals(0, r.sizeBytes());
    assertNull(r.info());
    assertEquals("empty file (0 bytes)", r.reason());
  }

  @Test
  void nonDicomFile() throws Exception {
    Path file = Fixtures.derived("not-dicom.dcm");

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.readInfo(file));
    assertEquals(file + ": not a DICOM Part 10 file: no 'DICM' marker at byte 128 (file is 640 bytes)",
        e.getMessage());

    CheckResult r = DicomCheck.check(file);
    assertFalse(r.ok());
    assertEquals(640, r.sizeBytes());
    assertNull(r.info());
  }

  @Test
  void jpegTruncatedInsidePixelData() throws Exception {
    Path file = Fixtures.derived("truncated-jpeg.dcm");

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.read(file));
    assertEquals(file + ": truncated or corrupt: parsing stopped at byte 1340 of 100000", e.getMessage());

    CheckResult r = DicomCheck.check(file);
    assertFalse(r.ok());
    assertEquals(100_000, r.sizeBytes());
    assertNotNull(r.info(), "the header is intact and should be reported");
    assertEquals(Fixtures.SOP_INSTANCE_UID, r.info().sopInstanceUid());
  }

  @Test
  void uncompressedTruncatedInsidePixelData() throws Exception {
    Path file = Fixtures.derived("truncated-uncompressed.dcm");

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.read(file));
    assertEquals(file + ": truncated: data elements declare 5974094 bytes but the file has 3000000"
        + " (the cut is inside Pixel Data (7FE0,0010))", e.getMessage());
    assertFalse(DicomCheck.check(file).ok());
  }

  @Test
  void truncatedInsideHeader(@TempDir Path dir) throws Exception {
    byte[] all = Files.readAllBytes(Fixtures.committed("op-jpeg-baseline.dcm"));
    Path file = dir.resolve("cut-in-header.dcm");
    Files.write(file, java.util.Arrays.copyOf(all, 400));

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.readInfo(file));
    assertEquals(file + ": truncated or corrupt: parsing stopped at byte 370 of 400", e.getMessage());
    CheckResult r = DicomCheck.check(file);
    assertFalse(r.ok());
    assertEquals(400, r.sizeBytes());
  }

  @Test
  void structuredReportHasNoPixels() throws Exception {
    Path file = Fixtures.committed("comprehensive-sr.dcm");

    DicomReadException e = assertThrows(DicomReadException.class, () -> DicomImages.read(file));
    assertEquals(file + ": no Pixel Data (7FE0,0010): not an image (SOP Class UID 1.2.840.10008.5.1.4.1.1.88.33,"
        + " a structured report)", e.getMessage());

    InstanceInfo info = DicomImages.readInfo(file);   // the header itself is fine
    assertEquals("1.2.840.10008.5.1.4.1.1.88.33", info.sopClassUid());
    assertFalse(info.isImage());

    CheckResult r = DicomCheck.check(file);
    assertFalse(r.ok());
    assertEquals(info, r.info());
    assertEquals(6796, r.sizeBytes());
  }

  @Test
  void missingFileAndDirectory(@TempDir Path dir) {
    Path missing = dir.resolve("nope.dcm");
    assertEquals(missing + ": no such file",
        assertThrows(DicomReadException.class, () -> DicomImages.read(missing)).getMessage());
    assertEquals("no such file", DicomCheck.check(missing).reason());
    assertEquals("is a directory, not a file", DicomCheck.check(dir).reason());
  }

  @Test
  void unsupportedTransferSyntaxIsNamed() throws Exception {
    // dcmtk's JPEG-LS encoder is a real third-party writer; PixelMed has no JPEG-LS decoder.
    Path dir = Files.createTempDirectory("fundus4j-jls");
    try {
      Path jls = dir.resolve("op-jpeg-ls.dcm");
      Fixtures.Result made = Fixtures.run(java.util.List.of("dcmcjpls",
          Fixtures.derived("op-uncompressed.dcm").toString(), jls.toString()), 120);
      assertEquals(0, made.exitCode(), made.output());

      CheckResult r = DicomCheck.check(jls);
      assertFalse(r.ok());
      assertTrue(r.reason().contains("1.2.840.10008.1.2.4.80"), r.reason());
      assertNotNull(r.info(), "the header is readable: " + r.reason());
      assertEquals("1.2.840.10008.1.2.4.80", r.info().transferSyntaxUid());
    } finally {
      try (var s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  @Test
  void goodFileChecksOk() throws Exception {
    Path file = Fixtures.committed("op-jpeg-baseline.dcm");
    CheckResult r = DicomCheck.check(file);

    assertTrue(r.ok());
    assertNull(r.reason());
    assertEquals(Files.size(file), r.sizeBytes());
    assertEquals("L", r.info().laterality());
  }
}

package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Decode in full or refuse, on DICOM made hostile at test time by {@code src/test/fixtures/make-hostile.py}
 * (pydicom, dcmtk's dcmdjpeg, dcmconv and dcmcjpeg) from the committed JPEG baseline fixture: {@code read}
 * (what {@code dicom check} calls) and {@code readFirstFrame} (what screening and training call) give one
 * verdict with one reason.
 */
class HostileDicomTests {
  @TempDir
  static Path dir;

  @BeforeAll
  static void makeHostileFiles() throws Exception {
    Fixtures.Result r = Fixtures.run(List.of("/usr/bin/python3", "src/test/fixtures/make-hostile.py",
        Fixtures.committed("op-jpeg-baseline.dcm").toString(), dir.toString()), 300);
    assertEquals(0, r.exitCode(), r.output());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "huge-native.dcm   | Rows (0028,0010) x Columns (0028,0011) = 60000 x 60000 is 3,600,000,000 pixels, more than "
          + "the 268,435,456 (16384 x 16384) fundus4j decodes",
      "huge-jpeg.dcm     | Rows (0028,0010) x Columns (0028,0011) = 60000 x 60000 is 3,600,000,000 pixels",
      "short-native.dcm  | Pixel Data (7FE0,0010) holds 5,972,764 bytes, but 1411 x 2822 x 3 samples x 8 bits x 1 "
          + "frame(s) need 11,945,526: truncated or a false header",
      "tall-jpeg.dcm     | the JPEG frame cannot be decoded in full: the entropy-coded data ends (truncated) in MCU",
      "mismatch-jpeg.dcm | the JPEG frame header says 1411 x 1411 with 3 component(s) but Columns (0028,0011) x Rows "
          + "(0028,0010) and Samples per Pixel (0028,0002) say 1411 x 1419 with 3",
      "cut-jpeg.dcm      | the JPEG frame cannot be decoded in full: the entropy-coded data ends (truncated) in MCU",
      "jpeg12.dcm        | 12-bit JPEG (JPEG Extended, SOF1, transfer syntax 1.2.840.10008.1.2.4.51) is not decoded",
      "control-uid.dcm   | SOP Instance UID (0008,0018) uid#",
  })
  void checkAndScreeningRefuseWithOneReason(String name, String reason) throws Exception {
    Path file = dir.resolve(name);
    DicomReadException read = assertThrows(DicomReadException.class, () -> DicomImages.read(file));
    DicomReadException first = assertThrows(DicomReadException.class, () -> DicomImages.readFirstFrame(file));
    assertTrue(read.getMessage().startsWith(file + ": " + reason), read.getMessage());
    assertEquals(read.getMessage(), first.getMessage(), "one decoding path, one verdict");
    CheckResult check = DicomCheck.check(file);
    assertFalse(check.ok());
  }

  @Test
  void aLengthFieldPastTheDataIsRefusedWithOneReasonOnBothPaths() throws Exception {
    Path file = dir.resolve("wrong-length.dcm");
    DicomReadException read = assertThrows(DicomReadException.class, () -> DicomImages.read(file));
    DicomReadException first = assertThrows(DicomReadException.class, () -> DicomImages.readFirstFrame(file));
    assertEquals(read.getMessage(), first.getMessage());
    assertTrue(read.getMessage().startsWith(file + ": "), read.getMessage());
    assertEquals(1, read.getMessage().lines().count(), read.getMessage());
    assertFalse(DicomCheck.check(file).ok());
  }

  @Test
  void theIntactSourceStillDecodesOnBothPaths() throws Exception {
    Path file = Fixtures.committed("op-jpeg-baseline.dcm");
    assertInstanceOf(JpegFrame.class, DicomImages.readFirstFrame(file));
    assertEquals(1411, DicomImages.read(file).rgb().getWidth());
    assertTrue(JpegScan.problem(((JpegFrame) DicomImages.readFirstFrame(file)).jpeg()).isEmpty());
  }

  @Test
  void deflatedImagesDecodeAndTheirHeadersRead() throws Exception {
    Path deflated = dir.resolve("deflated.dcm");
    Path native_ = dir.resolve("native.dcm");
    FundusImage a = DicomImages.read(deflated);
    FundusImage b = DicomImages.read(native_);
    assertEquals("1.2.840.10008.1.2.1.99", a.info().transferSyntaxUid());
    assertEquals(b.rgb().getRGB(700, 700), a.rgb().getRGB(700, 700));
    assertEquals(b.rgb().getRGB(100, 1300), a.rgb().getRGB(100, 1300));
    assertEquals(b.info().sopInstanceUid(), DicomImages.readInfo(deflated).sopInstanceUid());
    assertTrue(DicomCheck.check(deflated).ok());
  }
}

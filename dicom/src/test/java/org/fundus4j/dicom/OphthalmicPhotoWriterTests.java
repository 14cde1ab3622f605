package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.fundus4j.dicom.sr.UidGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OphthalmicPhotoWriter output is valid OP (dciodvfy) and reads back to the same pixels. */
class OphthalmicPhotoWriterTests {
  private static final UidGenerator UIDS = UidGenerator.uuidDerived();

  private static ImageIdentity identity(String laterality) {
    return new ImageIdentity("SYN-0001", "Synthetic^Patient", UIDS.next(), UIDS.next(), UIDS.next(), laterality,
        LocalDate.of(2024, 1, 31));
  }

  @Test
  void realPhotographWrittenAsOpPassesDciodvfyAndReadsBackIdentical(@TempDir Path dir) throws Exception {
    BufferedImage jpeg = ImageIO.read(Fixtures.CC0_JPEG.toFile());
    ImageIdentity id = identity("L");
    Path out = dir.resolve("cc0.dcm");

    OphthalmicPhotoWriter.write(jpeg, id, out);

    assertEquals(List.of(), Fixtures.dciodvfyErrors(out));
    FundusImage back = DicomImages.read(out);
    assertEquals(new InstanceInfo(OphthalmicPhotoWriter.SOP_CLASS_UID, id.sopInstanceUid(), id.studyInstanceUid(),
        id.seriesInstanceUid(), "1.2.840.10008.1.2.1", "OP", "L", 1411, 1411, 3, "RGB"), back.info());
    assertEquals(0, DicomImagesTests.countDifferingPixels(jpeg, back.rgb()));
  }

  @Test
  void oddSizedNoiseImageRoundTripsIncludingTheLastPixel(@TempDir Path dir) throws Exception {
    // 33 x 17 x 3 bytes is odd: Pixel Data gets a pad byte; the last pixel must survive.
    BufferedImage noise = new BufferedImage(33, 17, BufferedImage.TYPE_3BYTE_BGR);
    Random random = new Random(42);
    for (int y = 0; y < 17; y++) {
      for (int x = 0; x < 33; x++) {
        noise.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    noise.setRGB(32, 16, 0xFFFFFF);
    Path out = dir.resolve("noise.dcm");

    OphthalmicPhotoWriter.write(noise, identity("R"), out);

    BufferedImage back = DicomImages.read(out).rgb();
    assertEquals(0, DicomImagesTests.countDifferingPixels(noise, back));
    assertEquals(0xFFFFFF, back.getRGB(32, 16) & 0xFFFFFF);
    assertEquals("R", DicomImages.readInfo(out).laterality());
    assertEquals(List.of(), Fixtures.dciodvfyErrors(out));
  }

  @Test
  void dcmtkReadsTheHeaderWeWrote(@TempDir Path dir) throws Exception {
    ImageIdentity id = identity("B");
    Path out = dir.resolve("b.dcm");
    OphthalmicPhotoWriter.write(new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB), id, out);

    Fixtures.Result dump = Fixtures.run(List.of("dcmdump", "+P", "PatientID", "+P", "ImageLaterality", "+P",
        "StudyDate", "+P", "ImplementationClassUID", out.toString()), 30);

    assertEquals(0, dump.exitCode(), dump.output());
    assertTrue(dump.output().contains("[SYN-0001]"), dump.output());
    assertTrue(dump.output().contains("(0020,0062) CS [B]"), dump.output());
    assertTrue(dump.output().contains("[20240131]"), dump.output());
    assertTrue(dump.output().contains("[" + OphthalmicPhotoWriter.IMPLEMENTATION_CLASS_UID + "]"), dump.output());
  }

  @Test
  void theDciodvfyCheckSeesErrorsWhenThereAreSome() throws Exception {
    // img2dcm -vlp output lacks the Type 2C Laterality (0020,0060): dciodvfy reports an error.
    List<String> errors = Fixtures.dciodvfyErrors(Fixtures.derived("vl-photographic.dcm"));
    assertTrue(errors.stream().anyMatch(e -> e.contains("Laterality")), errors.toString());
  }

  @Test
  void identityRejectsBadValuesWithTheFieldNamed() {
    IllegalArgumentException badUid = assertThrows(IllegalArgumentException.class, () -> new ImageIdentity(
        "P", "N", "1.2.03", UIDS.next(), UIDS.next(), "L", LocalDate.of(2024, 1, 1)));
    assertEquals("studyInstanceUid is not a valid DICOM UID (digits and dots, at most 64 characters,"
        + " no leading zeros): '1.2.03'", badUid.getMessage());
    IllegalArgumentException badSide = assertThrows(IllegalArgumentException.class, () -> new ImageIdentity(
        "P", "N", UIDS.next(), UIDS.next(), UIDS.next(), "U", LocalDate.of(2024, 1, 1)));
    assertEquals("Image Laterality (0020,0062) must be R, L or B, got 'U'", badSide.getMessage());
  }
}

package org.fundus4j.dicom.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.imageio.ImageIO;

/**
 * Makes a study of real Ophthalmic Photography 8 Bit instances (JPEG baseline) at test time with dcmtk's
 * {@code img2dcm -oph}, from the CC0 photograph {@code data/cc0/retina-normal-left.jpg}.
 *
 * <p>Each instance is the photograph scaled to {@code size x size} with a different brightness and a
 * white bar whose length encodes the instance number, so every instance has different pixel data
 * (a mix-up between instances cannot go unnoticed). See {@code src/test/resources/net-fixtures/README.md}.
 */
public final class FundusStudyFixture {

  public static final Path SOURCE = Path.of("..", "data", "cc0", "retina-normal-left.jpg");
  public static final String OP_8BIT = "1.2.840.10008.5.1.4.1.1.77.1.5.1";
  public static final String JPEG_BASELINE = "1.2.840.10008.1.2.4.50";

  /** What was made. */
  public record Study(String studyInstanceUid, String seriesInstanceUid, List<Path> files) {
  }

  private FundusStudyFixture() {
  }

  /** A new random UID under the UUID-derived root 2.25 (PS3.5 B.2). */
  public static String newUid() {
    UUID u = UUID.randomUUID();
    BigInteger v = new BigInteger(1, java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
        .putLong(u.getLeastSignificantBits()).array());
    return "2.25." + v;
  }

  /**
   * Writes {@code count} instances of one study and series into {@code dir}.
   *
   * @param laterality R or L (ImageLaterality)
   * @param size width and height in pixels
   */
  public static Study make(Path dir, int count, String patientId, String laterality, String studyDate, int size)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    BufferedImage source = ImageIO.read(SOURCE.toFile());
    if (source == null) {
      throw new IOException("Cannot read " + SOURCE.toAbsolutePath());
    }
    String study = newUid();
    String series = newUid();
    List<Path> files = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.drawImage(source, 0, 0, size, size, null);
      g.setColor(new Color(0, 0, 0, (i * 37) % 160));
      g.fillRect(0, 0, size, size);
      g.setColor(Color.WHITE);
      g.fillRect(4, 4, Math.min(size - 8, 4 + i * 3), 6);
      g.dispose();
      Path jpg = dir.resolve("src-" + i + ".jpg");
      ImageIO.write(img, "jpg", jpg.toFile());
      Path dcm = dir.resolve(String.format("op-%03d.dcm", i));
      run(List.of("img2dcm", "-oph", jpg.toString(), dcm.toString(),
          "-k", "ImageLaterality=" + laterality,
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeValue=409898007",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SCT",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus Camera",
          "-k", "AnatomicRegionSequence[0].CodeValue=81745001",
          "-k", "AnatomicRegionSequence[0].CodingSchemeDesignator=SCT",
          "-k", "AnatomicRegionSequence[0].CodeMeaning=Eye",
          "-k", "PatientID=" + patientId,
          "-k", "PatientName=Test^Fundus",
          "-k", "StudyDate=" + studyDate,
          "-k", "StudyID=1",
          "-k", "SeriesNumber=1",
          "-k", "InstanceNumber=" + i,
          "-k", "StudyInstanceUID=" + study,
          "-k", "SeriesInstanceUID=" + series));
      Files.delete(jpg);
      files.add(dcm);
    }
    return new Study(study, series, List.copyOf(files));
  }

  /** Runs a command, failing with its output when it does not exit 0. */
  public static String run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  /**
   * The bytes from the first Pixel Data element (7FE0,0010) to the end of a Part 10 file: tag, VR, length
   * and the encapsulated fragments as stored. Equal suffixes mean byte-identical pixel data in the same encoding.
   */
  public static byte[] pixelDataElement(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    for (int i = 132; i + 6 <= b.length; i++) {
      if ((b[i] & 0xff) == 0xE0 && (b[i + 1] & 0xff) == 0x7F && b[i + 2] == 0x10 && b[i + 3] == 0x00
          && b[i + 4] == 'O' && (b[i + 5] == 'B' || b[i + 5] == 'W')) {
        return java.util.Arrays.copyOfRange(b, i, b.length);
      }
    }
    throw new IOException("No explicit-VR Pixel Data element in " + file);
  }
}

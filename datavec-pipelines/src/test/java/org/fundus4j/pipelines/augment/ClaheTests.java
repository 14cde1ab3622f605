package org.fundus4j.pipelines.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fundus4j.pipelines.preprocess.OpenCvImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compares {@link Clahe} with OpenCV's own CLAHE in Python (cv2, Debian python3-opencv). */
class ClaheTests {

  @Test
  void claheEqualsOpenCvsOwnClaheOnTheRealPhotograph(@TempDir Path dir) throws Exception {
    // The real CC0 photograph, scaled to 400 px and saved losslessly so both sides read the same pixels.
    BufferedImage photo = ImageIO.read(Path.of("..", "data", "cc0", "retina-normal-left.jpg").toFile());
    BufferedImage small = new BufferedImage(400, 400, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = small.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(photo, 0, 0, 400, 400, null);
    g.dispose();
    Path in = dir.resolve("in.png");
    ImageIO.write(small, "png", in.toFile());
    Path color = dir.resolve("color.png");
    Path gray = dir.resolve("gray.png");
    Process p = new ProcessBuilder("/usr/bin/python3", Path.of("src", "test", "resources", "reference",
        "clahe_reference.py").toString(), in.toString(), color.toString(), gray.toString(), "2.0", "8")
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python timed out");
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "clahe_reference.py failed: " + output);

    BufferedImage input = ImageIO.read(in.toFile());
    Mat bgr = OpenCvImages.toBgr(input);
    Clahe clahe = new Clahe(1.0, 2.0, 8);

    byte[] expectedColor = OpenCvImages.bytes(OpenCvImages.toBgr(ImageIO.read(color.toFile())));
    byte[] actualColor = OpenCvImages.bytes(clahe.applyToBgr(bgr));
    assertNotEquals(0, diff(OpenCvImages.bytes(bgr), actualColor), "CLAHE must change this photograph");
    assertEquals(0, diff(expectedColor, actualColor), "bytes differing from cv2's CLAHE (colour, L*a*b*)");

    Mat grayIn = new Mat();
    org.bytedeco.opencv.global.opencv_imgproc.cvtColor(bgr, grayIn,
        org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY);
    byte[] expectedGray = OpenCvImages.bytes(OpenCvImages.toGray(ImageIO.read(gray.toFile())));
    assertArrayEquals(expectedGray, OpenCvImages.bytes(clahe.applyToGray(grayIn)), "grey CLAHE");
  }

  private static int diff(byte[] a, byte[] b) {
    assertEquals(a.length, b.length);
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      n += a[i] != b[i] ? 1 : 0;
    }
    return n;
  }
}

package org.fundus4j.pipelines;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small drawn test images with known geometry. */
final class TestImages {

  private TestImages() {}

  /** A 320x240 black image with an orange disc of radius 100 centred at (170, 120) and random spots. */
  static BufferedImage disc(long seed) {
    BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_3BYTE_BGR);
    Graphics2D g = img.createGraphics();
    g.setColor(new Color(200, 90, 40));
    g.fillOval(70, 20, 200, 200);
    Random rnd = new Random(seed);
    for (int i = 0; i < 12; i++) {
      g.setColor(new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)));
      g.fillOval(110 + rnd.nextInt(110), 60 + rnd.nextInt(110), 10, 10);
    }
    g.dispose();
    return img;
  }

  /** The disc image with a blue 40x30 rectangle at (110, 70) (upper left of the disc). */
  static BufferedImage discWithBlueRectangle() {
    BufferedImage img = disc(0);
    Graphics2D g = img.createGraphics();
    g.setColor(new Color(200, 90, 40));
    g.fillOval(70, 20, 200, 200);
    g.setColor(new Color(20, 40, 230));
    g.fillRect(110, 70, 40, 30);
    g.dispose();
    return img;
  }

  /** The mask of {@link #discWithBlueRectangle()}: 255 on the rectangle. */
  static BufferedImage blueRectangleMask() {
    BufferedImage m = new BufferedImage(320, 240, BufferedImage.TYPE_BYTE_GRAY);
    Graphics2D g = m.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(110, 70, 40, 30);
    g.dispose();
    return m;
  }

  static Path writePng(BufferedImage img, Path file) throws IOException {
    ImageIO.write(img, "png", file.toFile());
    return file;
  }
}

package org.fundus4j.samples;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The real CC0 fundus photograph bundled with the samples: a normal left eye (Häggström 2014; provenance in
 * {@code data/cc0/README.md}).
 */
public final class Cc0Photograph {
  private static final String RESOURCE = "/org/fundus4j/samples/cc0/retina-normal-left.jpg";

  private Cc0Photograph() {}

  /**
   * Decodes the photograph with a JPEG reader asked by format name, so that ImageIO does not probe every
   * registered plug-in (PixelMed's JPEG lossless reader prints a line to stdout whenever it is probed).
   */
  public static BufferedImage normalLeftEye() throws IOException {
    try (InputStream in = Cc0Photograph.class.getResourceAsStream(RESOURCE);
        ImageInputStream stream = in == null ? null : ImageIO.createImageInputStream(in)) {
      if (stream == null) {
        throw new IOException("Bundled CC0 photograph missing from the samples jar: " + RESOURCE);
      }
      Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("jpeg");
      ImageReader reader = readers.next();
      try {
        reader.setInput(stream, true, true);
        return reader.read(0);
      } finally {
        reader.dispose();
      }
    }
  }
}

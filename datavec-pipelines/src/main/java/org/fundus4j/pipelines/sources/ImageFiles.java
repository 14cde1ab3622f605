package org.fundus4j.pipelines.sources;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.FirstFrame;
import org.fundus4j.pipelines.ScalableImage;

/**
 * Decodes an image file, DICOM or plain (JPEG, PNG, TIFF, BMP), into a {@link BufferedImage}.
 *
 * <p>DICOM is recognised by the {@code DICM} magic at byte 128 or a {@code .dcm} extension and decoded by
 * the dicom module ({@link DicomImages#read(Path)}, RGB); anything else goes to {@link ImageIO}.
 * {@link #open(Path)} leaves DICOM JPEG frames compressed for the pipelines to decode.
 */
public final class ImageFiles {

  /** File extensions of plain images that the folder readers pick up (lower case, no dot). */
  public static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "tif", "tiff", "bmp");

  private ImageFiles() {}

  /** Reads and decodes {@code file}; the exception message names the file and the reason. */
  public static BufferedImage read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("No such file: " + file);
    }
    if (isDicom(file)) {
      try {
        return DicomImages.read(file).rgb();
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException("Cannot decode DICOM file " + file + ": " + e.getMessage(), e);
      }
    }
    BufferedImage img;
    try {
      img = readPlain(file);
    } catch (IOException | RuntimeException e) {
      throw new IOException("Cannot decode image " + file + ": " + e.getMessage(), e);
    }
    if (img == null) {
      throw new IOException("Not a readable image: no ImageIO decoder accepts its content (empty, truncated or another format): " + file);
    }
    return img;
  }

  /**
   * Opens {@code file} for a pipeline: a DICOM file whose first frame is a JPEG bitstream any JPEG decoder
   * reads alike ({@link DicomImages#readFirstFrame}, typically JPEG baseline from a fundus camera) stays
   * compressed, so that the pipeline can decode it with libjpeg-turbo at reduced size; anything else is
   * decoded as {@link #read(Path)} does.
   *
   * @throws IOException naming the file and the reason, as {@link #read(Path)} does
   */
  public static ScalableImage open(Path file) throws IOException {
    if (Files.isRegularFile(file) && isDicom(file)) {
      FirstFrame frame;
      try {
        frame = DicomImages.readFirstFrame(file);
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException("Cannot decode DICOM file " + file + ": " + e.getMessage(), e);
      }
      return ScalableImage.of(frame, file.toString());
    }
    return ScalableImage.of(read(file));
  }

  /**
   * Decodes with the ImageIO readers registered for the file's extension, so that other plug-ins (such as
   * PixelMed's JPEG lossless reader, which prints while probing) are not asked; falls back to
   * {@link ImageIO#read(java.io.File)} for other extensions. Returns null when no reader accepts the file.
   */
  private static BufferedImage readPlain(Path file) throws IOException {
    Iterator<ImageReader> readers = ImageIO.getImageReadersBySuffix(extension(file));
    if (!IMAGE_EXTENSIONS.contains(extension(file)) || !readers.hasNext()) {
      return ImageIO.read(file.toFile());
    }
    ImageReader reader = readers.next();
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      if (in == null || !reader.getOriginatingProvider().canDecodeInput(in)) {
        return null;
      }
      reader.setInput(in, true, true);
      return reader.read(0);
    } finally {
      reader.dispose();
    }
  }

  /** Returns whether {@code file} is DICOM: {@code DICM} at byte 128, or a {@code .dcm} extension. */
  public static boolean isDicom(Path file) throws IOException {
    if (extension(file).equals("dcm")) {
      return true;
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(132);
      return head.length == 132 && head[128] == 'D' && head[129] == 'I' && head[130] == 'C' && head[131] == 'M';
    }
  }

  /** Returns whether the file name has one of {@link #IMAGE_EXTENSIONS}. */
  public static boolean isPlainImage(Path file) {
    return IMAGE_EXTENSIONS.contains(extension(file));
  }

  /** Returns the lower-case extension without the dot, or "" if there is none. */
  public static String extension(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  /** Returns the file name without its extension. */
  public static String stem(Path file) {
    String name = file.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(0, dot);
  }
}

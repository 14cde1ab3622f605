package org.fundus4j.pipelines;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_IGNORE_ORIENTATION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.Objects;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.FirstFrame;
import org.fundus4j.dicom.FundusImage;
import org.fundus4j.dicom.JpegFrame;
import org.fundus4j.pipelines.preprocess.OpenCvImages;

/**
 * An image a pipeline can decode at full size or, when it is a JPEG bitstream, at 1/2, 1/4 or 1/8 of it.
 *
 * <p>JPEG bitstreams are decoded by OpenCV's {@code imdecode} (libjpeg-turbo); a reduction of {@code r} uses
 * libjpeg's DCT scaling, which decodes only the low frequencies of each 8x8 block and is several times faster
 * than a full decode followed by a resize. At reduction 1 the pixels are exactly those of any other libjpeg
 * or ImageIO decode. EXIF orientation is ignored, as ImageIO does. Images already decoded can only be had at
 * full size. Get one from {@link org.fundus4j.pipelines.sources.ImageFiles#open}.
 *
 * <pre>{@code
 * ScalableImage image = ImageFiles.open(Path.of("eye.dcm"));
 * INDArray x = Pipelines.training(512, 42).apply(image, 0);   // decodes at the smallest size that keeps 512 px
 * }</pre>
 */
public final class ScalableImage {

  private final BufferedImage rgb;
  private final byte[] jpeg;
  private final int width;
  private final int height;
  private final String origin;

  private ScalableImage(BufferedImage rgb, byte[] jpeg, int width, int height, String origin) {
    this.rgb = rgb;
    this.jpeg = jpeg;
    this.width = width;
    this.height = height;
    this.origin = origin;
  }

  /** Wraps decoded pixels (any {@link BufferedImage} type); only reduction 1 is available. */
  public static ScalableImage of(BufferedImage rgb) {
    Objects.requireNonNull(rgb, "rgb");
    return new ScalableImage(rgb, null, rgb.getWidth(), rgb.getHeight(), "image");
  }

  /**
   * Wraps an 8-bit JPEG bitstream (SOI to EOI) of {@code width x height} pixels, grey or colour.
   *
   * @param origin names the source in error messages, e.g. the file path (no patient data)
   */
  public static ScalableImage jpeg(byte[] jpeg, int width, int height, String origin) {
    Objects.requireNonNull(jpeg, "jpeg");
    Objects.requireNonNull(origin, "origin");
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("JPEG size must be positive, got " + width + "x" + height + " for " + origin);
    }
    return new ScalableImage(null, jpeg, width, height, origin);
  }

  /**
   * Wraps what {@link DicomImages#readFirstFrame} returned: a JPEG frame stays compressed (reducible), a decoded
   * frame is wrapped as {@link #of(BufferedImage)}.
   *
   * @param origin names the source in error messages, e.g. the file path (no patient data)
   */
  public static ScalableImage of(FirstFrame frame, String origin) {
    if (frame instanceof JpegFrame jpeg) {
      return jpeg(jpeg.jpeg(), jpeg.info().columns(), jpeg.info().rows(), origin);
    }
    return of(((FundusImage) frame).rgb());
  }

  /** Returns the full width in pixels. */
  public int width() {
    return width;
  }

  /** Returns the full height in pixels. */
  public int height() {
    return height;
  }

  /** Returns the largest reduction {@link #decodeBgr} accepts: 8 for JPEG, 1 for decoded images. */
  public int maxReduction() {
    return jpeg == null ? 1 : 8;
  }

  /** Returns whether this is a JPEG bitstream that is decoded on demand. */
  public boolean isJpeg() {
    return jpeg != null;
  }

  /**
   * Decodes to a new 8-bit BGR {@code Mat} of {@code ceil(width / r) x ceil(height / r)} pixels; the caller owns
   * its native memory (call {@code close()}, or decode inside a JavaCPP {@code PointerScope}).
   *
   * @param reduction 1, 2, 4 or 8, at most {@link #maxReduction()}
   * @throws IOException naming the origin when the JPEG bitstream cannot be decoded or has another size
   */
  public Mat decodeBgr(int reduction) throws IOException {
    if ((reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8) || reduction > maxReduction()) {
      throw new IllegalArgumentException("Reduction must be 1, 2, 4 or 8 and at most " + maxReduction() + ", got "
          + reduction);
    }
    if (jpeg == null) {
      return OpenCvImages.toBgr(rgb);
    }
    Mat encoded = new Mat(1, jpeg.length, CV_8UC1);
    encoded.data().put(jpeg, 0, jpeg.length);
    Mat bgr = imdecode(encoded, flags(reduction));
    int w = (width + reduction - 1) / reduction;
    int h = (height + reduction - 1) / reduction;
    if (bgr == null || bgr.empty()) {
      throw new IOException("Cannot decode the JPEG bitstream of " + origin + " (" + jpeg.length + " bytes)");
    }
    if (bgr.cols() != w || bgr.rows() != h || bgr.channels() != 3) {
      throw new IOException("JPEG bitstream of " + origin + " decoded to " + bgr.cols() + "x" + bgr.rows() + "x"
          + bgr.channels() + " at reduction " + reduction + ", expected " + w + "x" + h + "x3 for a " + width + "x"
          + height + " image");
    }
    return bgr;
  }

  private static int flags(int reduction) {
    int scale = switch (reduction) {
      case 1 -> IMREAD_COLOR;
      case 2 -> IMREAD_REDUCED_COLOR_2;
      case 4 -> IMREAD_REDUCED_COLOR_4;
      default -> IMREAD_REDUCED_COLOR_8;
    };
    return scale | IMREAD_IGNORE_ORIENTATION;
  }

  @Override
  public String toString() {
    return (jpeg == null ? "decoded " : "JPEG ") + width + "x" + height + " (" + origin + ")";
  }
}

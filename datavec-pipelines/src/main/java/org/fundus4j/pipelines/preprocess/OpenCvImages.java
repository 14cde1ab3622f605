package org.fundus4j.pipelines.preprocess;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC4;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGRA2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.WritableRaster;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Copies between Java {@link BufferedImage}s and OpenCV {@link Mat}s (BGR, 8-bit).
 *
 * <p>OpenCV (and DataVec's {@code NativeImageLoader}) keep colour images in BGR order; these methods do too,
 * and {@link ImageNetNormalize} turns BGR into the RGB tensor channels.
 */
public final class OpenCvImages {

  private OpenCvImages() {}

  /** Returns a new 8-bit 3-channel BGR {@code Mat} with the pixels of {@code img} (any type). */
  public static Mat toBgr(BufferedImage img) {
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
        && (img.getType() == BufferedImage.TYPE_INT_RGB || img.getType() == BufferedImage.TYPE_INT_ARGB)
        && img.getRaster().getParent() == null && img.getRaster().getDataBuffer() instanceof DataBufferInt db
        && db.getNumBanks() == 1 && db.getOffset() == 0 && db.getData().length == img.getWidth() * img.getHeight()) {
      // Fast path for what the dicom module returns: 0x00RRGGBB ints are B, G, R, 0 bytes in little-endian
      // memory, so one copy into a 4-channel Mat and OpenCV's BGRA -> BGR conversion unpack them.
      int[] px = db.getData();
      Mat bgra = new Mat(img.getHeight(), img.getWidth(), CV_8UC4);
      new IntPointer(bgra.data()).put(px, 0, px.length);
      Mat mat = new Mat();
      cvtColor(bgra, mat, COLOR_BGRA2BGR);
      return mat;
    }
    BufferedImage bgr = asType(img, BufferedImage.TYPE_3BYTE_BGR);
    Mat mat = new Mat(bgr.getHeight(), bgr.getWidth(), CV_8UC3);
    mat.data().put(bytes(bgr), 0, bgr.getWidth() * bgr.getHeight() * 3);
    return mat;
  }

  /** Returns a new 8-bit 1-channel {@code Mat} with the grey levels of {@code img} (any type). */
  public static Mat toGray(BufferedImage img) {
    BufferedImage gray = asType(img, BufferedImage.TYPE_BYTE_GRAY);
    Mat mat = new Mat(gray.getHeight(), gray.getWidth(), CV_8UC1);
    mat.data().put(bytes(gray), 0, gray.getWidth() * gray.getHeight());
    return mat;
  }

  /** Returns the pixels of an 8-bit {@code Mat} as bytes, row by row, channels interleaved. */
  public static byte[] bytes(Mat mat) {
    Mat m = mat.isContinuous() ? mat : mat.clone();
    byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(m.rows(), m.cols()), m.channels())];
    m.data().get(out);
    return out;
  }

  /** Returns an 8-bit BGR {@code Mat} as a {@code TYPE_3BYTE_BGR} image (for previews and tests). */
  public static BufferedImage toBufferedImage(Mat mat) {
    if (mat.channels() != 3 && mat.channels() != 1) {
      throw new IllegalArgumentException("Expected 1 or 3 channels, got " + mat.channels());
    }
    int type = mat.channels() == 3 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY;
    BufferedImage img = new BufferedImage(mat.cols(), mat.rows(), type);
    byte[] src = bytes(mat);
    System.arraycopy(src, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, src.length);
    return img;
  }

  private static BufferedImage asType(BufferedImage img, int type) {
    if (img.getType() == type && isPacked(img)) {
      return img;
    }
    BufferedImage out = new BufferedImage(img.getWidth(), img.getHeight(), type);
    Graphics2D g = out.createGraphics();
    try {
      g.drawImage(img, 0, 0, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /** True when the raster's bytes are exactly the image, without offset, padding or parent raster. */
  private static boolean isPacked(BufferedImage img) {
    WritableRaster r = img.getRaster();
    return r.getParent() == null && r.getDataBuffer() instanceof DataBufferByte db && db.getNumBanks() == 1
        && db.getOffset() == 0
        && db.getData().length == img.getWidth() * img.getHeight() * r.getNumBands();
  }

  private static byte[] bytes(BufferedImage packed) {
    return ((DataBufferByte) packed.getRaster().getDataBuffer()).getData();
  }
}

package org.fundus4j.pipelines.preprocess;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_NEAREST_EXACT;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/**
 * Resizes to {@code size x size} pixels: area averaging when shrinking, bilinear when enlarging.
 *
 * <p>The mask uses nearest-neighbour interpolation so it stays binary. Apply {@link PadToSquare} first if
 * the aspect ratio must be kept.
 */
public final class Resize implements Stage {

  private final int size;

  /** Resizes to {@code size x size}; {@code size} must be 1-8192 (the paper uses 256, 512 and 1024). */
  public Resize(int size) {
    if (size < 1 || size > 8192) {
      throw new IllegalArgumentException("Resize size must be 1-8192 pixels, got " + size);
    }
    this.size = size;
  }

  /** Returns the output side in pixels. */
  public int size() {
    return size;
  }

  @Override
  public Frame apply(Frame frame, Random rnd) {
    if (frame.width() == size && frame.height() == size) {
      return frame;
    }
    boolean shrinking = frame.width() > size || frame.height() > size;
    Mat image = new Mat();
    resize(frame.image(), image, new Size(size, size), 0, 0, shrinking ? INTER_AREA : INTER_LINEAR);
    Mat mask = null;
    if (frame.mask() != null) {
      mask = new Mat();
      resize(frame.mask(), mask, new Size(size, size), 0, 0, INTER_NEAREST_EXACT);
    }
    return new Frame(image, mask);
  }
}

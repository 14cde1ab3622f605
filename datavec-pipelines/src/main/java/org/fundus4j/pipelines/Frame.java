package org.fundus4j.pipelines;

import java.util.Objects;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * An image on its way through a pipeline, with the segmentation mask that must follow it.
 *
 * <p>{@code image} is an 8-bit 3-channel OpenCV {@link Mat} in OpenCV's BGR channel order; {@code mask}
 * is {@code null} or an 8-bit 1-channel {@code Mat} of the same height and width (0 = background,
 * 255 = foreground). Geometric stages transform both; photometric stages only the image.
 */
public record Frame(Mat image, Mat mask) {

  /** Checks that the image is 8-bit BGR and that the mask, if any, has the image's size. */
  public Frame {
    Objects.requireNonNull(image, "image");
    if (image.channels() != 3 || image.depth() != org.bytedeco.opencv.global.opencv_core.CV_8U) {
      throw new IllegalArgumentException("Frame image must be 8-bit with 3 channels, got " + image.channels()
          + " channels of depth " + image.depth());
    }
    if (mask != null && (mask.rows() != image.rows() || mask.cols() != image.cols() || mask.channels() != 1)) {
      throw new IllegalArgumentException("Mask must be one channel of the image's size " + image.cols() + "x"
          + image.rows() + ", got " + mask.cols() + "x" + mask.rows() + "x" + mask.channels());
    }
  }

  /** Returns a frame with the same mask and a new image. */
  public Frame withImage(Mat newImage) {
    return new Frame(newImage, mask);
  }

  /** Returns the width in pixels. */
  public int width() {
    return image.cols();
  }

  /** Returns the height in pixels. */
  public int height() {
    return image.rows();
  }
}

package org.fundus4j.pipelines.preprocess;

import static org.bytedeco.opencv.global.opencv_core.CV_32S;
import static org.bytedeco.opencv.global.opencv_core.REDUCE_SUM;
import static org.bytedeco.opencv.global.opencv_core.reduce;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_BINARY;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.threshold;

import java.util.Random;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/**
 * Finds the fundus disc and crops the black border around it.
 *
 * <p>A row (column) belongs to the disc when more than {@code minFraction} of its pixels are brighter than
 * {@code threshold} (grey level 0-255); the crop is the bounding box of those rows and columns. This
 * ignores isolated bright pixels (JPEG noise, burnt-in text of a few pixels) in the border. An image with
 * no such rows (all dark) is returned unchanged. The mask is cropped identically.
 */
public final class BorderCrop implements Stage {

  private final int threshold;
  private final double minFraction;

  /** Crops with grey threshold 15 and minimum fraction 0.01. */
  public BorderCrop() {
    this(15, 0.01);
  }

  /** Crops with the given grey-level threshold (0-254) and minimum fraction of bright pixels (0-1). */
  public BorderCrop(int threshold, double minFraction) {
    if (threshold < 0 || threshold > 254) {
      throw new IllegalArgumentException("Border threshold must be a grey level 0-254, got " + threshold);
    }
    if (!(minFraction >= 0 && minFraction < 1)) {
      throw new IllegalArgumentException("Minimum fraction must be in [0, 1), got " + minFraction);
    }
    this.threshold = threshold;
    this.minFraction = minFraction;
  }

  /** Returns the disc's bounding box in {@code bgr}, or the whole image when no disc is found. */
  public Rect discBounds(Mat bgr) {
    int w = bgr.cols();
    int h = bgr.rows();
    Mat gray = new Mat();
    cvtColor(bgr, gray, COLOR_BGR2GRAY);
    Mat bright = new Mat();
    threshold(gray, bright, threshold, 1, THRESH_BINARY);
    int[] rowCount = sums(bright, 1, h);
    int[] colCount = sums(bright, 0, w);
    int minInRow = Math.max(1, (int) Math.floor(minFraction * w));
    int minInCol = Math.max(1, (int) Math.floor(minFraction * h));
    int top = first(rowCount, minInRow);
    int left = first(colCount, minInCol);
    if (top < 0 || left < 0) {
      return new Rect(0, 0, w, h);
    }
    int bottom = last(rowCount, minInRow);
    int right = last(colCount, minInCol);
    return new Rect(left, top, right - left + 1, bottom - top + 1);
  }

  /** Per-row ({@code dim} 1) or per-column ({@code dim} 0) sums of a 0/1 image, computed by OpenCV. */
  private static int[] sums(Mat binary, int dim, int n) {
    Mat out = new Mat();
    reduce(binary, out, dim, REDUCE_SUM, CV_32S);
    int[] sums = new int[n];
    ((IntPointer) new IntPointer(out.data())).get(sums);
    return sums;
  }

  @Override
  public Frame apply(Frame frame, Random rnd) {
    return crop(frame, discBounds(frame.image()));
  }

  /** Returns {@code frame} cropped to {@code r} (as found by {@link #discBounds}); views, no copy. */
  public static Frame crop(Frame frame, Rect r) {
    if (r.x() == 0 && r.y() == 0 && r.width() == frame.width() && r.height() == frame.height()) {
      return frame;
    }
    // Views into the parent (no copy); the next stage copies them.
    Mat image = new Mat(frame.image(), r);
    Mat mask = frame.mask() == null ? null : new Mat(frame.mask(), r);
    return new Frame(image, mask);
  }

  private static int first(int[] counts, int min) {
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] >= min) {
        return i;
      }
    }
    return -1;
  }

  private static int last(int[] counts, int min) {
    for (int i = counts.length - 1; i >= 0; i--) {
      if (counts[i] >= min) {
        return i;
      }
    }
    return -1;
  }
}

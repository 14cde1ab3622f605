package org.fundus4j.pipelines.augment;

import static org.bytedeco.opencv.global.opencv_core.flip;

import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/** Mirrors the image (and mask) left-right with probability {@code p}. */
public final class HorizontalFlip implements Stage {

  private final double p;

  /** Flips with probability {@code p} in [0, 1]. */
  public HorizontalFlip(double p) {
    this.p = Probability.check("Horizontal flip", p);
  }

  @Override
  public Frame apply(Frame frame, Random rnd) {
    if (rnd.nextDouble() >= p) {
      return frame;
    }
    return new Frame(flipped(frame.image()), frame.mask() == null ? null : flipped(frame.mask()));
  }

  private static Mat flipped(Mat src) {
    Mat dst = new Mat();
    flip(src, dst, 1);
    return dst;
  }
}

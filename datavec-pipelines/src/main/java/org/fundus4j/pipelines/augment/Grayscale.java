package org.fundus4j.pipelines.augment;

import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/**
 * Replaces the colours by their luma (0.299 R + 0.587 G + 0.114 B) in all three channels, with probability
 * {@code p}, like torchvision's {@code RandomGrayscale}.
 */
public final class Grayscale implements Stage {

  private final double p;

  /** Converts with probability {@code p} in [0, 1]. */
  public Grayscale(double p) {
    this.p = Probability.check("Grayscale", p);
  }

  @Override
  public Frame apply(Frame frame, Random rnd) {
    if (rnd.nextDouble() >= p) {
      return frame;
    }
    Mat gray = new Mat();
    cvtColor(frame.image(), gray, COLOR_BGR2GRAY);
    Mat bgr = new Mat();
    cvtColor(gray, bgr, COLOR_GRAY2BGR);
    return frame.withImage(bgr);
  }
}

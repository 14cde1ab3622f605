package org.fundus4j.pipelines.augment;

import java.util.Random;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/**
 * Blurs with a Gaussian of random sigma, with probability {@code p}, like torchvision's
 * {@code RandomApply([GaussianBlur(k, sigma=(min, max))])}.
 *
 * <p>Sigma (pixels) is drawn uniformly from {@code [minSigma, maxSigma]}; the kernel size is OpenCV's
 * choice for that sigma ({@code opencv_imgproc.GaussianBlur} with kernel size 0). DataVec has no blur
 * transform, so this calls OpenCV directly.
 */
public final class GaussianBlur implements Stage {

  private final double p;
  private final double minSigma;
  private final double maxSigma;

  /** Blurs with probability {@code p}, sigma uniform in {@code [minSigma, maxSigma]} pixels. */
  public GaussianBlur(double p, double minSigma, double maxSigma) {
    this.p = Probability.check("Gaussian blur", p);
    if (!(minSigma > 0 && maxSigma >= minSigma)) {
      throw new IllegalArgumentException("Blur sigma range must satisfy 0 < min <= max, got [" + minSigma
          + ", " + maxSigma + "]");
    }
    this.minSigma = minSigma;
    this.maxSigma = maxSigma;
  }

  @Override
  public Frame apply(Frame frame, Random rnd) {
    if (rnd.nextDouble() >= p) {
      return frame;
    }
    double sigma = minSigma + (maxSigma - minSigma) * rnd.nextDouble();
    Mat dst = new Mat();
    opencv_imgproc.GaussianBlur(frame.image(), dst, new Size(0, 0), sigma);
    return frame.withImage(dst);
  }
}

package org.fundus4j.pipelines.augment;

import static org.bytedeco.opencv.global.opencv_core.merge;
import static org.bytedeco.opencv.global.opencv_core.split;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2Lab;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_Lab2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.createCLAHE;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Size;
import org.bytedeco.opencv.opencv_imgproc.CLAHE;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/**
 * Contrast-limited adaptive histogram equalisation of the lightness channel, with probability {@code p}.
 *
 * <p>Exactly OpenCV's recipe for colour images: BGR to CIE L*a*b* ({@code COLOR_BGR2Lab}), OpenCV's
 * {@code createCLAHE(clipLimit, tiles)} on L, back to BGR. The Python equivalent is
 * {@code cv2.createCLAHE(clipLimit, (t, t)).apply(cv2.cvtColor(img, cv2.COLOR_BGR2LAB)[..., 0])}.
 */
public final class Clahe implements Stage {

  private final double p;
  private final double clipLimit;
  private final int tiles;

  /** CLAHE with probability {@code p}, clip limit 2.0 and an 8x8 tile grid. */
  public Clahe(double p) {
    this(p, 2.0, 8);
  }

  /** CLAHE with probability {@code p}, the given clip limit (&gt; 0) and a {@code tiles x tiles} grid. */
  public Clahe(double p, double clipLimit, int tiles) {
    this.p = Probability.check("CLAHE", p);
    if (!(clipLimit > 0) || tiles < 1 || tiles > 64) {
      throw new IllegalArgumentException("CLAHE needs clip limit > 0 and 1-64 tiles, got " + clipLimit + " and "
          + tiles);
    }
    this.clipLimit = clipLimit;
    this.tiles = tiles;
  }

  /** Returns CLAHE applied to a one-channel 8-bit image (no probability, no colour conversion). */
  public Mat applyToGray(Mat gray) {
    Mat out = new Mat();
    CLAHE clahe = createCLAHE(clipLimit, new Size(tiles, tiles));
    clahe.apply(gray, out);
    return out;
  }

  /** Returns CLAHE applied to the L channel of an 8-bit BGR image (no probability). */
  public Mat applyToBgr(Mat bgr) {
    Mat lab = new Mat();
    cvtColor(bgr, lab, COLOR_BGR2Lab);
    MatVector channels = new MatVector();
    split(lab, channels);
    Mat l = applyToGray(channels.get(0));
    channels.put(0, l);
    Mat merged = new Mat();
    merge(channels, merged);
    Mat out = new Mat();
    cvtColor(merged, out, COLOR_Lab2BGR);
    return out;
  }

  @Override
  public Frame apply(Frame frame, Random rnd) {
    if (rnd.nextDouble() >= p) {
      return frame;
    }
    return frame.withImage(applyToBgr(frame.image()));
  }
}

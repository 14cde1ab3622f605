package org.fundus4j.pipelines.preprocess;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;

import java.util.Random;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.Stage;

/**
 * Pads the shorter side with black so the image is square and the content stays centred.
 *
 * <p>An odd difference puts the extra pixel at the bottom/right. The mask is padded with background.
 */
public final class PadToSquare implements Stage {

  @Override
  public Frame apply(Frame frame, Random rnd) {
    int w = frame.width();
    int h = frame.height();
    if (w == h) {
      return frame;
    }
    int side = Math.max(w, h);
    int top = (side - h) / 2;
    int bottom = side - h - top;
    int left = (side - w) / 2;
    int right = side - w - left;
    return new Frame(pad(frame.image(), top, bottom, left, right),
        frame.mask() == null ? null : pad(frame.mask(), top, bottom, left, right));
  }

  private static Mat pad(Mat src, int top, int bottom, int left, int right) {
    Mat dst = new Mat();
    copyMakeBorder(src, dst, top, bottom, left, right, BORDER_CONSTANT, new Scalar(0.0, 0.0, 0.0, 0.0));
    return dst;
  }
}

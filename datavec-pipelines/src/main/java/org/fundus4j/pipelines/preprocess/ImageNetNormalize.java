package org.fundus4j.pipelines.preprocess;

import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Converts an 8-bit BGR image into an RGB, channel-first float array normalised as torchvision does.
 *
 * <p>{@code out[c][y][x] = (v / 255 - mean[c]) / std[c]} with mean (0.485, 0.456, 0.406) and std
 * (0.229, 0.224, 0.225) for R, G, B: torchvision's {@code ToTensor()} then
 * {@code Normalize(IMAGENET_MEAN, IMAGENET_STD)}.
 */
public final class ImageNetNormalize {

  /** ImageNet channel means, RGB order. */
  public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  /** ImageNet channel standard deviations, RGB order. */
  public static final float[] STD = {0.229f, 0.224f, 0.225f};

  private ImageNetNormalize() {}

  /** Returns the image as {@code float[3 * H * W]} in RGB channel-first order ({@code C, H, W}). */
  public static float[] toChw(Mat bgr) {
    if (bgr.channels() != 3) {
      throw new IllegalArgumentException("Expected a 3-channel BGR image, got " + bgr.channels() + " channels");
    }
    byte[] px = OpenCvImages.bytes(bgr);
    int n = bgr.rows() * bgr.cols();
    float[] out = new float[3 * n];
    float[] scale = new float[3];
    float[] shift = new float[3];
    for (int c = 0; c < 3; c++) {
      scale[c] = 1f / (255f * STD[c]);
      shift[c] = MEAN[c] / STD[c];
    }
    for (int i = 0, j = 0; i < n; i++, j += 3) {
      out[i] = (px[j + 2] & 0xff) * scale[0] - shift[0];
      out[n + i] = (px[j + 1] & 0xff) * scale[1] - shift[1];
      out[2 * n + i] = (px[j] & 0xff) * scale[2] - shift[2];
    }
    return out;
  }

  /** Returns a one-channel mask as {@code float[H * W]} of 1 where the pixel is above 127, else 0. */
  public static float[] maskToFloats(Mat mask) {
    byte[] px = OpenCvImages.bytes(mask);
    float[] out = new float[px.length];
    for (int i = 0; i < px.length; i++) {
      out[i] = (px[i] & 0xff) > 127 ? 1f : 0f;
    }
    return out;
  }
}

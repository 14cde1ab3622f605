package org.fundus4j.pipelines.preprocess;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.split;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Converts an 8-bit BGR image into an RGB, channel-first float tensor or array normalised as torchvision does.
 *
 * <p>{@code out[c][y][x] = (v / 255 - mean[c]) / std[c]} with mean (0.485, 0.456, 0.406) and std
 * (0.229, 0.224, 0.225) for R, G, B: torchvision's {@code ToTensor()} then
 * {@code Normalize(IMAGENET_MEAN, IMAGENET_STD)}.
 */
public final class ImageNetNormalize {

  /** ImageNet channel means, RGB order ({@link Normalization#IMAGENET} as floats). */
  public static final float[] MEAN = floats(Normalization.IMAGENET.mean());
  /** ImageNet channel standard deviations, RGB order ({@link Normalization#IMAGENET} as floats). */
  public static final float[] STD = floats(Normalization.IMAGENET.std());

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

  /**
   * Writes the image into {@code out}, a c-ordered float tensor {@code [1, 3, H, W]}, RGB channel-first,
   * normalised as {@link #toChw(Mat)} does.
   *
   * <p>One pass per channel inside OpenCV: the BGR image is split into planes and each plane is scaled and
   * shifted ({@code convertTo}) straight into the tensor's memory, with no Java arrays in between. Values
   * equal those of {@link #toChw(Mat)} to within float rounding. Allocate {@code out} outside any JavaCPP
   * {@code PointerScope} (ND4J attaches helper pointers to an open scope).
   *
   * <pre>{@code
   * INDArray x = Nd4j.createUninitialized(DataType.FLOAT, 1, 3, 512, 512);
   * ImageNetNormalize.writeChw(bgr512, x);
   * }</pre>
   */
  public static void writeChw(Mat bgr, INDArray out) {
    writeChw(bgr, out, 0);
  }

  /**
   * Writes the image into row {@code row} of {@code batch}, a c-ordered float tensor {@code [N, 3, H, W]} that
   * is not a view, as {@link #writeChw(Mat, INDArray)} does for {@code [1, 3, H, W]}: the rows of a batch are
   * filled in place, without a tensor per image and a concatenation.
   */
  public static void writeChw(Mat bgr, INDArray batch, int row) {
    writeChw(bgr, batch, row, Normalization.IMAGENET);
  }

  /**
   * As {@link #writeChw(Mat, INDArray, int)} with the model's own mean and standard deviation instead of
   * ImageNet's ({@code out[c] = (v / 255 - mean[c]) / std[c]}).
   */
  public static void writeChw(Mat bgr, INDArray batch, int row, Normalization normalization) {
    checkBgr(bgr);
    int h = bgr.rows();
    int w = bgr.cols();
    long[] shape = batch.shape();
    if (batch.dataType() != DataType.FLOAT || shape.length != 4 || shape[1] != 3 || shape[2] != h || shape[3] != w
        || batch.ordering() != 'c' || batch.isView() || row < 0 || row >= shape[0]) {
      throw new IllegalArgumentException("Expected a c-ordered FLOAT tensor [N, 3, " + h + ", " + w + "] that is not a"
          + " view and a row in [0, N), got " + batch.dataType() + " " + java.util.Arrays.toString(shape) + " order "
          + batch.ordering() + (batch.isView() ? " (a view)" : "") + ", row " + row);
    }
    long plane = (long) h * w;
    try (PointerScope scope = new PointerScope()) {
      BytePointer base = new BytePointer(batch.data().addressPointer());
      MatVector bgrPlanes = new MatVector();
      split(bgr, bgrPlanes);
      for (int c = 0; c < 3; c++) {
        BytePointer target = new BytePointer(base).position((3L * row + c) * plane * Float.BYTES);
        Mat dst = new Mat(h, w, CV_32FC1, target);
        float mean = normalization.meanOf(c);
        float std = normalization.stdOf(c);
        bgrPlanes.get(2 - c).convertTo(dst, CV_32F, 1.0 / (255.0 * std), -mean / std);
        if (dst.data().address() != target.address() + target.position()) {
          throw new IllegalStateException("OpenCV reallocated the output plane of channel " + c);
        }
      }
    }
  }

  private static float[] floats(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return f;
  }

  private static void checkBgr(Mat bgr) {
    if (bgr.channels() != 3 || bgr.depth() != CV_8U) {
      throw new IllegalArgumentException("Expected an 8-bit 3-channel BGR image, got " + bgr.channels()
          + " channels of depth " + bgr.depth());
    }
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

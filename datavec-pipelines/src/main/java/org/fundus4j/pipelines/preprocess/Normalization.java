package org.fundus4j.pipelines.preprocess;

import java.util.Arrays;

/**
 * Per-channel RGB mean and standard deviation a model was trained with: {@code out = (v / 255 - mean) / std}.
 *
 * <p>{@link #IMAGENET} is torchvision's ImageNet normalisation, which the paper's models use; it is the one
 * definition of those numbers in fundus4j (model cards and pipelines refer to it).
 *
 * <pre>{@code
 * Normalization n = new Normalization(new double[] {0.5, 0.5, 0.5}, new double[] {0.25, 0.25, 0.25});
 * FundusPipeline eval = Pipelines.evaluation(512, n);
 * }</pre>
 *
 * @param mean R, G, B means of pixel values scaled to [0, 1]
 * @param std R, G, B standard deviations, each positive
 */
public record Normalization(double[] mean, double[] std) {

  /** torchvision's ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225), RGB. */
  public static final Normalization IMAGENET =
      new Normalization(new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225});

  /** Checks three finite means and three positive standard deviations, and copies them. */
  public Normalization {
    if (mean == null || std == null || mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("Normalization needs 3 means and 3 standard deviations (R, G, B), got "
          + Arrays.toString(mean) + " and " + Arrays.toString(std));
    }
    for (int c = 0; c < 3; c++) {
      if (!Double.isFinite(mean[c]) || !(std[c] > 0) || !Double.isFinite(std[c])) {
        throw new IllegalArgumentException("Normalization needs finite means and positive standard deviations, got "
            + Arrays.toString(mean) + " and " + Arrays.toString(std));
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  @Override
  public double[] mean() {
    return mean.clone();
  }

  @Override
  public double[] std() {
    return std.clone();
  }

  /**
   * The RGB picture a model sees: undoes this normalisation of row {@code row} of an input {@code [N, 3, H, W]}
   * ({@code v = round(clamp(x std + mean, 0, 1) 255)}), for overlays a person looks at.
   */
  public java.awt.image.BufferedImage toImage(org.nd4j.linalg.api.ndarray.INDArray input, int row) {
    if (input.rank() != 4 || input.size(1) != 3) {
      throw new IllegalArgumentException("Expected an input [N, 3, H, W], got " + Arrays.toString(input.shape()));
    }
    int h = (int) input.size(2);
    int w = (int) input.size(3);
    // one bulk copy of the row instead of a getDouble call per value
    float[] v = input.get(org.nd4j.linalg.indexing.NDArrayIndex.point(row)).dup('c').data().asFloat();
    int[] pixels = new int[h * w];
    for (int i = 0; i < pixels.length; i++) {
      int rgb = 0;
      for (int c = 0; c < 3; c++) {
        double x = v[c * pixels.length + i] * std[c] + mean[c];
        rgb = (rgb << 8) | (int) Math.round(Math.max(0, Math.min(1, x)) * 255);
      }
      pixels[i] = rgb;
    }
    java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(w, h,
        java.awt.image.BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, w, h, pixels, 0, w);
    return image;
  }

  /** Channel {@code c}'s mean as a float (R = 0). */
  float meanOf(int c) {
    return (float) mean[c];
  }

  /** Channel {@code c}'s standard deviation as a float (R = 0). */
  float stdOf(int c) {
    return (float) std[c];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
  }
}

package org.fundus4j.evaluation.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Dice, IoU, sensitivity and specificity of binary segmentation masks, per image and aggregated.
 *
 * <p>A prediction pixel is foreground when its value is {@code >= threshold} (probabilities) and a
 * mask pixel when it is {@code >= 0.5}. Per image, with TP, FP, FN, TN pixel counts:
 * Dice = 2TP/(2TP+FP+FN), IoU = TP/(TP+FP+FN) (both 1 when prediction and mask are empty, as
 * MONAI's {@code ignore_empty=False}), sensitivity = TP/(TP+FN) (NaN without foreground in the
 * mask), specificity = TN/(TN+FP) (NaN without background).
 *
 * <pre>{@code
 * SegmentationMetrics.Result r = SegmentationMetrics.compute(probs, masks, 0.5); // [N, 1, H, W]
 * double meanDice = r.mean().dice();
 * }</pre>
 */
public final class SegmentationMetrics {
  private SegmentationMetrics() {}

  /**
   * Scores of one image (or of all pixels pooled).
   *
   * @param dice Dice coefficient in [0, 1]
   * @param iou intersection over union in [0, 1]
   * @param sensitivity true-positive rate, NaN when the mask has no foreground
   * @param specificity true-negative rate, NaN when the mask has no background
   * @param truePositives foreground pixels in both
   * @param falsePositives foreground only in the prediction
   * @param falseNegatives foreground only in the mask
   * @param trueNegatives background in both
   */
  public record Scores(double dice, double iou, double sensitivity, double specificity,
      long truePositives, long falsePositives, long falseNegatives, long trueNegatives) {
    /** Computes the scores from pixel counts. */
    public static Scores of(long tp, long fp, long fn, long tn) {
      if (tp < 0 || fp < 0 || fn < 0 || tn < 0) {
        throw new IllegalArgumentException("pixel counts must be >= 0, got TP=" + tp + " FP=" + fp
            + " FN=" + fn + " TN=" + tn);
      }
      boolean empty = tp + fp + fn == 0;
      double dice = empty ? 1.0 : 2.0 * tp / (2.0 * tp + fp + fn);
      double iou = empty ? 1.0 : (double) tp / (tp + fp + fn);
      double sens = tp + fn == 0 ? Double.NaN : (double) tp / (tp + fn);
      double spec = tn + fp == 0 ? Double.NaN : (double) tn / (tn + fp);
      return new Scores(dice, iou, sens, spec, tp, fp, fn, tn);
    }
  }

  /**
   * Per-image scores with two aggregates.
   *
   * @param perImage one entry per image, in input order
   * @param mean per-image scores averaged (NaN entries skipped); its counts are the pooled counts
   * @param pooled scores of all pixels of all images counted together
   */
  public record Result(List<Scores> perImage, Scores mean, Scores pooled) {
    /** Copies the list. */
    public Result {
      perImage = List.copyOf(perImage);
    }
  }

  /**
   * Scores predictions against masks.
   *
   * @param prediction {@code [N, 1, H, W]}, {@code [N, H, W]} or {@code [H, W]} probabilities or 0/1
   * @param mask the ground truth, same shape, 0/1
   * @param threshold prediction values {@code >= threshold} are foreground
   */
  public static Result compute(INDArray prediction, INDArray mask, double threshold) {
    if (!Arrays.equals(prediction.shape(), mask.shape())) {
      throw new IllegalArgumentException("prediction " + Arrays.toString(prediction.shape())
          + " and mask " + Arrays.toString(mask.shape()) + " differ in shape");
    }
    int rank = prediction.rank();
    if (rank < 2 || rank > 4 || (rank == 4 && prediction.size(1) != 1)) {
      throw new IllegalArgumentException("expected [N, 1, H, W], [N, H, W] or [H, W], got "
          + Arrays.toString(prediction.shape()));
    }
    long images = rank == 2 ? 1 : prediction.size(0);
    long perImage = prediction.length() / Math.max(images, 1);
    double[] p = prediction.reshape('c', new long[] {prediction.length()}).toDoubleVector();
    double[] m = mask.reshape('c', new long[] {mask.length()}).toDoubleVector();
    List<Scores> scores = new ArrayList<>();
    long[] total = new long[4];
    for (int img = 0; img < images; img++) {
      long tp = 0;
      long fp = 0;
      long fn = 0;
      long tn = 0;
      for (long k = img * perImage; k < (img + 1) * perImage; k++) {
        boolean pred = p[(int) k] >= threshold;
        boolean truth = m[(int) k] >= 0.5;
        if (pred && truth) {
          tp++;
        } else if (pred) {
          fp++;
        } else if (truth) {
          fn++;
        } else {
          tn++;
        }
      }
      scores.add(Scores.of(tp, fp, fn, tn));
      total[0] += tp;
      total[1] += fp;
      total[2] += fn;
      total[3] += tn;
    }
    Scores pooled = Scores.of(total[0], total[1], total[2], total[3]);
    Scores mean = new Scores(meanOf(scores, Scores::dice), meanOf(scores, Scores::iou),
        meanOf(scores, Scores::sensitivity), meanOf(scores, Scores::specificity),
        total[0], total[1], total[2], total[3]);
    return new Result(scores, mean, pooled);
  }

  private static double meanOf(List<Scores> scores, java.util.function.ToDoubleFunction<Scores> f) {
    double s = 0;
    int k = 0;
    for (Scores sc : scores) {
      double v = f.applyAsDouble(sc);
      if (!Double.isNaN(v)) {
        s += v;
        k++;
      }
    }
    return k == 0 ? Double.NaN : s / k;
  }
}

package org.fundus4j.samples.experiment;

import java.util.List;

/**
 * What one grid cell measured, written as the cell's {@code metrics.json}; its presence marks the cell done.
 *
 * @param cell the cell's id
 * @param configuration the configuration the cell is one fold of
 * @param start the start's label, e.g. {@code "ImageNet + Fundus"}
 * @param resolution input side in pixels
 * @param mode {@code LP} or {@code FT}
 * @param fraction share of training data used
 * @param fold held-out fold
 * @param trainImages training images used
 * @param auc held-out ROC AUC (exact, ties 1/2)
 * @param images held-out image files, in the order of {@code labels} and {@code scores}
 * @param labels true labels (1 abnormal)
 * @param scores predicted probability of abnormal
 * @param trainLosses mean training loss per epoch
 * @param seconds wall-clock time of the cell
 */
public record CellResult(String cell, String configuration, String start, int resolution, String mode,
    double fraction, int fold, int trainImages, double auc, List<String> images, int[] labels, double[] scores,
    List<Double> trainLosses, double seconds) {

  public CellResult {
    if (images.size() != labels.length || labels.length != scores.length) {
      throw new IllegalArgumentException("Cell " + cell + ": images, labels and scores differ in length");
    }
    images = List.copyOf(images);
    trainLosses = List.copyOf(trainLosses);
  }
}

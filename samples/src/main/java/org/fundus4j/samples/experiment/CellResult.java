package org.fundus4j.samples.experiment;

import java.util.List;
import java.util.Map;
import org.fundus4j.transfer.TransferRun.HeldOut;

/**
 * What one grid cell measured, written as the cell's {@code metrics.json}; its presence marks the cell done.
 *
 * @param cell the cell's id
 * @param task {@code binary}, {@code multilabel} or {@code segmentation}
 * @param configuration the configuration the cell is one fold of, within its task
 * @param start the start's label, e.g. {@code "ImageNet + Fundus"}
 * @param resolution input side in pixels
 * @param mode {@code LP} or {@code FT}
 * @param fraction share of training data used
 * @param fold held-out fold
 * @param trainImages training images used (training and validation part of the cell's run)
 * @param labelNames output labels: {@code [abnormal]}, the multi-label names, or {@code [Dice]}
 * @param score the task's held-out score: AUC (binary), macro AUC (multi-label), mean Dice (segmentation)
 * @param perLabel per label, the held-out AUC (multi-label; the AUC for binary, the Dice for segmentation)
 * @param heldOut the held-out images with their labels and scores (see {@link HeldOut})
 * @param external per external set name, the cell's model on it
 * @param trainLosses mean training loss per epoch
 * @param validationScores validation score per epoch (what early stopping watched)
 * @param bestEpoch the 1-based epoch whose model was kept
 * @param seconds wall-clock time of the cell
 */
public record CellResult(String cell, String task, String configuration, String start, int resolution, String mode,
    double fraction, int fold, int trainImages, List<String> labelNames, double score, double[] perLabel,
    HeldOut heldOut, Map<String, HeldOut> external, List<Double> trainLosses, List<Double> validationScores,
    int bestEpoch, double seconds) {

  public CellResult {
    labelNames = List.copyOf(labelNames);
    external = external == null ? Map.of() : Map.copyOf(external);
    trainLosses = List.copyOf(trainLosses);
    validationScores = validationScores == null ? List.of() : List.copyOf(validationScores);
  }
}

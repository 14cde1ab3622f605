package org.fundus4j.transfer;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * A model's scores for the positive class next to the true labels, ready for ROC analysis.
 *
 * @param scores probability of class {@code positiveClass} per image
 * @param labels 1 when the image's true class is {@code positiveClass}, else 0
 */
public record Predictions(double[] scores, int[] labels) {

  public Predictions {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(
          "scores and labels differ in length: " + scores.length + " vs " + labels.length);
    }
    scores = scores.clone();
    labels = labels.clone();
  }

  /** Runs {@code model} over {@code data} (one-hot labels [N, C]) and keeps column {@code positiveClass}. */
  public static Predictions of(ComputationGraph model, DataSetIterator data, int positiveClass) {
    List<double[]> scores = new ArrayList<>();
    List<int[]> labels = new ArrayList<>();
    data.reset();
    while (data.hasNext()) {
      DataSet batch = data.next();
      INDArray out = model.outputSingle(false, batch.getFeatures());
      INDArray truth = batch.getLabels();
      double[] s = new double[(int) out.size(0)];
      int[] l = new int[s.length];
      for (int i = 0; i < s.length; i++) {
        s[i] = out.getDouble(i, positiveClass);
        l[i] = truth.getDouble(i, positiveClass) > 0.5 ? 1 : 0;
      }
      scores.add(s);
      labels.add(l);
    }
    return new Predictions(concat(scores), concatInts(labels));
  }

  private static double[] concat(List<double[]> parts) {
    return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
  }

  private static int[] concatInts(List<int[]> parts) {
    return parts.stream().flatMapToInt(java.util.Arrays::stream).toArray();
  }

  @Override
  public double[] scores() {
    return scores.clone();
  }

  @Override
  public int[] labels() {
    return labels.clone();
  }
}

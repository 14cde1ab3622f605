package org.fundus4j.transfer;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.IUpdater;
import org.fundus4j.networks.LayerHelpers;

/**
 * Full fine-tuning (FT): every layer trains, as in the paper's FT rows.
 *
 * <pre>{@code
 * ComputationGraph model = FineTune.prepare(pretrained, new Adam(1e-5), 1e-5, 42);
 * FineTune.train(model, trainIterator, 5, EpochListener.none());
 * }</pre>
 */
public final class FineTune {

  private FineTune() {}

  /**
   * Returns a copy of {@code pretrained} with every layer trainable and the given updater and weight decay
   * (the paper: Adam, lr 1e-5, beta1 0.9, weight decay 1e-5). The decay is PyTorch's {@code Adam(weight_decay)}:
   * an L2 term added to the gradient (DL4J's {@code l2}), not DL4J's decoupled AdamW-style {@code weightDecay}.
   */
  public static ComputationGraph prepare(ComputationGraph pretrained, IUpdater updater, double weightDecay,
      long seed) {
    FineTuneConfiguration.Builder fineTune = new FineTuneConfiguration.Builder().updater(updater).seed(seed);
    if (weightDecay > 0) {
      fineTune.l2(weightDecay);
    }
    ComputationGraph model = new TransferLearning.GraphBuilder(pretrained).fineTuneConfiguration(fineTune.build())
        .build();
    LayerHelpers.installIfOneDnn(model);
    return model;
  }

  /**
   * Trains every layer for {@code epochs} passes over {@code train}.
   *
   * @return the mean training loss of each epoch
   */
  public static List<Double> train(ComputationGraph model, DataSetIterator train, int epochs,
      EpochListener listener) {
    List<Double> losses = new ArrayList<>();
    for (int epoch = 0; epoch < epochs; epoch++) {
      train.reset();
      double mean = trainEpoch(model, train, epoch, listener);
      losses.add(mean);
      listener.epochDone(epoch, mean);
    }
    return losses;
  }


  /** Fits one pass over {@code train}, reporting each batch; returns the mean loss. */
  static double trainEpoch(ComputationGraph model, DataSetIterator train, int epoch, EpochListener listener) {
    return trainEpoch(model, train, epoch, listener, (m, batch) -> {
      m.fit(batch);
      return m.score();
    });
  }

  /** One optimiser step on one batch, returning its loss ({@link GradientAccumulation#step} or a plain fit). */
  @FunctionalInterface
  interface BatchStep {
    double fit(ComputationGraph model, DataSet batch);
  }

  /** Fits one pass over {@code train}, each batch by {@code step}, reporting each batch; returns the mean loss. */
  static double trainEpoch(ComputationGraph model, DataSetIterator train, int epoch, EpochListener listener,
      BatchStep step) {
    double sum = 0;
    int batches = 0;
    while (train.hasNext()) {
      double loss = step.fit(model, train.next());
      sum += loss;
      batches++;
      listener.batchDone(epoch, batches, loss);
    }
    if (batches == 0) {
      throw new IllegalArgumentException("Epoch " + epoch + " got no training images");
    }
    return sum / batches;
  }
}

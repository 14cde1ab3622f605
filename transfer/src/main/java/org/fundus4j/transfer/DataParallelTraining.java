package org.fundus4j.transfer;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Data-parallel training on several devices of one machine with DL4J's {@link ParallelWrapper}: one model
 * replica per worker, parameters averaged every {@code averagingFrequency} batches.
 *
 * <p>With the {@code cuda} Maven profile each worker takes one GPU (the paper trains data-parallel on
 * several GPUs); on the CPU backend the same code runs with CPU workers, which is what the tests use.
 * Parameter averaging is used on purpose: {@code SHARED_GRADIENTS} deadlocked on DL4J 1.0.0-M2.1 in every
 * CPU run we tried (see {@code docs/notes}).
 *
 * @param workers model replicas, usually the number of GPUs
 * @param prefetch batches prefetched per worker
 * @param averagingFrequency batches between parameter averaging
 */
public record DataParallelTraining(int workers, int prefetch, int averagingFrequency) {

  public DataParallelTraining {
    if (workers < 1 || prefetch < 1 || averagingFrequency < 1) {
      throw new IllegalArgumentException("workers, prefetch and averagingFrequency must be >= 1, got "
          + workers + ", " + prefetch + ", " + averagingFrequency);
    }
  }

  /**
   * One epoch per call, for {@link EarlyStoppingTrainer}: the replicas are made from the model at the start of
   * the epoch and averaged back into it; the loss reported is the averaged model's score after the epoch.
   */
  public EarlyStoppingTrainer.Fitter fitter() {
    return (model, data, epoch, listener) -> {
      fit(model, data, 1);
      double loss = model.score();
      listener.batchDone(epoch, 1, loss);
      return loss;
    };
  }

  /** Trains {@code model} in place for {@code epochs} passes over {@code train}. */
  public void fit(ComputationGraph model, DataSetIterator train, int epochs) {
    try (ParallelWrapper wrapper = new ParallelWrapper.Builder<>(model)
        .workers(workers)
        .prefetchBuffer(prefetch)
        .averagingFrequency(averagingFrequency)
        .averageUpdaters(true)
        .reportScoreAfterAveraging(true)
        .trainingMode(ParallelWrapper.TrainingMode.AVERAGING)
        .build()) {
      for (int epoch = 0; epoch < epochs; epoch++) {
        train.reset();
        wrapper.fit(train);
        if (wrapper.getException() != null) {
          throw new IllegalStateException("Data-parallel training failed in epoch " + epoch,
              wrapper.getException());
        }
      }
    } catch (IllegalStateException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Could not shut down ParallelWrapper workers", e);
    }
  }
}

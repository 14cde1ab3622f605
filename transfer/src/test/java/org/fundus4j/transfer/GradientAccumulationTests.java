package org.fundus4j.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * {@link GradientAccumulation}: micro-batches give the step of the whole batch.
 *
 * <p>Tolerance: the accumulated gradient adds the same per-image float32 terms in another order (partial sums of
 * two or three images, then their sum, instead of one sum of eight), so parameters may differ by the float32
 * rounding of that sum carried through one step: a few units in the last place. Measured (2026-12-02): 3.0e-8
 * after the SGD step, 3.0e-8 after three Adam steps, 1.2e-8 on BatchNorm's running mean, on parameters up to 0.87
 * (one float32 ulp at 0.87 is 6e-8). The tests allow 1e-6 (16 ulp at 1.0). The SGD step with L2 catches a wrong
 * loss normalisation (dividing by the micro-batch instead of the batch scales the gradient part of a step that
 * moves parameters by 0.13 four-fold); the Adam test catches one Adam step per micro-batch (the four separate
 * steps in the first test end 0.25 away).
 */
class GradientAccumulationTests {

  private static final double TOLERANCE = 1e-6;

  /** Eight 32 px images, four of each class. */
  private static DataSet batchOf8() {
    return TinyData.brightSquares(8, 32, 8, 11).next();
  }

  private static ComputationGraph net(IUpdater updater, double l2) {
    return FineTune.prepare(SmallCnn.withoutBatchNorm(7, 32, 2), updater, l2, 7);
  }

  private static double maxAbsDifference(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }

  @Test
  void fourMicroBatchesOfTwoGiveTheSgdStepOfTheBatchOfEight() {
    // SGD with L2: the step is lr * (mean gradient + l2 * w), so any error in the loss normalisation shows
    ComputationGraph whole = net(new Sgd(0.5), 1e-2);
    ComputationGraph accumulated = net(new Sgd(0.5), 1e-2);
    ComputationGraph separate = net(new Sgd(0.5), 1e-2);
    assertEquals(whole.params(), accumulated.params(), "same start");
    INDArray start = whole.params().dup();
    DataSet batch = batchOf8();

    whole.fit(batch);
    double score = GradientAccumulation.step(accumulated, batch, 2);
    for (int i = 0; i < 8; i += 2) {
      separate.fit(new DataSet(batch.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 2)),
          batch.getLabels().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 2))));
    }

    double moved = maxAbsDifference(whole.params(), start);
    assertTrue(moved > 1e-3, "the step moves the parameters: " + moved);
    assertTrue(maxAbsDifference(whole.params(), accumulated.params()) < TOLERANCE,
        "accumulated vs whole batch: " + maxAbsDifference(whole.params(), accumulated.params()));
    assertEquals(whole.score(), score, 1e-6, "the batch's loss (with the L2 term)");
    assertTrue(maxAbsDifference(whole.params(), separate.params()) > 1e-3,
        "four separate steps differ, so the comparison can fail");
    assertEquals(1, accumulated.getIterationCount(), "one optimiser step");
  }

  @Test
  void accumulatedAdamStepsWithThePapersWeightDecayFollowTheWholeBatch() {
    ComputationGraph whole = net(new Adam(1e-2), 1e-5);
    ComputationGraph accumulated = net(new Adam(1e-2), 1e-5);
    DataSet batch = batchOf8();
    for (int step = 0; step < 3; step++) {
      whole.fit(batch);
      GradientAccumulation.step(accumulated, batch, 3); // micro-batches of 3, 3 and 2
    }
    assertTrue(maxAbsDifference(whole.params(), accumulated.params()) < TOLERANCE,
        "after 3 Adam steps: " + maxAbsDifference(whole.params(), accumulated.params()));
    assertEquals(whole.getUpdater().getStateViewArray().amaxNumber().doubleValue(),
        accumulated.getUpdater().getStateViewArray().amaxNumber().doubleValue(), 1e-6, "Adam's moments");
    assertEquals(3, accumulated.getIterationCount(), "Adam's bias correction counts 3 steps");
  }

  @Test
  void batchNormsRunningMeanMovesAsForTheWholeBatch() {
    // the running mean moves by (1 - decay) (batch mean - running mean); the mean of the micro-batches' moves is
    // the whole batch's move when they have equal sizes. Gamma, beta and the weights see micro-batch statistics.
    ComputationGraph whole = SmallCnn.build(5, 32, 2);
    ComputationGraph accumulated = SmallCnn.build(5, 32, 2);
    DataSet batch = batchOf8();
    INDArray before = whole.getParam("bn_mean").dup();
    whole.fit(batch);
    GradientAccumulation.step(accumulated, batch, 4);
    INDArray wholeMean = whole.getParam("bn_mean");
    assertTrue(maxAbsDifference(wholeMean, before) > 1e-3, "the running mean moves");
    assertTrue(maxAbsDifference(wholeMean, accumulated.getParam("bn_mean")) < TOLERANCE,
        "running mean: " + maxAbsDifference(wholeMean, accumulated.getParam("bn_mean")));
    assertTrue(GradientAccumulation.undividedRanges(accumulated).size() >= 2, "BatchNorm's mean and variance");
  }

  @Test
  void aBatchNoLargerThanTheMicroBatchIsAPlainFit() {
    ComputationGraph plain = net(new Adam(1e-2), 0);
    ComputationGraph accumulated = net(new Adam(1e-2), 0);
    DataSet batch = batchOf8();
    plain.fit(batch);
    GradientAccumulation.step(accumulated, batch, 8);
    assertEquals(plain.params(), accumulated.params());
    assertEquals(4, new GradientAccumulation(8).passes(32));
    assertEquals(3, new GradientAccumulation(11).passes(32));
  }
}

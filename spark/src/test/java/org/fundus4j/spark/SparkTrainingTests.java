package org.fundus4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.transfer.SmallCnn;
import org.junit.jupiter.api.Test;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class SparkTrainingTests {

  private static final int SIZE = 32;

  @Test
  void fitInLocalModeWithTwoWorkersLowersTheLossAndLearnsTheSquares() {
    assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
      List<DataSet> train = BrightSquares.examples(96, SIZE, 1);
      DataSet held = DataSet.merge(BrightSquares.examples(64, SIZE, 2));
      ComputationGraph model = SmallCnn.build(42, SIZE);
      INDArray initialParams = model.params().dup();
      double lossBefore = model.score(held);
      double accuracyBefore = accuracy(model, held);
      SparkTraining training = new SparkTraining(8, 2, 2, 1);

      JavaSparkContext sc = LocalSpark.context();
      JavaRDD<DataSet> rdd = sc.parallelize(train, 2);
      double sparkLossBefore = training.loss(sc, model, rdd);
      ComputationGraph trained = training.fit(sc, model, rdd, 6);
      double sparkLossAfter = training.loss(sc, trained, rdd);

      assertSame(model, trained, "fit trains the given graph in place");
      double lossAfter = trained.score(held);
      double accuracyAfter = accuracy(trained, held);
      System.out.printf("Spark local[2]: held-out loss %.4f -> %.4f, accuracy %.3f -> %.3f;"
          + " training loss on executors %.4f -> %.4f%n", lossBefore, lossAfter, accuracyBefore, accuracyAfter,
          sparkLossBefore, sparkLossAfter);
      assertNotEquals(initialParams, trained.params());
      assertTrue(sparkLossAfter < 0.7 * sparkLossBefore,
          "training loss on the executors should fall by 30 %: " + sparkLossBefore + " -> " + sparkLossAfter);
      assertTrue(lossAfter < 0.7 * lossBefore,
          "held-out loss should fall by 30 %: " + lossBefore + " -> " + lossAfter);
      assertTrue(accuracyAfter >= 0.9, "held-out accuracy after training: " + accuracyAfter);
      rdd.unpersist();
    });
  }

  @Test
  void lossOnTheExecutorsEqualsTheDriversScore() {
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
      List<DataSet> data = BrightSquares.examples(16, SIZE, 3);
      ComputationGraph model = SmallCnn.build(7, SIZE);
      double driver = model.score(DataSet.merge(data));
      JavaSparkContext sc = LocalSpark.context();
      double executors = new SparkTraining(4, 1, 2, 0).loss(sc, model, sc.parallelize(data, 2));
      assertEquals(driver, executors, 1e-5);
    });
  }

  @Test
  void settingsMustBePositive() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SparkTraining(0, 1, 2, 1));
    assertEquals("batchSizePerWorker, averagingFrequency and workers must be >= 1, got 0, 1, 2", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new SparkTraining(8, 1, 2, -1));
    assertEquals("prefetch must be >= 0 minibatches, got -1", e.getMessage());
    assertEquals(2 * 8 * 4, new SparkTraining(8, 4, 2, 0).examplesPerAveraging());
  }

  private static double accuracy(ComputationGraph model, DataSet data) {
    Evaluation eval = new Evaluation(2);
    eval.eval(data.getLabels(), model.outputSingle(data.getFeatures()));
    return eval.accuracy();
  }
}

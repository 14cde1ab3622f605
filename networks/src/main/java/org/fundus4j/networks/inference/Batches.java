package org.fundus4j.networks.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Splits a batch along dimension 0, runs each part and concatenates the results. */
final class Batches {
  private Batches() {}

  static INDArray run(INDArray input, int batchSize, UnaryOperator<INDArray> forward) {
    long n = input.size(0);
    if (n <= batchSize) {
      return forward.apply(input);
    }
    List<INDArray> parts = new ArrayList<>();
    for (long start = 0; start < n; start += batchSize) {
      long end = Math.min(n, start + batchSize);
      parts.add(forward.apply(input.get(NDArrayIndex.interval(start, end)).dup('c')));
    }
    return Nd4j.concat(0, parts.toArray(INDArray[]::new));
  }

  static int checkBatchSize(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("Batch size must be >= 1, got " + batchSize);
    }
    return batchSize;
  }
}

package org.fundus4j.transfer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Small learnable image sets for training tests: class 1 images carry a bright square. */
final class TinyData {

  private TinyData() {}

  static ListDataSetIterator<DataSet> brightSquares(int count, int size, int batch, long seed) {
    Random random = new Random(seed);
    List<DataSet> examples = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int label = i % 2;
      INDArray image = uniform(seed + i, 1, 3, size, size).subi(0.5);
      if (label == 1) {
        int x = random.nextInt(size / 2);
        int y = random.nextInt(size / 2);
        image.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.all(),
            org.nd4j.linalg.indexing.NDArrayIndex.interval(y, y + size / 4),
            org.nd4j.linalg.indexing.NDArrayIndex.interval(x, x + size / 4)).addi(2.0);
      }
      INDArray oneHot = Nd4j.zeros(1, 2);
      oneHot.putScalar(0, label, 1.0);
      examples.add(new DataSet(image, oneHot));
    }
    return new ListDataSetIterator<>(examples, batch);
  }

  /** Uniform [0, 1) values of the given shape from a seeded {@link Random}. */
  static INDArray uniform(long seed, long... shape) {
    Random random = new Random(seed);
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    float[] values = new float[Math.toIntExact(n)];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat();
    }
    return Nd4j.create(values, shape, 'c');
  }
}

package org.fundus4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** A learnable synthetic image set: uniform noise, and class 1 images carry a bright square. */
final class BrightSquares {

  private BrightSquares() {}

  /** Returns {@code count} one-example DataSets {@code [1,3,size,size]} / one-hot {@code [1,2]}, classes alternating. */
  static List<DataSet> examples(int count, int size, long seed) {
    Random random = new Random(seed);
    List<DataSet> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int label = i % 2;
      float[] noise = new float[3 * size * size];
      for (int j = 0; j < noise.length; j++) {
        noise[j] = random.nextFloat() - 0.5f;
      }
      INDArray image = Nd4j.create(noise, new long[] {1, 3, size, size}, 'c');
      if (label == 1) {
        int x = random.nextInt(size - size / 4);
        int y = random.nextInt(size - size / 4);
        image.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(y, y + size / 4),
            NDArrayIndex.interval(x, x + size / 4)).addi(2.0);
      }
      INDArray oneHot = Nd4j.zeros(1, 2);
      oneHot.putScalar(0, label, 1.0);
      out.add(new DataSet(image, oneHot));
    }
    return out;
  }
}

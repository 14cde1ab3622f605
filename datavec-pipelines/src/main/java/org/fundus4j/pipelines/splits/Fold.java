package org.fundus4j.pipelines.splits;

import java.util.List;
import org.fundus4j.pipelines.Sample;

/**
 * One cross-validation fold: {@code test} is fold {@code index}'s own samples, {@code train} all others.
 */
public record Fold(int index, List<Sample> train, List<Sample> test) {

  /** Copies the lists. */
  public Fold {
    if (index < 0) {
      throw new IllegalArgumentException("Fold index must be >= 0, got " + index);
    }
    train = List.copyOf(train);
    test = List.copyOf(test);
  }
}

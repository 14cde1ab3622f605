package org.fundus4j.pipelines;

import java.util.Random;

/**
 * One step of a {@link FundusPipeline}: one small job, settings checked in the constructor, no mutable state.
 *
 * <p>A stage returns a new {@link Frame} and never modifies its input. Random stages draw only from the
 * {@code Random} they are handed (one per image, derived from the pipeline's seed), so results repeat.
 * Geometric stages must apply the same transform to the mask.
 */
@FunctionalInterface
public interface Stage {

  /** Applies this stage to {@code frame}, drawing any random choice from {@code rnd}. */
  Frame apply(Frame frame, Random rnd);
}

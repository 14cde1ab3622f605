package org.fundus4j.pipelines;

/**
 * How {@link FundusDataSets} decodes and orders samples.
 *
 * @param threads decode/augment worker threads (1-64)
 * @param prefetchBatches batches prepared ahead of the consumer (1-64)
 * @param shuffle whether each epoch visits the samples in a new seeded order
 * @param shuffleSeed the seed of the epoch orders
 */
public record IteratorOptions(int threads, int prefetchBatches, boolean shuffle, long shuffleSeed) {

  /** Checks the ranges. */
  public IteratorOptions {
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("Worker threads must be 1-64, got " + threads);
    }
    if (prefetchBatches < 1 || prefetchBatches > 64) {
      throw new IllegalArgumentException("Prefetched batches must be 1-64, got " + prefetchBatches);
    }
  }

  /** Returns one thread per available processor, 2 batches ahead, samples in the given order. */
  public static IteratorOptions defaults() {
    return new IteratorOptions(Math.max(1, Runtime.getRuntime().availableProcessors()), 2, false, 0L);
  }

  /** Returns these options with seeded per-epoch shuffling. */
  public IteratorOptions withShuffle(long seed) {
    return new IteratorOptions(threads, prefetchBatches, true, seed);
  }

  /** Returns these options with {@code n} worker threads. */
  public IteratorOptions withThreads(int n) {
    return new IteratorOptions(n, prefetchBatches, shuffle, shuffleSeed);
  }
}

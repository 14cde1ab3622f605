package org.fundus4j.pipelines;

import java.util.List;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Builds {@link DataSetIterator}s over fundus samples that decode and augment on several threads.
 *
 * <p>Features are {@code [N, 3, size, size]} float (see {@link FundusPipeline}); labels are one-hot
 * {@code [N, numClasses]} for {@link LabelKind#BINARY} (numClasses 2) and {@link LabelKind#MULTI_CLASS},
 * 0/1 {@code [N, numClasses]} for {@link LabelKind#MULTI_LABEL}, masks {@code [N, 1, size, size]} for
 * {@link LabelKind#SEGMENTATION}. A file that cannot be read or decoded is recorded in the
 * {@link SkipReport} and left out of its batch (which is then smaller); the epoch goes on.
 *
 * <p>Sample {@code i} of epoch {@code e} gets augmentation draw {@code e * samples.size() + i}, so a
 * training epoch is the same whatever the thread timing. Call {@code close()} on the returned iterator
 * (it is {@link AutoCloseable}) to stop its threads early; they are daemon threads either way.
 *
 * <pre>{@code
 * SkipReport skips = new SkipReport();
 * DataSetIterator train = FundusDataSets.iterator(trainSamples, Pipelines.training(256, 7),
 *     LabelKind.BINARY, 2, 16, skips);
 * model.fit(train, 5);
 * log.info("{}", skips.summary());
 * }</pre>
 */
public final class FundusDataSets {

  private FundusDataSets() {}

  /** Returns an iterator with {@link IteratorOptions#defaults()} (all processors, 2 batches ahead). */
  public static DataSetIterator iterator(List<Sample> samples, FundusPipeline pipeline, LabelKind kind,
      int numClasses, int batchSize, SkipReport skips) {
    return iterator(samples, pipeline, kind, numClasses, batchSize, skips, IteratorOptions.defaults());
  }

  /** Returns an iterator with the given threads, prefetch depth and shuffling. */
  public static FundusDataSetIterator iterator(List<Sample> samples, FundusPipeline pipeline, LabelKind kind,
      int numClasses, int batchSize, SkipReport skips, IteratorOptions options) {
    return new FundusDataSetIterator(samples, pipeline, kind, numClasses, batchSize, skips, options);
  }
}

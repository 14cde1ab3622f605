package org.fundus4j.transfer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.solvers.BaseOptimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One optimiser step per batch, computed as micro-batches whose gradients are added up: a batch whose training
 * step does not fit in memory trains with the gradient of the whole batch, {@code microBatch} images per
 * forward and backward pass.
 *
 * <p>What the step sees is what {@link ComputationGraph#fit(DataSet)} of the whole batch would give it, with one
 * difference. DL4J's losses return the <em>sum</em> of the per-image gradients and its updater divides by the
 * batch size before Adam (and before the L2 term is added); here the micro-batches' summed gradients are added
 * and the updater divides once by the whole batch's size, so the loss is normalised as for one big batch, Adam
 * steps once per batch and its iteration count (bias correction) advances once. The difference is BatchNorm:
 * each micro-batch is normalised with its own batch statistics, and the running mean and variance move by the
 * image-weighted mean of the micro-batches' moves (DL4J stores those moves as the "gradient" of parameters its
 * updater does not divide by the batch; {@link Layer#updaterDivideByMinibatch}). For the running mean that is
 * the whole batch's move exactly; for the variance it is the mean of the micro-batches' variances. Losses that
 * do not add up over images (the U-Net's batch Dice) become the mean of the micro-batches' losses. Model cards
 * say how many images BatchNorm saw.
 *
 * <p>Memory: one extra copy of the flattened gradient (ResNet-50: 94 MiB), on top of one micro-batch's step.
 *
 * <pre>{@code
 * double loss = GradientAccumulation.step(model, batchOf32, 8); // 4 passes of 8 images, one Adam step
 * trainer.fit(model, epochs, new GradientAccumulation(8).fitter(), validation, listener);
 * }</pre>
 *
 * @param microBatch images per forward and backward pass, {@code >= 1}; batches no larger than this are fitted
 *     as they are
 */
public record GradientAccumulation(int microBatch) {

  public GradientAccumulation {
    if (microBatch < 1) {
      throw new IllegalArgumentException("micro-batch must be >= 1 image, got " + microBatch);
    }
  }

  /** One epoch per call, for {@link EarlyStoppingTrainer}: every batch of the epoch is one accumulated step. */
  public EarlyStoppingTrainer.Fitter fitter() {
    return (model, data, epoch, listener) -> FineTune.trainEpoch(model, data, epoch, listener,
        (m, batch) -> step(m, batch, microBatch));
  }

  /**
   * The number of micro-batches {@code batch} images are split into, and so the passes per step:
   * {@code ceil(batch / microBatch)}.
   */
  public int passes(int batch) {
    return (batch + microBatch - 1) / microBatch;
  }

  /**
   * Fits one batch as one optimiser step from micro-batches of at most {@code microBatch} images (the last may
   * be smaller) and returns the batch's score (the image-weighted mean of the micro-batches' scores, as
   * {@link ComputationGraph#score()} would give for the whole batch). A batch of at most {@code microBatch} images
   * is fitted with {@link ComputationGraph#fit(DataSet)}.
   */
  public static double step(ComputationGraph model, DataSet batch, int microBatch) {
    int n = batch.numExamples();
    if (n <= microBatch) {
      model.fit(batch);
      return model.score();
    }
    if (model.getNumInputArrays() != 1 || model.getNumOutputArrays() != 1) {
      throw new IllegalArgumentException("gradient accumulation trains graphs with one input and one output, got "
          + model.getNumInputArrays() + " and " + model.getNumOutputArrays());
    }
    if (model.getFlattenedGradients() == null) {
      model.initGradientsView();
    }
    List<long[]> undivided = undividedRanges(model);
    INDArray sum = null;
    double scoreSum = 0;
    for (int from = 0; from < n; from += microBatch) {
      int to = Math.min(n, from + microBatch);
      int images = to - from;
      model.setInputs(rows(batch.getFeatures(), from, to));
      model.setLabels(rows(batch.getLabels(), from, to));
      model.setLayerMaskArrays(batch.getFeaturesMaskArray() == null ? null
              : new INDArray[] {rows(batch.getFeaturesMaskArray(), from, to)},
          batch.getLabelsMaskArray() == null ? null : new INDArray[] {rows(batch.getLabelsMaskArray(), from, to)});
      model.computeGradientAndScore();
      INDArray gradient = model.getFlattenedGradients();
      for (long[] r : undivided) {
        range(gradient, r).muli(images);
      }
      if (sum == null) {
        sum = gradient.dup();
      } else {
        sum.addi(gradient);
      }
      scoreSum += model.score() * images;
      model.clearLayerMaskArrays();
      model.clearLayersStates();
    }
    INDArray gradientView = model.getFlattenedGradients();
    gradientView.assign(sum);
    for (long[] r : undivided) {
      range(gradientView, r).divi(n);
    }
    // what StochasticGradientDescent.optimize does once it has one batch's gradient (the graph's Gradient holds
    // the flattened gradient the updater divides by the batch, adds L2 to and turns into Adam's update in place)
    Gradient gradient = model.gradient();
    int iteration = model.getIterationCount();
    int epoch = model.getEpochCount();
    model.getUpdater(true).update(gradient, iteration, epoch, n, LayerWorkspaceMgr.noWorkspaces());
    model.params().subi(gradient.gradient());
    BaseOptimizer.incrementIterationCount(model, 1);
    BaseOptimizer.applyConstraints(model);
    double score = scoreSum / n;
    model.setScore(score);
    return score;
  }

  /** Rows {@code [from, to)} of a batch array (first dimension), as their own array. */
  private static INDArray rows(INDArray array, int from, int to) {
    INDArrayIndex[] index = new INDArrayIndex[array.rank()];
    index[0] = NDArrayIndex.interval(from, to);
    for (int d = 1; d < index.length; d++) {
      index[d] = NDArrayIndex.all();
    }
    return array.get(index).dup();
  }

  /**
   * The {@code [start, end)} ranges of the flattened gradient whose parameters DL4J's updater does not divide by
   * the batch size (BatchNorm's running mean and variance, whose "gradient" is the move of the running average).
   */
  static List<long[]> undividedRanges(ComputationGraph model) {
    INDArray flat = model.getFlattenedGradients();
    List<long[]> ranges = new ArrayList<>();
    for (Layer layer : model.getLayers()) {
      if (layer.numParams() == 0 || layer.getGradientsViewArray() == null) {
        continue;
      }
      long layerStart = layer.getGradientsViewArray().offset() - flat.offset();
      long paramsStart = layer.params().offset();
      for (Map.Entry<String, INDArray> p : layer.paramTable(false).entrySet()) {
        if (!layer.updaterDivideByMinibatch(p.getKey())) {
          long start = layerStart + p.getValue().offset() - paramsStart;
          ranges.add(new long[] {start, start + p.getValue().length()});
        }
      }
    }
    return ranges;
  }

  private static INDArray range(INDArray flat, long[] r) {
    return flat.rank() == 1 ? flat.get(NDArrayIndex.interval(r[0], r[1]))
        : flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(r[0], r[1]));
  }
}

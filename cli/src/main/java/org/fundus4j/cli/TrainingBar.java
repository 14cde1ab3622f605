package org.fundus4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import org.fundus4j.transfer.EpochListener;

/**
 * Shows a training run: one progress bar per epoch (images done, images per second, ETA of the epoch and
 * the latest batch loss) and, after each epoch, one line with its mean loss and validation score.
 */
final class TrainingBar implements EpochListener, AutoCloseable {

  private final String metric;
  private final int maxEpochs;
  private final long imagesPerEpoch;
  private final int batchSize;
  private final PrintStream out;
  private ProgressBar bar;
  private int barEpoch = -1;
  private long epochStarted;
  private double lastScore = Double.NaN;
  private double bestScore = Double.NaN;
  private int bestEpoch = -1;

  /**
   * @param metric name of the validation score, e.g. {@code AUC}
   * @param imagesPerEpoch training images per epoch (the bar's total)
   */
  TrainingBar(String metric, int maxEpochs, long imagesPerEpoch, int batchSize, PrintStream out) {
    this.metric = metric;
    this.maxEpochs = maxEpochs;
    this.imagesPerEpoch = imagesPerEpoch;
    this.batchSize = batchSize;
    this.out = out;
  }

  @Override
  public void batchDone(int epoch, int batch, double loss) {
    if (bar == null || barEpoch != epoch) {
      closeBar();
      barEpoch = epoch;
      epochStarted = System.nanoTime();
      bar = ProgressBars.bar(String.format(Locale.ROOT, "epoch %d/%d", epoch + 1, maxEpochs), imagesPerEpoch,
          " img");
    }
    bar.stepTo(Math.min(imagesPerEpoch, (long) batch * batchSize));
    bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", loss));
  }

  /** Shows that the epoch's training part is over and validation runs. */
  void validating() {
    if (bar != null) {
      bar.stepTo(imagesPerEpoch);
      bar.setExtraMessage(" validating");
    }
  }

  /** Records the validation score of the epoch that is ending. */
  void scored(int epoch, double score) {
    lastScore = score;
    if (bestEpoch < 0 || score > bestScore || (Double.isNaN(bestScore) && !Double.isNaN(score))) {
      bestScore = score;
      bestEpoch = epoch;
    }
  }

  /** Starts the best-so-far bookkeeping from a resumed checkpoint. */
  void resumedAt(int bestEpoch, double bestScore) {
    this.bestEpoch = bestEpoch;
    this.bestScore = bestScore;
  }

  @Override
  public void epochDone(int epoch, double meanLoss) {
    closeBar();
    double seconds = (System.nanoTime() - epochStarted) / 1e9;
    out.printf(Locale.ROOT, "epoch %d/%d  loss %.4f  validation %s %.4f  (best %.4f, epoch %d)  %.0f s%n",
        epoch + 1, maxEpochs, meanLoss, metric, lastScore, bestScore, bestEpoch + 1, seconds);
  }

  private void closeBar() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }

  @Override
  public void close() {
    closeBar();
  }
}

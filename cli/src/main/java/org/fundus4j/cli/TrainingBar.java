package org.fundus4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import org.fundus4j.transfer.EarlyStoppingTrainer;
import org.fundus4j.transfer.TransferRun;

/**
 * Shows a training run: its messages, a bar while backbone features are computed, one progress bar per epoch
 * (images done, images per second, ETA of the epoch and the latest batch loss) and, after each epoch, one line
 * with its mean loss and validation score.
 */
final class TrainingBar implements TransferRun.Listener, AutoCloseable {

  private final String metric;
  private final int maxEpochs;
  private long imagesPerEpoch = 1;
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
   */
  TrainingBar(String metric, int maxEpochs, int batchSize, PrintStream out) {
    this.metric = metric;
    this.maxEpochs = maxEpochs;
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

  @Override
  public void split(int training, int validation) {
    imagesPerEpoch = Math.max(1, training);
  }

  @Override
  public void message(String line) {
    closeBar();
    out.println(line);
  }

  @Override
  public void featurizing(String what, int done, int total) {
    if (bar == null || barEpoch != -2 - what.hashCode()) {
      closeBar();
      barEpoch = -2 - what.hashCode();
      bar = ProgressBars.bar("featurizing " + what, total, " img");
    }
    bar.stepTo(done);
    if (done >= total) {
      closeBar();
    }
  }

  @Override
  public void validating() {
    if (bar != null) {
      bar.stepTo(imagesPerEpoch);
      bar.setExtraMessage(" validating");
    }
  }

  @Override
  public void scored(int epoch, double score) {
    lastScore = score;
    if (bestEpoch < 0 || score > bestScore || (Double.isNaN(bestScore) && !Double.isNaN(score))) {
      bestScore = score;
      bestEpoch = epoch;
    }
  }

  @Override
  public void resumed(EarlyStoppingTrainer.State s) {
    this.bestEpoch = s.bestEpoch();
    this.bestScore = s.bestScore();
    boolean finished = s.stoppedEarly() || s.epochsDone() >= maxEpochs;
    out.printf(Locale.ROOT, "Resuming after epoch %d of %d (best validation %s %.4f at epoch %d)%s%n",
        s.epochsDone(), maxEpochs, metric, s.bestScore(), s.bestEpoch() + 1,
        finished ? "; training had finished, writing the outputs again" : "");
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

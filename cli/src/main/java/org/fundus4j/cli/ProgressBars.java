package org.fundus4j.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.fundus4j.transfer.Progress;

/** Progress bars on standard error with count, rate and ETA (me.tongfei progressbar). */
final class ProgressBars implements Progress.Factory {

  @Override
  public Progress start(String task, long total) {
    ProgressBar bar = bar(task, total, "");
    return new Progress() {
      @Override
      public void stepTo(long done) {
        bar.stepTo(done);
      }

      @Override
      public void close() {
        bar.close();
      }
    };
  }

  /** A bar of {@code total} steps counted in {@code unit} (e.g. {@code " img"}), showing the rate and ETA. */
  static ProgressBar bar(String task, long total, String unit) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(total)
        .setStyle(ProgressBarStyle.ASCII)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .setUnit(unit, 1)
        .showSpeed()
        .setUpdateIntervalMillis(500)
        .build();
  }
}

package org.fundus4j.samples.experiment;

import java.util.Locale;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;

/**
 * One cell of an experiment grid: a task, start, resolution, mode, data fraction and fold.
 *
 * @param task what the cell's model predicts
 * @param start backbone start
 * @param resolution input side in pixels
 * @param mode LP or FT
 * @param fraction share of the fold's training images used
 * @param fold the held-out fold
 */
public record Cell(Task task, Start start, int resolution, Mode mode, double fraction, int fold) {

  /** A folder name, e.g. {@code binary_scratch_256px_LP_100pct_fold0}. */
  public String id() {
    return task.word() + "_" + configuration().replace('/', '_') + "_fold" + fold;
  }

  /**
   * The configuration this cell is one fold of within its task, e.g. {@code scratch/256px/LP/100pct}; the
   * report pools a configuration's folds and compares configurations with DeLong's test.
   */
  public String configuration() {
    return String.format(Locale.ROOT, "%s/%dpx/%s/%spct", start.name().toLowerCase(Locale.ROOT), resolution,
        mode.cardName(), percent(fraction));
  }

  static String percent(double fraction) {
    double pct = fraction * 100;
    return pct == Math.rint(pct) ? Integer.toString((int) pct) : String.format(Locale.ROOT, "%.1f", pct);
  }
}

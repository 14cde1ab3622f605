package org.fundus4j.transfer;

/** Receives progress from a training loop; the CLI draws it as a progress bar. */
@FunctionalInterface
public interface EpochListener {

  /** Called after each mini-batch: epoch (0-based), batches done in this epoch, and the latest loss. */
  void batchDone(int epoch, int batch, double loss);

  /** Called after each epoch with its mean loss. */
  default void epochDone(int epoch, double meanLoss) {}

  /** A listener that ignores everything. */
  static EpochListener none() {
    return (epoch, batch, loss) -> {};
  }
}

package org.fundus4j.transfer;

/**
 * A unit of long work that reports how far it has come; the CLI shows it as a progress bar with rate and
 * ETA, tests pass {@link #NONE}.
 */
public interface Progress extends AutoCloseable {

  /** Sets the number of steps done so far. */
  void stepTo(long done);

  @Override
  void close();

  /** Makes a {@link Progress} for a named task of {@code total} steps. */
  @FunctionalInterface
  interface Factory {
    Progress start(String task, long total);
  }

  /** A factory whose progress goes nowhere. */
  Factory NONE = (task, total) -> new Progress() {
    @Override
    public void stepTo(long done) {}

    @Override
    public void close() {}
  };
}

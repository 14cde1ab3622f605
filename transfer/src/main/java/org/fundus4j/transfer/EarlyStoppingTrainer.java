package org.fundus4j.transfer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.networks.LayerHelpers;

/**
 * Trains a graph epoch by epoch with early stopping on a validation score, a checkpoint after every epoch
 * and resumption after a crash.
 *
 * <p>The paper trains "up to 100 epochs with early stopping"; here the validation score is any function
 * of the model (usually validation AUC, higher is better) and training stops after {@code patience}
 * epochs without improvement. After each epoch the folder holds {@code last.zip} (weights and updater
 * state), {@code best.zip} and {@code state.json} (epoch, history, best epoch), each written to a temporary
 * name and moved into place, so a process killed at any moment leaves a consistent checkpoint. Calling
 * {@link #fit} again on the same folder continues after the last finished epoch; the training data of
 * epoch {@code e} come from {@code trainForEpoch.apply(e)}, so seeding augmentation by epoch makes a
 * resumed run see the same batches as an uninterrupted one.
 *
 * <pre>{@code
 * EarlyStoppingTrainer trainer = new EarlyStoppingTrainer(checkpoints, 100, 10);
 * EarlyStoppingTrainer.Result r = trainer.fit(model, epoch -> trainIterator(seed + epoch),
 *     m -> validationAuc(m), EpochListener.none());
 * }</pre>
 */
public final class EarlyStoppingTrainer {

  private static final Logger LOG = LoggerFactory.getLogger(EarlyStoppingTrainer.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final String LAST = "last.zip";
  static final String BEST = "best.zip";
  static final String STATE = "state.json";

  /**
   * What has happened so far, persisted as {@code state.json}.
   *
   * @param epochsDone epochs finished
   * @param bestEpoch the 0-based epoch with the best validation score, -1 before the first
   * @param bestScore the best validation score
   * @param scores validation score of each finished epoch
   * @param losses mean training loss of each finished epoch
   * @param stoppedEarly true once patience ran out
   */
  public record State(int epochsDone, int bestEpoch, double bestScore, List<Double> scores, List<Double> losses,
      boolean stoppedEarly) {
    public State {
      scores = List.copyOf(scores);
      losses = List.copyOf(losses);
    }

    static State initial() {
      return new State(0, -1, Double.NEGATIVE_INFINITY, List.of(), List.of(), false);
    }
  }

  /** Fits one epoch of training data into a model and returns the epoch's mean training loss. */
  @FunctionalInterface
  public interface Fitter {
    /** In the calling thread, batch by batch. */
    Fitter SERIAL = FineTune::trainEpoch;

    double fitEpoch(ComputationGraph model, DataSetIterator data, int epoch, EpochListener listener);
  }

  /**
   * The outcome of training.
   *
   * @param best the model of the best epoch
   * @param state the final state (history, best epoch, whether it stopped early)
   */
  public record Result(ComputationGraph best, State state) {}

  private final Path dir;
  private final int maxEpochs;
  private final int patience;

  /**
   * @param dir checkpoint folder (created if missing)
   * @param maxEpochs the most epochs to train (the paper: 100)
   * @param patience epochs without improvement before stopping
   */
  public EarlyStoppingTrainer(Path dir, int maxEpochs, int patience) {
    if (maxEpochs < 1) {
      throw new IllegalArgumentException("maxEpochs must be >= 1, got " + maxEpochs);
    }
    if (patience < 1) {
      throw new IllegalArgumentException("patience must be >= 1, got " + patience);
    }
    this.dir = dir;
    this.maxEpochs = maxEpochs;
    this.patience = patience;
  }

  /** True when the folder holds a checkpoint that {@link #fit} would resume from. */
  public boolean hasCheckpoint() {
    return Files.isRegularFile(dir.resolve(STATE)) && Files.isRegularFile(dir.resolve(LAST));
  }

  /**
   * Trains {@code initial} (or resumes from the folder's checkpoint, ignoring {@code initial}) until
   * {@code maxEpochs} or early stopping, and returns the best epoch's model.
   */
  public Result fit(ComputationGraph initial, IntFunction<DataSetIterator> trainForEpoch,
      ToDoubleFunction<ComputationGraph> validationScore, EpochListener listener) throws IOException {
    return fit(initial, trainForEpoch, Fitter.SERIAL, validationScore, listener);
  }

  /** As {@link #fit(ComputationGraph, IntFunction, ToDoubleFunction, EpochListener)}, each epoch fitted by {@code fitter}. */
  public Result fit(ComputationGraph initial, IntFunction<DataSetIterator> trainForEpoch, Fitter fitter,
      ToDoubleFunction<ComputationGraph> validationScore, EpochListener listener) throws IOException {
    Files.createDirectories(dir);
    ComputationGraph model = initial;
    State state = State.initial();
    if (hasCheckpoint()) {
      state = checkpointState().orElseThrow();
      model = ModelSerializer.restoreComputationGraph(dir.resolve(LAST).toFile(), true);
      LayerHelpers.installIfOneDnn(model);
      LOG.info("Resuming from {} after epoch {}", dir, state.epochsDone());
    }
    while (state.epochsDone() < maxEpochs && !state.stoppedEarly()) {
      int epoch = state.epochsDone();
      List<Double> losses = new ArrayList<>(state.losses());
      losses.add(fitter.fitEpoch(model, trainForEpoch.apply(epoch), epoch, listener));
      double score = validationScore.applyAsDouble(model);
      List<Double> scores = new ArrayList<>(state.scores());
      scores.add(score);
      boolean improved = isImprovement(score, state);
      int bestEpoch = improved ? epoch : state.bestEpoch();
      boolean stop = epoch - bestEpoch >= patience;
      writeCheckpoints(model, improved);
      state = new State(epoch + 1, bestEpoch, improved ? score : state.bestScore(), scores, losses, stop);
      State written = state;
      AtomicFiles.write(dir.resolve(STATE), stream -> JSON.writeValue(stream, written));
      listener.epochDone(epoch, losses.get(losses.size() - 1));
      LOG.info("Epoch {}: loss {}, validation {}{}", epoch, losses.get(losses.size() - 1), score,
          stop ? " (early stop)" : "");
      haltIfAsked();
    }
    ComputationGraph best = ModelSerializer.restoreComputationGraph(dir.resolve(BEST).toFile(), true);
    LayerHelpers.installIfOneDnn(best);
    return new Result(best, state);
  }

  /**
   * A test hook: with {@code -Dfundus4j.haltAfterEpoch=N} the JVM halts (exit 137, as after SIGKILL) right
   * after the N-th epoch that any trainer in this JVM finished has been checkpointed, so kill-and-resume tests
   * crash at a known point without racing the clock.
   */
  public static final String HALT_AFTER_EPOCH = "fundus4j.haltAfterEpoch";
  private static final AtomicInteger EPOCHS_IN_JVM = new AtomicInteger();

  private static void haltIfAsked() {
    String halt = System.getProperty(HALT_AFTER_EPOCH);
    if (halt != null && EPOCHS_IN_JVM.incrementAndGet() == Integer.parseInt(halt.trim())) {
      System.out.flush();
      Runtime.getRuntime().halt(137);
    }
  }

  /**
   * The first scored epoch is always the best so far, so that {@code best.zip} exists even when the
   * validation score is NaN (e.g. AUC of a validation set with one class); after that a score must be
   * higher than the best one, and any number beats a NaN best.
   */
  static boolean isImprovement(double score, State state) {
    if (state.bestEpoch() < 0) {
      return true;
    }
    if (Double.isNaN(state.bestScore())) {
      return !Double.isNaN(score);
    }
    return score > state.bestScore();
  }

  /**
   * Serialises the model once (weights and updater state) to a temporary file, copies it to
   * {@code best.zip} when the epoch improved (a file copy is much cheaper than serialising a ResNet-50 and
   * its Adam state again), and moves both into place.
   */
  private void writeCheckpoints(ComputationGraph model, boolean improved) throws IOException {
    Path tmp = dir.resolve(LAST + ".tmp");
    SavedModel.writeGraph(model, Files.newOutputStream(tmp));
    if (improved) {
      Path bestTmp = dir.resolve(BEST + ".tmp");
      Files.copy(tmp, bestTmp, StandardCopyOption.REPLACE_EXISTING);
      AtomicFiles.move(bestTmp, dir.resolve(BEST));
    }
    AtomicFiles.move(tmp, dir.resolve(LAST));
  }

  /** The state of the folder's checkpoint, if it has one (see {@link #hasCheckpoint()}). */
  public Optional<State> checkpointState() throws IOException {
    if (!hasCheckpoint()) {
      return Optional.empty();
    }
    return Optional.of(JSON.readValue(dir.resolve(STATE).toFile(), State.class));
  }

  /** The checkpoint of the best epoch so far ({@code best.zip}, weights and updater state). */
  public Path bestCheckpoint() {
    return dir.resolve(BEST);
  }
}

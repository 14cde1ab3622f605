package org.fundus4j.transfer;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.parallelism.ParallelWrapper;
import org.deeplearning4j.parallelism.factory.TrainerContext;
import org.deeplearning4j.parallelism.trainer.DefaultTrainer;
import org.deeplearning4j.parallelism.trainer.Trainer;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

/**
 * Data-parallel training on several devices of one machine with DL4J's {@link ParallelWrapper}: one model
 * replica per worker, parameters averaged every {@code averagingFrequency} batches.
 *
 * <p>With the {@code cuda} Maven profile each worker takes one GPU (the paper trains data-parallel on
 * several GPUs); on the CPU backend the same code runs with CPU workers, which is what the tests use.
 * Parameter averaging is used on purpose: {@code SHARED_GRADIENTS} deadlocked on DL4J 1.0.0-M2.1 in every
 * CPU run we tried (see {@code docs/notes}).
 *
 * <p><b>Deterministic.</b> With the CPU backend (one ND4J device, so no multi-queue) ParallelWrapper hands the
 * batches out in order: round {@code r} gives batch {@code r * workers + i} to worker {@code i}, and a round
 * waits for all its workers before averaging. What is not deterministic in DL4J 1.0.0-M2.1 is the start of
 * each {@code fit}: worker 0 trains the caller's model itself ({@code DefaultTrainer.run}, "FIXME ... avoid RC at
 * originalModel relocation") while every other worker copies its replica's parameters and updater state from
 * that same model in its own thread; when worker 0's first step finishes before a copy, that replica starts
 * from updated weights. The private {@code ReplicasReady} makes every worker wait before its first batch until
 * all replicas are copied. It is set on the built wrapper ({@link #newWrapper}) because
 * {@code ParallelWrapper.Builder.build()} replaces any {@code trainerFactory} with a fresh
 * {@code DefaultTrainerContext} in {@code AVERAGING} mode (read from its bytecode, 2026-12-03). Until then the
 * latch was never used, and the race showed on the first 2-worker fit of a JVM, when the copying worker is
 * slowest: with SmallCnn that fit ended with parameters summing to 1.0714, every later one to 1.5255, the value
 * of two replicas averaged by hand ({@code TrainingLoopTests}). With the latch in place every run, the first
 * included, gives 1.5255.
 *
 * @param workers model replicas, usually the number of GPUs; at least 2 (one device trains without this class)
 * @param prefetch batches prefetched per worker
 * @param averagingFrequency batches between parameter averaging
 */
public record DataParallelTraining(int workers, int prefetch, int averagingFrequency) {

  public DataParallelTraining {
    if (workers < 2) {
      throw new IllegalArgumentException("Data-parallel training needs at least 2 workers, got " + workers
          + ": one device trains with the plain fitter (EarlyStoppingTrainer.Fitter.SERIAL), which TransferRun "
          + "uses for --devices 1");
    }
    if (prefetch < 1 || averagingFrequency < 1) {
      throw new IllegalArgumentException("prefetch and averagingFrequency must be >= 1, got " + prefetch + ", "
          + averagingFrequency);
    }
  }

  /**
   * One epoch per call, for {@link EarlyStoppingTrainer}: the replicas are made from the model at the start of
   * the epoch and averaged back into it; the loss reported is the averaged model's score after the epoch.
   */
  public EarlyStoppingTrainer.Fitter fitter() {
    return (model, data, epoch, listener) -> {
      fit(model, data, 1);
      double loss = model.score();
      listener.batchDone(epoch, 1, loss);
      return loss;
    };
  }

  /** Trains {@code model} in place for {@code epochs} passes over {@code train}. */
  public void fit(ComputationGraph model, DataSetIterator train, int epochs) {
    try (ParallelWrapper wrapper = newWrapper(model)) {
      for (int epoch = 0; epoch < epochs; epoch++) {
        train.reset();
        wrapper.fit(train);
        if (wrapper.getException() != null) {
          throw new IllegalStateException("Data-parallel training failed in epoch " + epoch,
              wrapper.getException());
        }
      }
    } catch (IllegalStateException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("Could not shut down ParallelWrapper workers", e);
    }
  }

  /** The wrapper {@link #fit} uses: parameter averaging with {@code ReplicasReady} as its trainer context. */
  ParallelWrapper newWrapper(ComputationGraph model) {
    ParallelWrapper wrapper = new ParallelWrapper.Builder<>(model)
        .workers(workers)
        .prefetchBuffer(prefetch)
        .averagingFrequency(averagingFrequency)
        .averageUpdaters(true)
        .reportScoreAfterAveraging(true)
        .trainingMode(ParallelWrapper.TrainingMode.AVERAGING)
        .build();
    wrapper.setTrainerContext(new ReplicasReady(workers)); // after build(), which replaces a trainerFactory
    return wrapper;
  }

  /**
   * DL4J's {@code DefaultTrainerContext} (same trainers, same names) plus one latch per {@code fit}: no worker
   * trains its first batch before every worker has its replica (worker 0's is the caller's model itself).
   * ParallelWrapper calls {@link #init} before it creates the trainers of each {@code fit}.
   */
  private static final class ReplicasReady implements TrainerContext {
    private final int workers;
    private CountDownLatch ready;

    ReplicasReady(int workers) {
      this.workers = workers;
    }

    @Override
    public void init(Model model, Object... args) {
      ready = new CountDownLatch(workers);
    }

    @Override
    public Trainer create(String uuid, int threadId, Model model, int rootDevice, boolean useMDS,
        ParallelWrapper wrapper, WorkspaceMode mode, int averagingFrequency) {
      return new WaitingTrainer(ready, uuid, threadId, model, useMDS, wrapper, mode, averagingFrequency);
    }

    @Override
    public void finalizeRound(Model originalModel, Model... models) {
      // parameters are averaged by ParallelWrapper itself
    }

    @Override
    public void finalizeTraining(Model originalModel, Model... models) {
      // worker 0 trains the original model in place
    }
  }

  /** A {@link DefaultTrainer} whose first batch waits until every replica of its {@code fit} is made. */
  private static final class WaitingTrainer extends DefaultTrainer {
    private final CountDownLatch ready;
    private final AtomicBoolean counted = new AtomicBoolean();

    WaitingTrainer(CountDownLatch ready, String uuid, int threadId, Model model, boolean useMDS,
        ParallelWrapper wrapper, WorkspaceMode mode, int averagingFrequency) {
      this.ready = ready;
      this.uuid = uuid + "_thread_" + threadId;
      this.threadId = threadId;
      this.originalModel = model;
      this.replicatedModel = model;
      this.useMDS = useMDS;
      this.parallelWrapper = wrapper;
      this.workspaceMode = mode;
      this.averagingFrequency = averagingFrequency;
      setupIfNeccessary(); // the queues exist before ParallelWrapper's thread feeds them
      setName("DefaultTrainer thread " + threadId); // the names DL4J's DefaultTrainerContext gives
      setDaemon(true);
    }

    @Override
    protected void postInit() {
      super.postInit();
      countDown();
    }

    @Override
    public void run() {
      try {
        super.run();
      } finally {
        countDown(); // a worker that failed before its replica was made must not leave the others waiting
      }
    }

    private void countDown() {
      if (counted.compareAndSet(false, true)) {
        ready.countDown();
      }
    }

    @Override
    protected void fit(DataSet dataSet) {
      awaitReplicas();
      super.fit(dataSet);
    }

    @Override
    protected void fit(MultiDataSet dataSet) {
      awaitReplicas();
      super.fit(dataSet);
    }

    private void awaitReplicas() {
      try {
        ready.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Interrupted while waiting for the other ParallelWrapper replicas", e);
      }
    }
  }
}

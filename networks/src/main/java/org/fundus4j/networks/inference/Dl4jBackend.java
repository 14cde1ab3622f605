package org.fundus4j.networks.inference;

import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.LayerHelpers;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link InferenceBackend} that runs a DL4J {@link ComputationGraph} in inference mode.
 *
 * <pre>{@code
 * try (InferenceBackend dl4j = new Dl4jBackend(graph, 8)) {
 *   INDArray out = dl4j.predict(images);
 * }
 * }</pre>
 * The number of native threads is ND4J's process-wide setting ({@code OMP_NUM_THREADS} at start-up);
 * {@link #Dl4jBackend(ComputationGraph, int, int)} also sets ND4J's maximum thread count. Thread-safe
 * only as far as {@code ComputationGraph.output} is.
 */
public final class Dl4jBackend implements InferenceBackend {
  /** Default number of images per forward pass. */
  public static final int DEFAULT_BATCH_SIZE = 8;

  private final ComputationGraph graph;
  private final int batchSize;
  private volatile boolean closed;

  /** Wraps {@code graph} with batch size {@value #DEFAULT_BATCH_SIZE}. */
  public Dl4jBackend(ComputationGraph graph) {
    this(graph, DEFAULT_BATCH_SIZE);
  }

  /**
   * Wraps {@code graph}; gives its convolution, BatchNorm and pooling layers DL4J's native helpers if they
   * have none ({@link LayerHelpers#install}: same outputs, inference about 1.3x faster with ND4J's default
   * build and 4.8x with its oneDNN build; the graph keeps them).
   */
  public Dl4jBackend(ComputationGraph graph, int batchSize) {
    this.graph = Objects.requireNonNull(graph, "graph");
    this.batchSize = Batches.checkBatchSize(batchSize);
    LayerHelpers.install(graph);
  }

  /**
   * Wraps {@code graph} and sets ND4J's process-wide maximum number of native threads to
   * {@code threads}.
   */
  public Dl4jBackend(ComputationGraph graph, int batchSize, int threads) {
    this(graph, batchSize);
    if (threads < 1) {
      throw new IllegalArgumentException("Thread count must be >= 1, got " + threads);
    }
    org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxThreads(threads);
  }

  @Override
  public INDArray predict(INDArray input) {
    if (closed) {
      throw new IllegalStateException("Dl4jBackend is closed");
    }
    Objects.requireNonNull(input, "input");
    return Batches.run(input, batchSize, part -> graph.output(false, part)[0]);
  }

  @Override
  public String name() {
    return "dl4j";
  }

  @Override
  public int batchSize() {
    return batchSize;
  }

  /** Marks the backend closed; the graph itself is owned by the caller and stays usable. */
  @Override
  public void close() {
    closed = true;
  }
}

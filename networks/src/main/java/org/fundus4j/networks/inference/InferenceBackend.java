package org.fundus4j.networks.inference;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Runs a trained network forward for inference, independent of the engine that executes it.
 *
 * <p>Implementations: {@link Dl4jBackend} (the DL4J {@code ComputationGraph} itself) and
 * {@link OnnxRuntimeBackend} (an {@code .onnx} file exported with
 * {@link org.fundus4j.networks.onnx.OnnxExporter}). Both split large inputs into batches of their
 * configured size and return the network's first output, so callers can swap them with one option:
 * <pre>{@code
 * try (InferenceBackend backend = useOnnx
 *     ? new OnnxRuntimeBackend(Path.of("model.onnx"), OnnxRuntimeBackend.Options.defaults())
 *     : new Dl4jBackend(graph)) {
 *   INDArray probabilities = backend.predict(images);   // [N, 3, H, W] -> [N, classes]
 * }
 * }</pre>
 * Instances are not required to be thread-safe; use one per thread unless an implementation says
 * otherwise.
 */
public interface InferenceBackend extends AutoCloseable {

  /**
   * Runs {@code input} ({@code [N, C, H, W]} float32, already normalised as the model expects) and
   * returns the first network output, {@code [N, classes]} for classifiers or {@code [N, C, H, W]}
   * for segmentation networks.
   *
   * @throws IllegalArgumentException if the input rank or channel count does not fit the model
   */
  INDArray predict(INDArray input);

  /** Short engine name for logs and reports, e.g. {@code "dl4j"} or {@code "onnxruntime"}. */
  String name();

  /** Largest number of images sent to the engine in one call. */
  int batchSize();

  /** Releases native resources; further calls to {@link #predict} fail. */
  @Override
  void close();
}

package org.fundus4j.screening;

import org.fundus4j.networks.inference.Precision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.FirstFrame;
import org.fundus4j.dicom.node.ImageScreener;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.networks.inference.InferenceBackend;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.ScalableImage;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Screens one image with a saved model: DICOM file in, {@link ScreeningResult} out (a finding per label with
 * probability and call, or a vessel map).
 *
 * <p>Everything about the model comes from its card: the evaluation pipeline at the card's input size and
 * normalised with the card's mean and standard deviation, the head's labels and codes, and the operating point
 * ({@link ModelOutputs}). The algorithm written into SRs, and the listening node's "one SR per image and model
 * version" key, is the card's name and version. It is the {@link ImageScreener} behind {@code fundus serve}
 * and the per-image step of {@link BatchScreening}.
 *
 * <pre>{@code
 * try (Screener screener = new Screener(SavedModel.load(Path.of("models/fundus-ft")))) {
 *   ScreeningResult r = screener.screenImage(Path.of("eye.dcm"));
 * }
 * }</pre>
 *
 * <p>Not thread-safe (the engine is not); the node calls it from its single worker thread.
 */
public final class Screener implements ImageScreener, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Screener.class);

  private final ModelCard card;
  private final ModelOutputs outputs;
  private final FundusPipeline pipeline;
  private final InferenceBackend backend;

  /** A screener on ONNX Runtime, 2 threads, one image per call. */
  public Screener(SavedModel model) throws IOException {
    this(model, InferenceEngine.ONNX, 2, 1);
  }

  /** A screener on {@code engine}, one image per call, 2 threads. */
  public Screener(SavedModel model, InferenceEngine engine) throws IOException {
    this(model, engine, 2, 1);
  }

  /**
   * A screener on {@code engine}.
   *
   * @param threads inference threads
   * @param batchSize images per inference call
   * @throws IllegalArgumentException when the card's task or labels cannot be screened
   * @throws IOException when the model cannot be exported for ONNX Runtime
   */
  public Screener(SavedModel model, InferenceEngine engine, int threads, int batchSize) throws IOException {
    this(model, null, engine, Precision.FP32, threads, batchSize);
  }

  /**
   * A screener on {@code engine} at {@code precision}: {@code int8} runs the int8 ONNX model of the model folder
   * {@code modelDir} (see {@link InferenceEngine#open(SavedModel, Path, Precision, int, int)}).
   */
  public Screener(SavedModel model, Path modelDir, InferenceEngine engine, Precision precision, int threads,
      int batchSize) throws IOException {
    if (threads < 1 || batchSize < 1) {
      throw new IllegalArgumentException("threads and batch size must be >= 1, got " + threads + ", " + batchSize);
    }
    this.card = model.card();
    this.outputs = ModelOutputs.of(card);
    this.pipeline = Pipelines.evaluation(card.inputSize(), card.normalization());
    this.backend = engine.open(model, modelDir, precision, threads, batchSize);
  }

  /** The model's card. */
  public ModelCard card() {
    return card;
  }

  /** What the model's outputs mean. */
  public ModelOutputs outputs() {
    return outputs;
  }

  /** The engine in use, e.g. {@code onnxruntime} or {@code dl4j}. */
  public String engine() {
    return backend.name();
  }

  /** Name and version of the model, as written into the SRs (TID 4019). */
  @Override
  public AlgorithmId algorithm() {
    return new AlgorithmId(card.name(), card.version());
  }

  /**
   * Screens one DICOM image.
   *
   * @throws DicomReadException when the file cannot be read or decoded (the message names the file)
   */
  public ScreeningResult screenImage(Path file) throws DicomReadException {
    FirstFrame image = DicomImages.readFirstFrame(file);
    INDArray input = preprocess(image, file);
    return outputs.result(image.info().sopInstanceUid(), backend.predict(input), 0);
  }

  /** {@inheritDoc} The findings of {@link #screenImage}; a segmentation model has none to report here. */
  @Override
  public List<Finding> screen(Path dicomFile) throws Exception {
    ScreeningResult result = screenImage(dicomFile);
    if (result.findings().isEmpty()) {
      throw new IllegalStateException("Model '" + card.name() + "' is a segmentation model: it makes vessel maps,"
          + " no findings for an SR");
    }
    return result.findings();
  }

  /** The image as the model's input {@code [1, 3, size, size]}. */
  INDArray preprocess(FirstFrame image, Path file) throws DicomReadException {
    try {
      return pipeline.apply(ScalableImage.of(image, file.toString()), 0);
    } catch (IOException | RuntimeException e) {
      throw new DicomReadException(file, "cannot decode or preprocess the image: " + e.getMessage(), e);
    }
  }

  /** Runs a batch {@code [N, 3, size, size]} through the engine. */
  INDArray predict(INDArray batch) {
    return backend.predict(batch);
  }

  /** Images per engine call. */
  int batchSize() {
    return backend.batchSize();
  }

  @Override
  public void close() {
    try {
      backend.close();
    } catch (RuntimeException e) {
      LOG.warn("Closing the {} backend failed: {}", backend.name(), e.toString());
    }
  }
}

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
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.networks.inference.InferenceBackend;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.ScalableImage;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
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
  private final String camLayer;
  private final INDArray headWeights;
  /** The node's overlay writer (one Grad-CAM series per study), made on first use with the node's UIDs. */
  private GradCamOverlays overlays;
  private UidGenerator overlayUids;

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
    this(model, modelDir, engine, precision, threads, batchSize, false);
  }

  /**
   * A screener that, with {@code gradCam}, also gives each finding's Grad-CAM map of the last bottleneck
   * ({@link #predictWithGradCam}): fundus4j's ONNX export gets that layer's activations as a second output, and
   * {@link GradCam#pooledLinearHeadMaps} turns them and the linear head's weights into the exact maps, with no
   * backward pass. Grad-CAM needs ONNX Runtime at fp32 and a ResNet-50 classifier whose head reads the global
   * average pooling ({@code linear} or {@code multiLabel}).
   *
   * @throws IllegalArgumentException when Grad-CAM is asked of another engine, precision or network
   */
  public Screener(SavedModel model, Path modelDir, InferenceEngine engine, Precision precision, int threads,
      int batchSize, boolean gradCam) throws IOException {
    if (threads < 1 || batchSize < 1) {
      throw new IllegalArgumentException("threads and batch size must be >= 1, got " + threads + ", " + batchSize);
    }
    this.card = model.card();
    this.outputs = ModelOutputs.of(card);
    this.pipeline = Pipelines.evaluation(card.inputSize(), card.normalization());
    if (!gradCam) {
      this.camLayer = null;
      this.headWeights = null;
      this.backend = engine.open(model, modelDir, precision, threads, batchSize);
      return;
    }
    if (engine != InferenceEngine.ONNX || precision != Precision.FP32) {
      throw new IllegalArgumentException("Grad-CAM runs on ONNX Runtime at fp32 (the last bottleneck's activations"
          + " are an extra output of the fp32 export); use --engine onnx --precision fp32");
    }
    if (outputs.task() == org.fundus4j.transfer.Task.SEGMENTATION) {
      throw new IllegalArgumentException("Grad-CAM explains a classifier; model '" + card.name()
          + "' is a segmentation model");
    }
    this.camLayer = pooledLayer(model.graph(), card.name());
    this.headWeights = model.graph().getLayer(ResNet50.OUTPUT).getParam("W").castTo(DataType.DOUBLE).dup();
    this.backend = InferenceEngine.openOnnxWithOutputs(model.graph(), threads, batchSize, camLayer);
  }

  /**
   * The layer whose activations feed {@link ResNet50#FEATURES} (global average pooling) when that pooling feeds
   * the output layer directly, the condition for {@link GradCam#pooledLinearHeadMaps} to be exact.
   */
  private static String pooledLayer(ComputationGraph graph, String name) {
    Map<String, List<String>> inputs = graph.getConfiguration().getVertexInputs();
    List<String> head = inputs.get(ResNet50.OUTPUT);
    List<String> pooled = inputs.get(ResNet50.FEATURES);
    if (head == null || pooled == null || !head.equals(List.of(ResNet50.FEATURES)) || pooled.size() != 1
        || graph.getLayer(ResNet50.OUTPUT).getParam("W") == null) {
      throw new IllegalArgumentException("Grad-CAM's fast path needs a ResNet-50 whose layer '" + ResNet50.OUTPUT
          + "' is one linear layer on the global average pooling '" + ResNet50.FEATURES + "'; model '" + name
          + "' has '" + ResNet50.OUTPUT + "' fed by " + head);
    }
    return pooled.get(0);
  }

  /** The network output {@code [N, labels]} and the Grad-CAM layer's activations {@code [N, C, h, w]} of a batch. */
  record Prediction(INDArray output, INDArray activations) {}

  /** Whether this screener makes Grad-CAM maps. */
  public boolean gradCam() {
    return camLayer != null;
  }

  /** The layer Grad-CAM explains (the last bottleneck), or null without Grad-CAM. */
  public String gradCamLayer() {
    return camLayer;
  }

  /**
   * Runs a batch {@code [N, 3, size, size]} and returns the output with the Grad-CAM layer's activations.
   *
   * @throws IllegalStateException when the screener was made without Grad-CAM
   */
  Prediction predictWithGradCam(INDArray batch) {
    if (camLayer == null) {
      throw new IllegalStateException("This screener was made without Grad-CAM");
    }
    OnnxRuntimeBackend onnx = (OnnxRuntimeBackend) backend;
    List<INDArray> out = onnx.run(batch, List.of(onnx.outputNames().get(0), camLayer));
    return new Prediction(out.get(0), out.get(1));
  }

  /**
   * The Grad-CAM map {@code [h, w]} in [0, 1] of each reported finding (in {@link ModelOutputs#labels()} order) for
   * row {@code row} of {@link #predictWithGradCam}'s activations; the class score is the head's logit
   * (binary: the {@code abnormal} column).
   */
  List<INDArray> heatMaps(INDArray activations, int row) {
    INDArray a = activations.get(NDArrayIndex.interval(row, row + 1), NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.all());
    return List.of(GradCam.pooledLinearHeadMaps(a, headWeights, outputs.columns()));
  }

  /** One image screened with its Grad-CAM maps, one per finding, and the model input {@code [1, 3, size, size]}. */
  record WithGradCam(ScreeningResult result, List<INDArray> maps, INDArray input) {}

  /** Screens one DICOM image and makes its Grad-CAM maps (see {@link #predictWithGradCam}). */
  WithGradCam screenWithGradCam(Path file) throws DicomReadException {
    FirstFrame image = DicomImages.readFirstFrame(file);
    INDArray input = preprocess(image, file);
    Prediction p = predictWithGradCam(input);
    return new WithGradCam(outputs.result(image.info().sopInstanceUid(), p.output(), 0), heatMaps(p.activations(), 0),
        input);
  }

  /** The model card's normalisation, to turn inputs back into pictures. */
  org.fundus4j.pipelines.preprocess.Normalization normalization() {
    return card.normalization();
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

  /**
   * {@inheritDoc} With Grad-CAM, one overlay per finding ({@link GradCamOverlays}, as {@code fundus screen --gradcam}
   * writes them) in {@code derivedDir}; without, none.
   */
  @Override
  public ImageScreener.Screening screen(Path dicomFile, Path derivedDir, UidGenerator uids) throws Exception {
    if (camLayer == null) {
      return new ImageScreener.Screening(screen(dicomFile), List.of());
    }
    WithGradCam cam = screenWithGradCam(dicomFile);
    if (overlays == null || overlayUids != uids) {
      overlays = new GradCamOverlays(uids, normalization(), camLayer);
      overlayUids = uids;
    }
    List<Finding> findings = cam.result().findings();
    return new ImageScreener.Screening(findings,
        overlays.write(dicomFile, cam.input(), 0, findings, cam.maps(), derivedDir));
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

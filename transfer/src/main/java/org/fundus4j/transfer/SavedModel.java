package org.fundus4j.transfer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.io.FileHashes;
import org.fundus4j.networks.LayerHelpers;
import org.fundus4j.networks.inference.QuantizationAwareTraining;
import org.fundus4j.networks.inference.StaticQuantization;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained model on disk: a folder holding {@code model.zip} (DL4J's format, stored, with updater state once it
 * trained, see {@link #writeGraph}) and
 * {@code model-card.json}.
 *
 * <pre>{@code
 * SavedModel.save(Path.of("out/model"), graph, card);
 * SavedModel loaded = SavedModel.load(Path.of("out/model"));
 * }</pre>
 */
public record SavedModel(ComputationGraph graph, ModelCard card) {

  public static final String WEIGHTS = "model.zip";
  public static final String CARD = "model-card.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Writes the model atomically: files go to temporary names first and are then moved into place. */
  public static void save(Path dir, ComputationGraph graph, ModelCard card) throws IOException {
    AtomicFiles.write(dir.resolve(WEIGHTS), stream -> writeGraph(graph, stream));
    writeCard(dir, card);
  }

  /**
   * Writes {@code graph} as {@link ModelSerializer#writeModel} does with its updater (entries
   * {@code configuration.json}, {@code coefficients.bin}, {@code updaterState.bin}), so that
   * {@link ModelSerializer#restoreComputationGraph} reads it, but stored instead of deflated: float weights barely
   * compress (a ResNet-50 with its Adam state: 271 MB deflated, 295 MB stored) and deflating them made a checkpoint
   * take 33 s instead of 5-6 s (2 cores, load 7). A graph that never trained has no updater yet; it is written
   * without one (DL4J starts a fresh one when it trains) instead of with 188 MB of zeros for ResNet-50's Adam.
   * Closes {@code out}. Model folders and checkpoints ({@link EarlyStoppingTrainer}) both use it.
   */
  public static void writeGraph(ComputationGraph graph, OutputStream out) throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(out, 1 << 20))) {
      zip.setLevel(Deflater.NO_COMPRESSION);
      zip.putNextEntry(new ZipEntry("configuration.json"));
      zip.write(graph.getConfiguration().toJson().getBytes(StandardCharsets.UTF_8));
      DataOutputStream data = new DataOutputStream(new BufferedOutputStream(zip, 1 << 20));
      zip.putNextEntry(new ZipEntry("coefficients.bin"));
      Nd4j.write(graph.params(), data);
      data.flush();
      ComputationGraphUpdater updater = graph.getUpdater(false);
      INDArray updaterState = updater == null ? null : updater.getStateViewArray();
      if (updaterState != null && updaterState.length() > 0) {
        zip.putNextEntry(new ZipEntry("updaterState.bin"));
        Nd4j.write(updaterState, data);
        data.flush();
      }
    }
  }

  /** Rewrites only the model card, e.g. after adding evaluation metrics. */
  public static void writeCard(Path dir, ModelCard card) throws IOException {
    AtomicFiles.write(dir.resolve(CARD), stream -> JSON.writeValue(stream, card));
  }

  /** File name of the int8 ONNX model that {@link #quantize} writes into a model folder. */
  public static final String INT8 = "model-int8.onnx";

  /**
   * Calibrates a static int8 quantisation of {@code model} on {@code calibration} (batches preprocessed as the
   * model's inputs, from its own training images), writes it to {@code dir/}{@value #INT8} (fundus4j's QDQ
   * export, {@link OnnxExportOptions#withInt8}) and records it in the folder's model card.
   *
   * @param calibrationData which images calibrated it, for the card
   * @return the updated card
   */
  public static ModelCard quantize(Path dir, SavedModel model, List<INDArray> calibration, String calibrationData,
      int threads) throws IOException {
    return quantize(dir, model, calibration, calibrationData, new StaticQuantization.Fallback(0.03, 0), threads);
  }

  /**
   * As {@link #quantize(Path, SavedModel, List, String, int)}, with the accuracy-driven fallback
   * ({@link StaticQuantization#quantize}): at most {@code fallback.maxFloatTensors()} tensors stay float32 to keep
   * {@code |p_int8 - p_fp32|} on the calibration images (or the share {@link StaticQuantization.Fallback#heldApart}
   * held apart from the fit, the card's {@code checkImages}) within {@code fallback.bound()}. The card records the
   * tensors kept, the difference measured and the bound (with {@code maxFloatTensors = 0} the all-int8 model is
   * only measured). The activation ranges are the best on the calibration images of
   * {@link StaticQuantization#SEARCHED} (min/max or a percentile); the card records which.
   */
  public static ModelCard quantize(Path dir, SavedModel model, List<INDArray> calibration, String calibrationData,
      StaticQuantization.Fallback fallback, int threads) throws IOException {
    return quantize(dir, model, calibration, calibrationData, fallback, null, List.of(), threads);
  }

  /**
   * As {@link #quantize(Path, SavedModel, List, String, StaticQuantization.Fallback, int)}, with quantisation-aware
   * training on {@code trainingBatches} if the all-int8 model misses the bound
   * ({@link StaticQuantization#quantize(org.deeplearning4j.nn.graph.ComputationGraph, List, StaticQuantization.Fallback,
   * int, List, QuantizationAwareTraining.Options, List)}): {@value #INT8} then holds the trained copy's weights
   * (the folder's float32 model is not changed) and the card records the training.
   *
   * @param aware training options; {@code null} or 0 epochs: none
   */
  public static ModelCard quantize(Path dir, SavedModel model, List<INDArray> calibration, String calibrationData,
      StaticQuantization.Fallback fallback, QuantizationAwareTraining.Options aware, List<INDArray> trainingBatches,
      int threads) throws IOException {
    StaticQuantization.Choice choice = StaticQuantization.quantize(model.graph(), calibration, fallback, threads,
        StaticQuantization.SEARCHED, aware, trainingBatches);
    ActivationRanges ranges = choice.ranges();
    Path file = dir.resolve(INT8);
    OnnxExporter.export(choice.graph(), file, choice.exportOptions(OnnxExportOptions.defaults()));
    String sha256 = FileHashes.sha256(file);
    ModelCard card = model.card().withQuantization(new ModelCard.Quantization(INT8,
        "ONNX QDQ; BatchNorm folded; convolution weights 8-bit per output channel, symmetric (uint8, zero point 128); biases int32; "
            + "inputs of convolutions, residual adds and pooling uint8 per tensor, asymmetric, except the tensors "
            + "kept in float32; dense layers float32",
        ranges.method(), ranges.images(), ranges.ranges().size(), calibrationData, sha256, choice.floatTensors(),
        choice.maxDifference(), fallback.bound(), choice.training(), choice.correction(),
        fallback.heldApart() > 0 ? choice.checkImages() : null));
    writeCard(dir, card);
    return card;
  }

  /**
   * Quantises a model folder written by {@link TransferRun} on its own training images: the first {@code images}
   * of the training part (fold 1) of its {@value TransferRun#SPLIT} ({@link #calibrationBatches}), then
   * {@link #quantize(Path, SavedModel, List, String, StaticQuantization.Fallback, int)}.
   *
   * <pre>{@code
   * ModelCard card = SavedModel.quantize(Path.of("runs/lp"), 64, StaticQuantization.Fallback.standard(), 2,
   *     new SkipReport());
   * card.quantization().missesBound();   // false: fundus screen --precision int8 --model runs/lp ...
   * }</pre>
   *
   * @param skips receives the calibration images that could not be read (each named with its reason)
   * @throws IOException if the folder is not a model folder or has no training split
   */
  public static ModelCard quantize(Path dir, int images, StaticQuantization.Fallback fallback, int threads,
      SkipReport skips) throws IOException {
    return quantize(dir, load(dir), images, fallback, threads, skips);
  }

  /**
   * As {@link #quantize(Path, SavedModel, int, StaticQuantization.Fallback, int, SkipReport)} with no tensor kept in
   * float32: the all-int8 model is only measured against the bound 0.03 (what the demo writes).
   */
  public static ModelCard quantize(Path dir, SavedModel model, int images, int threads, SkipReport skips)
      throws IOException {
    return quantize(dir, model, images, new StaticQuantization.Fallback(0.03, 0), threads, skips);
  }

  /** As {@link #quantize(Path, int, StaticQuantization.Fallback, int, SkipReport)}, for the folder's model in memory. */
  public static ModelCard quantize(Path dir, SavedModel model, int images, StaticQuantization.Fallback fallback,
      int threads, SkipReport skips) throws IOException {
    return quantize(dir, model, images, fallback, null, 0, threads, skips);
  }

  /**
   * As {@link #quantize(Path, int, StaticQuantization.Fallback, int, SkipReport)}, with quantisation-aware training
   * on the first {@code trainingImages} training images of the same split if the all-int8 model misses the bound.
   *
   * <pre>{@code
   * ModelCard card = SavedModel.quantize(Path.of("runs/lp"), 64, StaticQuantization.Fallback.standard(),
   *     QuantizationAwareTraining.Options.standard(), 360, 2, new SkipReport());
   * card.quantization().awareTraining().after();   // all-int8 max |P int8 - P fp32| after the training
   * }</pre>
   *
   * @param trainingImages images the training sees each epoch, the first of the split's training images; 0: all
   *     readable ones
   */
  public static ModelCard quantize(Path dir, int images, StaticQuantization.Fallback fallback,
      QuantizationAwareTraining.Options aware, int trainingImages, int threads, SkipReport skips) throws IOException {
    return quantize(dir, load(dir), images, fallback, aware, trainingImages, threads, skips);
  }

  private static ModelCard quantize(Path dir, SavedModel model, int images, StaticQuantization.Fallback fallback,
      QuantizationAwareTraining.Options aware, int trainingImages, int threads, SkipReport skips) throws IOException {
    List<INDArray> calibration = calibrationBatches(dir, model.card(), images, skips);
    int n = calibration.stream().mapToInt(b -> (int) b.size(0)).sum();
    List<INDArray> training = aware != null && aware.enabled()
        ? trainingBatches(dir, model.card(), trainingImages > 0 ? trainingImages : Integer.MAX_VALUE,
            trainingImages > 0, "quantisation-aware training", new SkipReport()) : List.of();
    StaticQuantization.Split split = StaticQuantization.Split.of(calibration, fallback.heldApart());
    String which = split.heldApart() ? String.format(java.util.Locale.ROOT, " (%d fitted on, the last %d held apart "
        + "to judge on)", n - split.checkImages(), split.checkImages()) : "";
    return quantize(dir, model, calibration, "the first " + n + " training images of " + TransferRun.SPLIT
        + " (fold 1)" + which + ", evaluation pipeline at " + model.card().inputSize() + " px", fallback, aware,
        training, threads);
  }

  /** Batch size of {@link #calibrationBatches}. */
  private static final int CALIBRATION_BATCH = 8;

  /**
   * Calibration batches from the model folder's own training images: the first {@code images} readable images of
   * the training part (fold 1) of its {@value TransferRun#SPLIT}, through the evaluation pipeline at the card's input
   * size and normalisation, as {@code fundus screen} preprocesses them.
   *
   * @throws IOException if the card records no training split, the split file is missing, or fewer than
   *     {@code images} training images could be read
   */
  public static List<INDArray> calibrationBatches(Path dir, ModelCard card, int images, SkipReport skips)
      throws IOException {
    return trainingBatches(dir, card, images, true, "calibration", skips);
  }

  /**
   * {@link #calibrationBatches}; with {@code exact} false, fewer readable images than asked for are no error;
   * {@code purpose} names them in errors.
   */
  private static List<INDArray> trainingBatches(Path dir, ModelCard card, int images, boolean exact, String purpose,
      SkipReport skips) throws IOException {
    if (images < 1) {
      throw new IllegalArgumentException("The " + purpose + " needs at least one image, got " + images);
    }
    if (card.training() == null || card.training().splitFile() == null) {
      throw new IOException("The model card in " + dir + " records no training split, so its own training images "
          + "are unknown; calibrate with SavedModel.quantize(dir, model, batches, ...) on batches of them");
    }
    Path split = dir.resolve(card.training().splitFile());
    if (!Files.isRegularFile(split)) {
      throw new IOException("The model's training split " + split + " is missing");
    }
    List<Sample> train = SplitFiles.readFolds(split).get(0).train();
    Task task = Task.ofCardName(card.task());
    int outputs = task.outputs(card.labels().size());
    List<INDArray> batches = new ArrayList<>();
    int n = 0;
    try (FundusDataSetIterator it = FundusDataSets.iterator(train, Pipelines.evaluation(card.inputSize(),
        card.normalization()), task.kind(), outputs, CALIBRATION_BATCH, skips, IteratorOptions.defaults())) {
      while (it.hasNext() && n < images) {
        INDArray x = it.next().getFeatures();
        if (n + x.size(0) > images) {
          x = x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, images - n)).dup();
        }
        batches.add(x);
        n += (int) x.size(0);
      }
    }
    if (exact && n < images || n == 0) {
      throw new IOException((exact ? images + " " + purpose + " images asked for" : purpose + " images asked for")
          + ", but " + split + " has " + n + " readable "
          + "training images (" + train.size() + " listed)");
    }
    return batches;
  }

  /** Reads a model folder written by {@link #save}. */
  public static SavedModel load(Path dir) throws IOException {
    Path weights = dir.resolve(WEIGHTS);
    Path card = dir.resolve(CARD);
    if (!Files.isRegularFile(weights) || !Files.isRegularFile(card)) {
      throw new IOException("Not a fundus4j model folder: " + dir + " (expected " + WEIGHTS + " and " + CARD + ")");
    }
    ModelCard modelCard = readCard(dir); // first: a broken card is cheaper to report than a restored graph
    ComputationGraph graph;
    try {
      graph = ModelSerializer.restoreComputationGraph(weights.toFile(), true);
    } catch (IOException | RuntimeException e) {
      throw new IOException("Cannot read " + weights + ": " + e.getMessage(), e);
    }
    LayerHelpers.installIfOneDnn(graph);
    return new SavedModel(graph, modelCard);
  }

  /**
   * Reads only the model card of a model folder.
   *
   * @throws IOException naming {@code model-card.json} and, for malformed JSON, the line and column
   */
  public static ModelCard readCard(Path dir) throws IOException {
    Path card = dir.resolve(CARD);
    try {
      return JSON.readValue(card.toFile(), ModelCard.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr() + ")";
      throw new IOException("Cannot read " + card + where + ": " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IOException("Cannot read " + card + ": " + e.getMessage(), e);
    }
  }
}

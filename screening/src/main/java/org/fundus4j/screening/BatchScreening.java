package org.fundus4j.screening;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fundus4j.io.FileHashes;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.FirstFrame;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.SrResult;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.Task;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Screens DICOM fundus photographs with a saved model and writes one output per image: a DICOM SR for a
 * classifier (binary or multi-label), a vessel mask PNG for a segmentation model.
 *
 * <p>Bad inputs (unreadable, not DICOM, no pixel data) get an error row naming the reason and the run
 * goes on; every input appears exactly once in the result. Outputs are named after the source's SOP Instance
 * UID plus the first 12 hex digits of the SHA-256 of the file's bytes, so two inputs never write one file; a
 * second input with a SOP Instance UID already screened in the run is not screened again and gets a
 * {@link ScreeningRow.Status#DUPLICATE duplicate} row naming both files. Images go through the
 * {@link Screener}'s pipeline (the model card's size and normalisation, no augmentation).
 *
 * <pre>{@code
 * try (BatchScreening screening = new BatchScreening(SavedModel.load(modelDir), UidGenerator.uuidDerived())) {
 *   List<ScreeningRow> rows = screening.run(BatchScreening.expand(List.of(folder)), outDir, done -> {});
 *   BatchScreening.writeCsv(rows, screening.outputs(), outDir.resolve("summary.csv"));
 * }
 * }</pre>
 */
public final class BatchScreening implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BatchScreening.class);

  private final Screener screener;
  private final ScreeningReportWriter reports;
  private final int decodeThreads;
  private final GradCamOverlays overlays;
  private org.fundus4j.dicom.sr.ResultWriter results;
  private Path resultsDir;

  /** Screens with ONNX Runtime on fundus4j's export of the model, 2 threads, batches of 8. */
  public BatchScreening(SavedModel model, UidGenerator uids) throws IOException {
    this(model, uids, InferenceEngine.ONNX, 2, 8);
  }

  /**
   * Screens with the given engine.
   *
   * @param threads inference threads, and threads that decode and preprocess images ahead of inference
   * @param batchSize images per inference call
   * @throws IllegalArgumentException when the model card's task or labels cannot be screened
   */
  public BatchScreening(SavedModel model, UidGenerator uids, InferenceEngine engine, int threads, int batchSize)
      throws IOException {
    this(model, null, uids, engine, org.fundus4j.networks.inference.Precision.FP32, threads, batchSize);
  }

  /**
   * Screens the model saved in {@code modelDir} at {@code precision} ({@code int8}: the folder's int8 ONNX
   * model, see {@link InferenceEngine#open(SavedModel, Path, org.fundus4j.networks.inference.Precision, int, int)}).
   */
  public BatchScreening(SavedModel model, Path modelDir, UidGenerator uids, InferenceEngine engine,
      org.fundus4j.networks.inference.Precision precision, int threads, int batchSize) throws IOException {
    this(model, modelDir, uids, engine, precision, threads, batchSize, false);
  }

  /**
   * Screens as above and, with {@code gradCam}, also writes per image and finding a Grad-CAM overlay into
   * {@code outDir/gradcam/<SR name>/} ({@link ScreeningReportWriter#derivedImagesFolder}): a PNG and a DICOM Secondary Capture in the source's study, which the image's SR
   * references ({@link GradCamOverlays}; maps from the fast path of
   * {@link Screener#Screener(SavedModel, Path, InferenceEngine, org.fundus4j.networks.inference.Precision, int, int, boolean)}).
   */
  public BatchScreening(SavedModel model, Path modelDir, UidGenerator uids, InferenceEngine engine,
      org.fundus4j.networks.inference.Precision precision, int threads, int batchSize, boolean gradCam)
      throws IOException {
    this.screener = new Screener(model, modelDir, engine, precision, threads, batchSize, gradCam);
    this.reports = new ScreeningReportWriter(screener.algorithm(), uids);
    this.overlays = gradCam ? new GradCamOverlays(uids, screener.normalization(), screener.gradCamLayer()) : null;
    this.decodeThreads = threads;
  }

  /**
   * Also writes each screened image's result with {@code writer} into {@code dir} (e.g. a FHIR Bundle per
   * image, {@code fundus screen --fhir DIR}), named like the SR. A result that cannot be written makes the
   * image's row an error naming the reason.
   */
  public void writeResults(org.fundus4j.dicom.sr.ResultWriter writer, Path dir) {
    this.results = java.util.Objects.requireNonNull(writer, "writer");
    this.resultsDir = java.util.Objects.requireNonNull(dir, "dir");
  }

  /** The engine in use, e.g. {@code onnxruntime} or {@code dl4j}. */
  public String engine() {
    return screener.engine();
  }

  /** Name and version of the model, as written into the SRs. */
  public org.fundus4j.dicom.sr.AlgorithmId algorithm() {
    return screener.algorithm();
  }

  /** What the model's outputs mean: the labels of the summary's columns. */
  public ModelOutputs outputs() {
    return screener.outputs();
  }

  @Override
  public void close() {
    screener.close();
  }

  /** Every regular file under the given files and folders, folders walked recursively, in path order. */
  public static List<Path> expand(List<Path> inputs) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path input : inputs) {
      if (Files.isDirectory(input)) {
        try (Stream<Path> walk = Files.walk(input)) {
          walk.filter(Files::isRegularFile).sorted().forEach(files::add);
        }
      } else {
        files.add(input);
      }
    }
    return files;
  }

  /** One input after decoding and preprocessing, or the error row it ended in. */
  private record Decoded(int index, Path file, String uid, String contentHash, INDArray input, ScreeningRow error) {}

  /**
   * Screens each file, writing SRs into {@code outDir/sr} (vessel masks into {@code outDir/masks});
   * {@code progress} gets the count done so far.
   *
   * <p>Decoding and preprocessing run on worker threads ahead of inference, which runs in batches; rows
   * come back in input order.
   */
  public List<ScreeningRow> run(List<Path> files, Path outDir, IntConsumer progress) throws IOException {
    boolean segmentation = screener.outputs().task() == Task.SEGMENTATION;
    Path target = Files.createDirectories(outDir.resolve(segmentation ? "masks" : "sr"));
    ScreeningRow[] rows = new ScreeningRow[files.size()];
    Map<String, Path> firstByUid = new HashMap<>();
    int[] done = {0};
    ExecutorService decoders = Executors.newFixedThreadPool(decodeThreads, r -> {
      Thread t = new Thread(r, "fundus4j-decode");
      t.setDaemon(true);
      return t;
    });
    try {
      Deque<Future<Decoded>> window = new ArrayDeque<>();
      List<Decoded> batch = new ArrayList<>();
      int submitted = 0;
      int ahead = 2 * screener.batchSize() + decodeThreads;
      while (submitted < files.size() || !window.isEmpty()) {
        while (submitted < files.size() && window.size() < ahead) {
          int index = submitted++;
          Path file = files.get(index);
          window.add(decoders.submit(() -> decode(index, file)));
        }
        Decoded d = join(window.poll());
        Path first = d.error() == null && !d.uid().isEmpty() ? firstByUid.putIfAbsent(d.uid(), d.file()) : null;
        if (d.error() != null) {
          finish(rows, d.index(), d.error(), done, progress);
        } else if (first != null) {
          finish(rows, d.index(), new ScreeningRow(d.file(), d.uid(), ScreeningRow.Status.DUPLICATE, null, null,
              "duplicate: " + d.file() + " has the SOP Instance UID of " + first
                  + ", screened earlier in this run; not screened twice"), done, progress);
        } else {
          batch.add(d);
        }
        if (batch.size() == screener.batchSize() || (window.isEmpty() && !batch.isEmpty())) {
          screenBatch(batch, target, rows, done, progress);
          batch.clear();
        }
      }
    } finally {
      decoders.shutdownNow();
    }
    List<ScreeningRow> result = List.of(rows);
    long screened = result.stream().filter(r -> r.status() == ScreeningRow.Status.SCREENED).count();
    long duplicates = result.stream().filter(r -> r.status() == ScreeningRow.Status.DUPLICATE).count();
    LOG.info("Screened {} files with {}: {} outputs written, {} duplicates, {} errors", rows.length,
        screener.engine(), screened, duplicates, rows.length - screened - duplicates);
    return result;
  }

  private static void finish(ScreeningRow[] rows, int index, ScreeningRow row, int[] done, IntConsumer progress) {
    rows[index] = row;
    progress.accept(++done[0]);
  }

  private static Decoded join(Future<Decoded> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("Screening interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("Decoding task failed unexpectedly", e.getCause());
    }
  }

  private Decoded decode(int index, Path file) {
    FirstFrame image;
    try {
      image = DicomImages.readFirstFrame(file);
    } catch (DicomReadException e) {
      return new Decoded(index, file, "", "", null, ScreeningRow.error(file, "", e.getMessage()));
    } catch (RuntimeException e) {
      return new Decoded(index, file, "", "", null, ScreeningRow.error(file, "", "cannot read " + file + ": " + e));
    }
    String uid = image.info().sopInstanceUid();
    try {
      String hash = FileHashes.sha256(file);
      return new Decoded(index, file, uid, hash, screener.preprocess(image, file), null);
    } catch (IOException e) {
      return new Decoded(index, file, uid, "", null, ScreeningRow.error(file, uid, e.getMessage()));
    } catch (RuntimeException e) {
      return new Decoded(index, file, uid, "", null,
          ScreeningRow.error(file, uid, "cannot preprocess " + file + ": " + e));
    }
  }

  private void screenBatch(List<Decoded> batch, Path target, ScreeningRow[] rows, int[] done, IntConsumer progress) {
    INDArray output;
    INDArray activations = null;
    try {
      INDArray inputs = Nd4j.concat(0, batch.stream().map(Decoded::input).toArray(INDArray[]::new));
      if (overlays != null) {
        Screener.Prediction p = screener.predictWithGradCam(inputs);
        output = p.output();
        activations = p.activations();
      } else {
        output = screener.predict(inputs);
      }
    } catch (RuntimeException e) {
      for (Decoded d : batch) {
        finish(rows, d.index(), ScreeningRow.error(d.file(), d.uid(), "model failed on " + d.file() + ": " + e),
            done, progress);
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Decoded d = batch.get(i);
      finish(rows, d.index(), write(d, output, activations, i, target), done, progress);
    }
  }

  private ScreeningRow write(Decoded d, INDArray output, INDArray activations, int row, Path target) {
    ScreeningResult result;
    try {
      result = screener.outputs().result(d.uid(), output, row);
    } catch (RuntimeException e) {
      return ScreeningRow.error(d.file(), d.uid(), "model output unusable for " + d.file() + ": " + e.getMessage());
    }
    String name = outputName(d.uid(), d.contentHash());
    try {
      if (result.vessels() != null) {
        Path png = target.resolve(name + ".png");
        if (!ImageIO.write(result.vessels().mask(), "png", png.toFile())) {
          throw new IOException("no PNG writer");
        }
        return new ScreeningRow(d.file(), d.uid(), ScreeningRow.Status.SCREENED, result, png, null);
      }
      List<org.fundus4j.dicom.DerivedImage> derived = List.of();
      if (overlays != null) {
        derived = overlays.write(d.file(), d.input(), 0, result.findings(), screener.heatMaps(activations, row),
            ScreeningReportWriter.derivedImagesFolder(target.resolve(name + ".dcm")));
      }
      SrResult sr = reports.write(d.file(), result.findings(), derived, target.resolve(name + ".dcm"));
      if (results != null) {
        Files.createDirectories(resultsDir);
        java.util.Map<org.fundus4j.dicom.sr.CodedConcept, Boolean> calls = new java.util.LinkedHashMap<>();
        for (org.fundus4j.dicom.sr.Finding f : result.findings()) {
          if (f.call() != null) {
            calls.put(f.concept(), f.call() == org.fundus4j.dicom.sr.Finding.Call.PRESENT);
          }
        }
        results.write(d.file(), result.findings(), sr.sopInstanceUid(), screener.algorithm(), calls,
            resultsDir.resolve(name + results.fileSuffix()));
      }
      return new ScreeningRow(d.file(), d.uid(), ScreeningRow.Status.SCREENED, result, sr.file(), null);
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot write the output for source {}: {}", LogSafe.shortHash(d.uid()), e.toString());
      return ScreeningRow.error(d.file(), d.uid(), "cannot write the output for " + d.file() + ": " + e.getMessage());
    }
  }

  /**
   * The output file name (without extension) of a source: its UID's digits and dots, a dash and the first 12 hex
   * digits of the SHA-256 of the source file, e.g. {@code 1.2.3.4-9f86d081884c}; distinct for two files that share
   * a UID but differ in a byte (another transfer syntax, a camera reusing UIDs).
   */
  static String outputName(String uid, String contentHash) {
    String clean = uid.replaceAll("[^0-9.]", "_");
    return (clean.isEmpty() ? "unknown" : clean) + "-" + contentHash.substring(0, 12);
  }

  /**
   * Writes the summary as CSV: {@code file, sop_instance_uid, status}, then per reported label
   * {@code <label>_probability, <label>_call} (classifiers) or {@code vessel_density} (segmentation), then
   * {@code output, reason}. Calls are {@code present}, {@code absent}, or empty without an operating point.
   */
  public static void writeCsv(List<ScreeningRow> rows, ModelOutputs outputs, Path csv) throws IOException {
    boolean segmentation = outputs.task() == Task.SEGMENTATION;
    List<String> header = new ArrayList<>(List.of("file", "sop_instance_uid", "status"));
    if (segmentation) {
      header.add("vessel_density");
    } else {
      for (String label : outputs.labels()) {
        header.add(label + "_probability");
        header.add(label + "_call");
      }
    }
    header.add("output");
    header.add("reason");
    List<List<String>> lines = new ArrayList<>();
    for (ScreeningRow row : rows) {
      List<String> cells = new ArrayList<>(List.of(row.file().toString(), row.sopInstanceUid(),
          row.status().name().toLowerCase(Locale.ROOT)));
      ScreeningResult r = row.result();
      if (segmentation) {
        cells.add(r == null ? "" : String.format(Locale.ROOT, "%.6f", r.vessels().density()));
      } else {
        for (int i = 0; i < outputs.labels().size(); i++) {
          Finding f = r == null ? null : r.findings().get(i);
          cells.add(f == null ? "" : String.format(Locale.ROOT, "%.6f", f.probability()));
          cells.add(f == null || f.call() == null ? "" : f.call().name().toLowerCase(Locale.ROOT));
        }
      }
      cells.add(row.output() == null ? "" : row.output().toString());
      cells.add(row.reason() == null ? "" : row.reason());
      lines.add(cells);
    }
    // one CSV format (quoting) and one atomic write: a full disk leaves no partial summary
    org.fundus4j.pipelines.Csv.write(csv, header, lines);
  }


}

package org.fundus4j.samples.screening;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.FirstFrame;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.SrResult;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.networks.inference.InferenceBackend;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.ScalableImage;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Screens DICOM fundus photographs with a saved binary model and writes one DICOM SR per image.
 *
 * <p>Bad inputs (unreadable, not DICOM, no pixel data) get an error row naming the reason and the run
 * goes on; every input appears exactly once in the result. Images go through the model's evaluation
 * pipeline (no augmentation) at the model card's input size.
 *
 * <pre>{@code
 * BatchScreening screening = new BatchScreening(SavedModel.load(modelDir), UidGenerator.uuidDerived());
 * List<ScreeningRow> rows = screening.run(BatchScreening.expand(List.of(folder)), outDir, done -> {});
 * BatchScreening.writeCsv(rows, outDir.resolve("summary.csv"));
 * }</pre>
 */
public final class BatchScreening implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BatchScreening.class);

  private final ModelCard card;
  private final int abnormalColumn;
  private final FundusPipeline pipeline;
  private final ScreeningReportWriter reports;
  private final InferenceBackend backend;
  private final int decodeThreads;

  /** Screens with ONNX Runtime on fundus4j's export of the model, 2 threads, batches of 8. */
  public BatchScreening(SavedModel model, UidGenerator uids) throws IOException {
    this(model, uids, InferenceEngine.ONNX, 2, 8);
  }

  /**
   * Screens with the given engine.
   *
   * @param threads inference threads, and threads that decode and preprocess images ahead of inference
   * @param batchSize images per inference call
   */
  public BatchScreening(SavedModel model, UidGenerator uids, InferenceEngine engine, int threads, int batchSize)
      throws IOException {
    this.card = model.card();
    if (!"binary".equals(card.task())) {
      throw new IllegalArgumentException("Screening needs a binary normal/abnormal model, got task '"
          + card.task() + "' in model '" + card.name() + "'");
    }
    this.abnormalColumn = card.labels().indexOf("abnormal");
    if (abnormalColumn < 0) {
      throw new IllegalArgumentException("Model card of '" + card.name() + "' has no 'abnormal' label: "
          + card.labels());
    }
    if (threads < 1 || batchSize < 1) {
      throw new IllegalArgumentException("threads and batch size must be >= 1, got " + threads + ", " + batchSize);
    }
    this.pipeline = Pipelines.evaluation(card.inputSize());
    this.reports = new ScreeningReportWriter(algorithm(), uids);
    this.backend = engine.open(model.graph(), threads, batchSize);
    this.decodeThreads = threads;
  }

  /** The engine in use, e.g. {@code onnxruntime} or {@code dl4j}. */
  public String engine() {
    return backend.name();
  }

  @Override
  public void close() {
    try {
      backend.close();
    } catch (Exception e) {
      LOG.warn("Closing the {} backend failed: {}", backend.name(), e.toString());
    }
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
  private record Decoded(int index, Path file, String uid, INDArray input, ScreeningRow error) {}

  /**
   * Screens each file, writing SRs into {@code outDir/sr}; {@code progress} gets the count done so far.
   *
   * <p>Decoding and preprocessing run on worker threads ahead of inference, which runs in batches; rows
   * come back in input order.
   */
  public List<ScreeningRow> run(List<Path> files, Path outDir, IntConsumer progress) throws IOException {
    Path srDir = Files.createDirectories(outDir.resolve("sr"));
    ScreeningRow[] rows = new ScreeningRow[files.size()];
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
      int ahead = 2 * backend.batchSize() + decodeThreads;
      while (submitted < files.size() || !window.isEmpty()) {
        while (submitted < files.size() && window.size() < ahead) {
          int index = submitted++;
          Path file = files.get(index);
          window.add(decoders.submit(() -> decode(index, file)));
        }
        Decoded d = join(window.poll());
        if (d.error() != null) {
          finish(rows, d.index(), d.error(), done, progress);
        } else {
          batch.add(d);
        }
        if (batch.size() == backend.batchSize() || (window.isEmpty() && !batch.isEmpty())) {
          screenBatch(batch, srDir, rows, done, progress);
          batch.clear();
        }
      }
    } finally {
      decoders.shutdownNow();
    }
    List<ScreeningRow> result = List.of(rows);
    long failed = result.stream().filter(r -> r.status() == ScreeningRow.Status.ERROR).count();
    LOG.info("Screened {} files with {}: {} SRs written, {} errors", rows.length, backend.name(),
        rows.length - failed, failed);
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
      return new Decoded(index, file, "", null, ScreeningRow.error(file, "", e.getMessage()));
    } catch (RuntimeException e) {
      return new Decoded(index, file, "", null, ScreeningRow.error(file, "", "cannot read " + file + ": " + e));
    }
    String uid = image.info().sopInstanceUid();
    try {
      return new Decoded(index, file, uid, pipeline.apply(ScalableImage.of(image, file.toString()), 0), null);
    } catch (IOException | RuntimeException e) {
      return new Decoded(index, file, uid, null,
          ScreeningRow.error(file, uid, "cannot preprocess " + file + ": " + e));
    }
  }

  private void screenBatch(List<Decoded> batch, Path srDir, ScreeningRow[] rows, int[] done, IntConsumer progress) {
    INDArray probabilities;
    try {
      probabilities = backend.predict(Nd4j.concat(0, batch.stream().map(Decoded::input).toArray(INDArray[]::new)));
    } catch (RuntimeException e) {
      for (Decoded d : batch) {
        finish(rows, d.index(), ScreeningRow.error(d.file(), d.uid(), "model failed on " + d.file() + ": " + e),
            done, progress);
      }
      return;
    }
    for (int i = 0; i < batch.size(); i++) {
      Decoded d = batch.get(i);
      finish(rows, d.index(), report(d.file(), d.uid(), probabilities.getDouble(i, abnormalColumn), srDir), done,
          progress);
    }
  }

  private ScreeningRow report(Path file, String uid, double probability, Path srDir) {
    try {
      Path srFile = srDir.resolve(safeName(uid) + ".dcm");
      SrResult sr = reports.write(file, List.of(new Finding(Findings.ABNORMAL_FUNDUS, probability)), srFile);
      return new ScreeningRow(file, uid, ScreeningRow.Status.SCREENED, probability, sr.file(), null);
    } catch (IOException | RuntimeException e) {
      return ScreeningRow.error(file, uid, "cannot write SR for " + file + ": " + e.getMessage());
    }
  }

  /**
   * The model's probability of "abnormal" for one DICOM file, through the evaluation pipeline; the one
   * per-image step shared by batch screening and {@link ModelScreener}.
   *
   * @throws DicomReadException when the file cannot be read or decoded (the message names the file)
   */
  double abnormalProbability(Path file) throws DicomReadException {
    INDArray input;
    try {
      input = pipeline.apply(ScalableImage.of(DicomImages.readFirstFrame(file), file.toString()), 0);
    } catch (DicomReadException e) {
      throw e;
    } catch (IOException e) {
      throw new DicomReadException(file, "cannot decode the image: " + e.getMessage(), e);
    }
    return backend.predict(input).getDouble(0, abnormalColumn);
  }

  /** Name and version of the model, as written into the SRs. */
  AlgorithmId algorithm() {
    return new AlgorithmId(card.name(), card.version());
  }

  /** A file name made of the UID's digits and dots only. */
  static String safeName(String uid) {
    String clean = uid.replaceAll("[^0-9.]", "_");
    return clean.isEmpty() ? "unknown" : clean;
  }

  /** Writes the summary as CSV (file, sop_instance_uid, status, probability, sr_file, reason), complete or not at all. */
  public static void writeCsv(List<ScreeningRow> rows, Path csv) throws IOException {
    AtomicFiles.write(csv, stream -> {
      Writer out = new java.io.OutputStreamWriter(stream, java.nio.charset.StandardCharsets.UTF_8);
      out.write("file,sop_instance_uid,status,probability,sr_file,reason\n");
      for (ScreeningRow row : rows) {
        out.write(String.join(",", quote(row.file().toString()), quote(row.sopInstanceUid()),
            row.status().name().toLowerCase(Locale.ROOT),
            Double.isNaN(row.probability()) ? "" : String.format(Locale.ROOT, "%.6f", row.probability()),
            quote(row.srFile() == null ? "" : row.srFile().toString()),
            quote(row.reason() == null ? "" : row.reason())) + "\n");
      }
      out.flush();
    });
  }

  private static String quote(String text) {
    if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
      return "\"" + text.replace("\"", "\"\"").replace("\n", " ") + "\"";
    }
    return text;
  }
}

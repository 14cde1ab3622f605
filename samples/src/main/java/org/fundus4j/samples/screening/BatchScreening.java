package org.fundus4j.samples.screening;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.FundusImage;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.SrResult;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.nd4j.linalg.api.ndarray.INDArray;
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
public final class BatchScreening {

  private static final Logger LOG = LoggerFactory.getLogger(BatchScreening.class);

  private final ComputationGraph graph;
  private final ModelCard card;
  private final int abnormalColumn;
  private final FundusPipeline pipeline;
  private final ScreeningReportWriter reports;

  public BatchScreening(SavedModel model, UidGenerator uids) {
    this.graph = model.graph();
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
    this.pipeline = Pipelines.evaluation(card.inputSize());
    this.reports = new ScreeningReportWriter(algorithm(), uids);
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

  /**
   * Screens each file, writing SRs into {@code outDir/sr}; {@code progress} gets the count done so far.
   */
  public List<ScreeningRow> run(List<Path> files, Path outDir, IntConsumer progress) throws IOException {
    Path srDir = Files.createDirectories(outDir.resolve("sr"));
    List<ScreeningRow> rows = new ArrayList<>();
    for (Path file : files) {
      rows.add(screen(file, srDir));
      progress.accept(rows.size());
    }
    long failed = rows.stream().filter(r -> r.status() == ScreeningRow.Status.ERROR).count();
    LOG.info("Screened {} files: {} SRs written, {} errors", rows.size(), rows.size() - failed, failed);
    return rows;
  }

  private ScreeningRow screen(Path file, Path srDir) {
    FundusImage image;
    try {
      image = DicomImages.read(file);
    } catch (DicomReadException e) {
      return ScreeningRow.error(file, "", e.getMessage());
    } catch (RuntimeException e) {
      return ScreeningRow.error(file, "", "cannot read " + file + ": " + e);
    }
    String uid = image.info().sopInstanceUid();
    double probability;
    try {
      probability = abnormalProbability(image);
    } catch (RuntimeException e) {
      return ScreeningRow.error(file, uid, "model failed on " + file + ": " + e);
    }
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
    return abnormalProbability(DicomImages.read(file));
  }

  private double abnormalProbability(FundusImage image) {
    INDArray input = pipeline.apply(image.rgb());
    return graph.outputSingle(false, input).getDouble(0, abnormalColumn);
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

  /** Writes the summary as CSV: file, sop_instance_uid, status, probability, sr_file, reason. */
  public static void writeCsv(List<ScreeningRow> rows, Path csv) throws IOException {
    try (Writer out = Files.newBufferedWriter(csv)) {
      out.write("file,sop_instance_uid,status,probability,sr_file,reason\n");
      for (ScreeningRow row : rows) {
        out.write(String.join(",", quote(row.file().toString()), quote(row.sopInstanceUid()),
            row.status().name().toLowerCase(Locale.ROOT),
            Double.isNaN(row.probability()) ? "" : String.format(Locale.ROOT, "%.6f", row.probability()),
            quote(row.srFile() == null ? "" : row.srFile().toString()),
            quote(row.reason() == null ? "" : row.reason())) + "\n");
      }
    }
  }

  private static String quote(String text) {
    if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
      return "\"" + text.replace("\"", "\"\"").replace("\n", " ") + "\"";
    }
    return text;
  }
}

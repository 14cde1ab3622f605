package org.fundus4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.samples.Progress;
import org.fundus4j.samples.screening.BatchScreening;
import org.fundus4j.samples.screening.InferenceEngine;
import org.fundus4j.samples.screening.ScreeningRow;
import org.fundus4j.transfer.SavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fundus screen}: batch screening of DICOM files into one SR per image plus a summary CSV. */
@Command(name = "screen", mixinStandardHelpOptions = true,
    description = {"Screens DICOM fundus photographs with a saved model; writes one DICOM SR per decodable image "
        + "into OUT/sr and OUT/summary.csv (file, SOP instance UID, status, probability, SR file, reason).",
        "Bad files get an error row and the run goes on; exits non-zero only when no file could be screened."})
final class ScreenCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model folder (model.zip + model-card.json)")
  Path model;

  @Option(names = "--out", required = true, description = "Output folder")
  Path out;

  @Option(names = "--uid-root", description = "Organisation UID root for new UIDs (default: UUID-derived 2.25.)")
  String uidRoot;

  @Option(names = "--engine", defaultValue = "onnx", paramLabel = "onnx|dl4j",
      description = "Inference engine: ONNX Runtime on fundus4j's export, or DL4J (default: ${DEFAULT-VALUE})")
  String engine;

  @Option(names = "--threads", defaultValue = "2", description = "Inference and decoding threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--batch", defaultValue = "8", description = "Images per inference call (default: ${DEFAULT-VALUE})")
  int batch;

  @Parameters(arity = "1..*", paramLabel = "DIR|FILE", description = "DICOM files or folders (recursive)")
  List<Path> inputs;

  @Override
  public Integer call() throws Exception {
    SavedModel saved = SavedModel.load(model);
    UidGenerator uids = uidRoot == null ? UidGenerator.uuidDerived() : UidGenerator.withRoot(uidRoot);
    List<Path> files = BatchScreening.expand(inputs);
    Files.createDirectories(out);
    List<ScreeningRow> rows;
    long started;
    String engineName;
    try (BatchScreening screening = new BatchScreening(saved, uids, InferenceEngine.parse(engine), threads, batch);
        Progress bar = new ProgressBars().start("screening", files.size())) {
      engineName = screening.engine();
      started = System.nanoTime();
      rows = screening.run(files, out, bar::stepTo);
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    Path csv = out.resolve("summary.csv");
    long ok = rows.stream().filter(r -> r.status() == ScreeningRow.Status.SCREENED).count();
    for (ScreeningRow row : rows) {
      if (row.status() == ScreeningRow.Status.ERROR) {
        System.out.println("ERROR  " + row.file() + ": " + row.reason());
      }
    }
    BatchScreening.writeCsv(rows, csv); // printed first: a full disk must not hide the per-file results
    System.out.printf(Locale.ROOT, "%d files: %d screened (SRs in %s), %d errors; summary %s%n", rows.size(), ok,
        out.resolve("sr"), rows.size() - ok, csv);
    System.out.printf(Locale.ROOT, "%.1f s, %.2f images/s end to end (decode, preprocess, %s inference, SR)%n",
        seconds, rows.size() / seconds, engineName);
    return ok > 0 ? 0 : 1;
  }
}

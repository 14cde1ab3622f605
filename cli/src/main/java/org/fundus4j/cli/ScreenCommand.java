package org.fundus4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.store.RetrieveMethod;
import org.fundus4j.dicom.store.StudyPuller;
import org.fundus4j.screening.BatchScreening;
import org.fundus4j.screening.InferenceEngine;
import org.fundus4j.screening.ModelOutputs;
import org.fundus4j.screening.ScreeningRow;
import org.fundus4j.screening.StudyScreening;
import org.fundus4j.transfer.Progress;
import org.fundus4j.fhir.FhirBundleWriter;
import org.fundus4j.networks.inference.Precision;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.Task;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code fundus screen}: batch screening of DICOM files into one SR per image plus a summary CSV; with
 * {@code --pacs}/{@code --dicomweb} and {@code --study}, from the PACS study and back.
 */
@Command(name = "screen", mixinStandardHelpOptions = true,
    description = {"Screens DICOM fundus photographs with a saved model (binary, multi-label or vessel segmentation); "
        + "writes one DICOM SR per decodable image into OUT/sr (a vessel mask PNG into OUT/masks for segmentation) "
        + "and OUT/summary.csv (file, SOP instance UID, status, a probability and a call column per label, output, "
        + "reason).",
        "With --pacs AE@HOST:PORT (or --dicomweb URL) and --study UID...: pulls each study into OUT/store "
            + "(resumable), screens it, and sends the SRs back by C-STORE (STOW-RS); a re-run sends nothing twice.",
        "Bad files get an error row, a second file with a SOP Instance UID already screened a duplicate row, and "
            + "the run goes on; exits non-zero only when no file could be screened."})
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

  @Option(names = "--precision", defaultValue = "fp32", paramLabel = "fp32|int8",
      description = "fp32, or int8: the model folder's static int8 ONNX model (ONNX Runtime; default: ${DEFAULT-VALUE})")
  String precision;

  @Option(names = "--threads", defaultValue = "2", description = "Inference and decoding threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--batch", defaultValue = "8", description = "Images per inference call (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--gradcam",
      description = "Also write per image and finding a Grad-CAM overlay into OUT/gradcam/<SR name>: a PNG and a"
          + " DICOM Secondary Capture in the source's study, referenced from the SR and, with --study, sent back with"
          + " it (ONNX Runtime, fp32)")
  boolean gradCam;

  @Option(names = "--fhir", paramLabel = "DIR",
      description = "Also write one FHIR R4 transaction Bundle per screened image (DiagnosticReport + Observations)"
          + " into DIR")
  Path fhir;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  PacsCommand.Peer peer;

  @Option(names = "--study", arity = "1..*", paramLabel = "UID",
      description = "Study Instance UIDs to pull from --pacs/--dicomweb, screen and send back")
  List<String> studies;

  @Mixin
  PacsCommand.Retrieval retrieval = new PacsCommand.Retrieval();

  @Option(names = "--timeout", defaultValue = "30", paramLabel = "SECONDS",
      description = "Give up when the PACS has been silent this long (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Parameters(arity = "0..*", paramLabel = "DIR|FILE", description = "DICOM files or folders (recursive)")
  List<Path> inputs;

  @Override
  public Integer call() throws Exception {
    boolean fromPacs = peer != null || studies != null;
    if (fromPacs && (peer == null || studies == null || inputs != null)) {
      throw new IllegalArgumentException("screening from a PACS needs --pacs AE@host:port or --dicomweb URL, and "
          + "--study UID..., and no input files");
    }
    if (!fromPacs && inputs == null) {
      throw new IllegalArgumentException("give DICOM files or folders, or --pacs/--dicomweb with --study UID...");
    }
    SavedModel saved = SavedModel.load(model);
    UidGenerator uids = uidRoot == null ? UidGenerator.uuidDerived() : UidGenerator.withRoot(uidRoot);
    Files.createDirectories(out);
    List<ScreeningRow> rows = new ArrayList<>();
    long started;
    String engineName;
    ModelOutputs outputs;
    try (BatchScreening screening = new BatchScreening(saved, model, uids, InferenceEngine.parse(engine),
        Precision.parse(precision), threads, batch, gradCam)) {
      engineName = screening.engine() + " " + Precision.parse(precision).name().toLowerCase(Locale.ROOT);
      if (fhir != null) {
        screening.writeResults(new FhirBundleWriter(), fhir);
      }
      outputs = screening.outputs();
      started = System.nanoTime();
      if (fromPacs) {
        if (outputs.task() == Task.SEGMENTATION) {
          throw new IllegalArgumentException("--study: a segmentation model makes vessel masks, no SRs to send back");
        }
        for (StudyScreening.Summary s : fromPacs(screening)) {
          rows.addAll(s.rows());
          System.out.printf(Locale.ROOT, "study %s: found %d, retrieved %d, failed %d; screened %d; SRs sent %d, "
              + "already sent %d, not accepted %d%n", s.pull().studyInstanceUid(), s.pull().found(),
              s.pull().retrieved(), s.pull().failed(), s.rows().size(), s.sent(), s.alreadySent(), s.failedToSend());
          if (s.failedToSend() > 0 || s.pull().failed() > 0) {
            return 1;
          }
        }
      } else {
        List<Path> files = BatchScreening.expand(inputs);
        try (Progress bar = new ProgressBars().start("screening", files.size())) {
          rows.addAll(screening.run(files, out, bar::stepTo));
        }
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    Path csv = out.resolve("summary.csv");
    long ok = rows.stream().filter(r -> r.status() == ScreeningRow.Status.SCREENED).count();
    long duplicates = rows.stream().filter(r -> r.status() == ScreeningRow.Status.DUPLICATE).count();
    for (ScreeningRow row : rows) {
      if (row.status() == ScreeningRow.Status.ERROR) {
        System.out.println("ERROR  " + row.file() + ": " + row.reason());
      } else if (row.status() == ScreeningRow.Status.DUPLICATE) {
        System.out.println("DUPLICATE  " + row.reason());
      }
    }
    BatchScreening.writeCsv(rows, outputs, csv);
    System.out.printf(Locale.ROOT, "%d files: %d screened (outputs in %s%s), %d duplicates, %d errors; summary %s%n",
        rows.size(), ok, out.resolve(outputs.task() == Task.SEGMENTATION ? "masks" : "sr"),
        fhir == null ? "" : ", FHIR Bundles in " + fhir, duplicates,
        rows.size() - ok - duplicates, csv);
    System.out.printf(Locale.ROOT, "%.1f s, %.2f images/s end to end (decode, preprocess, %s inference, SR)%n",
        seconds, rows.size() / seconds, engineName);
    return ok > 0 || fromPacs ? 0 : 1;
  }

  /** Pulls, screens and sends back each {@code --study}. */
  private List<StudyScreening.Summary> fromPacs(BatchScreening screening) throws Exception {
    peer.check("screen --study");
    RetrieveMethod how = retrieval.method(peer);
    if (timeoutSeconds <= 0) {
      throw new IllegalArgumentException("--timeout must be a positive number of seconds, got " + timeoutSeconds);
    }
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    try (LocalStore store = LocalStore.open(out.resolve("store"));
        PacsCommand.LazyBar bar = new PacsCommand.LazyBar("pull", System.err)) {
      if (how == RetrieveMethod.WADO_RS) {
        try (DicomWebClient web = peer.webClient(timeout)) {
          return new StudyScreening(new StudyPuller(store, web), store, screening,
              files -> web.store(files, ProgressListener.NONE).requireAll(files.size(), "STOW-RS"), out)
              .run(studies, bar);
        }
      }
      try (PacsClient pacs = retrieval.receiving(peer.dimseClient(timeout))) {
        return new StudyScreening(new StudyPuller(store, pacs, how), store, screening,
            files -> pacs.store(files, ProgressListener.NONE).requireAll(files.size(), "C-STORE"), out)
            .run(studies, bar);
      }
    }
  }
}

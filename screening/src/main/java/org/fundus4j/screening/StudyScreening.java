package org.fundus4j.screening;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fundus4j.dicom.DerivedImageWriter;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsException;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.node.SrLedger;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.store.ManifestEntry;
import org.fundus4j.dicom.store.PullSummary;
import org.fundus4j.dicom.store.StudyPuller;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * From a PACS study to SRs back in the PACS: pull the study (resumable, through the {@link LocalStore}), screen
 * its images, and send each new SR back with the images it references (Grad-CAM overlays, sent first, in the
 * same association or request); re-running sends nothing twice. Overlays an earlier run sent are in the study
 * too; they are pulled but never screened ({@link Summary#ownImages()}).
 *
 * <p>The promise is the listening node's, kept by the same {@link SrLedger}: one SR per (image, model name and
 * version). An SR is recorded WRITTEN before it is sent and SENT once the destination accepted it; images with a
 * SENT SR are not screened again, and an SR left WRITTEN by an interrupted run is sent again as the same file
 * (same SOP Instance UID) rather than replaced.
 *
 * <pre>{@code
 * try (LocalStore store = LocalStore.open(out.resolve("store")); PacsClient pacs = ...;
 *     BatchScreening screening = new BatchScreening(model, uids)) {
 *   List<StudyScreening.Summary> done = new StudyScreening(new StudyPuller(store, pacs, RetrieveMethod.C_GET),
 *       store, screening, files -> pacs.store(files, ProgressListener.NONE).requireAll(files.size(), "PACS"), out).run(List.of(studyUid), (d, t) -> {});
 * }
 * }</pre>
 */
public final class StudyScreening {

  private static final Logger LOG = LoggerFactory.getLogger(StudyScreening.class);

  /**
   * Sends files to the destination (C-STORE on one association, or one STOW-RS request): an SR and the images it
   * references ({@link ScreeningReportWriter#filesToSend}); throws unless every file was accepted.
   */
  @FunctionalInterface
  public interface SrSender {
    void send(List<Path> files) throws PacsException;
  }

  /**
   * What one study's run did.
   *
   * @param pull what the pull found and fetched
   * @param rows the screening rows of the images screened in this run (empty when all had SRs sent)
   * @param alreadySent images skipped because their SR was sent by an earlier run
   * @param sent SRs the destination accepted in this run
   * @param failedToSend SRs the destination refused or never answered (sent again by the next run)
   * @param ownImages images of the study that fundus4j derived (Grad-CAM overlays of an earlier run,
   *     {@link DerivedImageWriter#isWrittenByFundus4j}), not screened
   */
  public record Summary(PullSummary pull, List<ScreeningRow> rows, int alreadySent, int sent, int failedToSend,
      int ownImages) {
    public Summary {
      rows = List.copyOf(rows);
    }
  }

  private final StudyPuller puller;
  private final LocalStore store;
  private final BatchScreening screening;
  private final SrSender sender;
  private final Path outDir;

  /**
   * @param puller pulls into {@code store}; only fundus image classes
   *     ({@link PacsClient#FUNDUS_STORAGE_SOP_CLASSES}) are pulled, never the study's SRs
   * @param store the local store the puller fills
   * @param screening the model; its SRs go into {@code outDir/sr}
   * @param sender sends an SR back (C-STORE or STOW-RS)
   * @param outDir where the SRs, the summary and the ledger {@code sr-ledger.tsv} live
   */
  public StudyScreening(StudyPuller puller, LocalStore store, BatchScreening screening, SrSender sender,
      Path outDir) {
    this.puller = puller.withSopClasses(PacsClient.FUNDUS_STORAGE_SOP_CLASSES);
    this.store = store;
    this.screening = screening;
    this.sender = sender;
    this.outDir = outDir;
  }

  /**
   * Pulls, screens and sends back each study in turn.
   *
   * @throws PacsException when a study cannot be listed or retrieved (an SR the destination refuses is counted in
   *     {@link Summary#failedToSend()} and sent again by the next run)
   */
  public List<Summary> run(List<String> studies, ProgressListener progress) throws IOException, PacsException {
    Files.createDirectories(outDir);
    AlgorithmId algorithm = screening.algorithm();
    List<Summary> out = new ArrayList<>();
    try (SrLedger ledger = SrLedger.open(outDir.resolve("sr-ledger.tsv"))) {
      for (String study : studies) {
        PullSummary pull = puller.pull(study, progress);
        List<Path> toScreen = new ArrayList<>();
        List<Path> toSend = new ArrayList<>();
        List<String> toSendFor = new ArrayList<>();
        int alreadySent = 0;
        int own = 0;
        for (ManifestEntry e : store.manifest().entries()) {
          Optional<Path> file = store.file(e.sopInstanceUid());
          if (!e.studyInstanceUid().equals(study) || file.isEmpty()) {
            continue;
          }
          if (writtenByFundus4j(file.get())) {
            own++; // an overlay we sent back: our output, not a photograph to screen
            continue;
          }
          Optional<SrLedger.Entry> known = ledger.get(e.sopInstanceUid(), algorithm);
          if (known.isPresent() && known.get().state() == SrLedger.State.SENT) {
            alreadySent++;
          } else if (known.isPresent() && Files.exists(outDir.resolve(known.get().srFile()))) {
            toSend.add(outDir.resolve(known.get().srFile()));
            toSendFor.add(e.sopInstanceUid());
          } else {
            toScreen.add(file.get());
          }
        }
        List<ScreeningRow> rows = toScreen.isEmpty() ? List.of() : screening.run(toScreen, outDir, done -> {});
        for (ScreeningRow row : rows) {
          if (row.status() == ScreeningRow.Status.SCREENED) {
            String srUid = DicomImages.readInfo(row.output()).sopInstanceUid();
            ledger.record(new SrLedger.Entry(row.sopInstanceUid(), algorithm, srUid,
                outDir.relativize(row.output()).toString(), SrLedger.State.WRITTEN));
            toSend.add(row.output());
            toSendFor.add(row.sopInstanceUid());
          }
        }
        int sent = 0;
        int failed = 0;
        for (int i = 0; i < toSend.size(); i++) {
          Path sr = toSend.get(i);
          SrLedger.Entry written = ledger.get(toSendFor.get(i), algorithm).orElseThrow();
          try {
            sender.send(ScreeningReportWriter.filesToSend(sr));
            ledger.record(new SrLedger.Entry(written.imageSopInstanceUid(), algorithm, written.srSopInstanceUid(),
                written.srFile(), SrLedger.State.SENT));
            sent++;
          } catch (PacsException e) {
            failed++;
            LOG.warn("SR for source {} not accepted: {}", LogSafe.shortHash(toSendFor.get(i)), e.getMessage());
          }
        }
        LOG.info("study {}: {} screened, {} SRs sent, {} already sent, {} not accepted, {} fundus4j images skipped",
            LogSafe.shortHash(study), rows.size(), sent, alreadySent, failed, own);
        out.add(new Summary(pull, rows, alreadySent, sent, failed, own));
      }
    }
    return out;
  }

  /** Whether a pulled file is a fundus4j overlay; an unreadable one is not (screening names its error). */
  private static boolean writtenByFundus4j(Path file) {
    try {
      return DerivedImageWriter.isWrittenByFundus4j(file);
    } catch (org.fundus4j.dicom.DicomReadException e) {
      return false;
    }
  }
}

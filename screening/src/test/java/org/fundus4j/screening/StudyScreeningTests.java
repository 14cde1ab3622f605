package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.fundus4j.dicom.DerivedImageWriter;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.testing.Validators;
import org.fundus4j.networks.inference.Precision;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.store.RetrieveMethod;
import org.fundus4j.dicom.store.StudyPuller;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PACS to PACS against a real Orthanc: pull a study by C-GET, screen it with Grad-CAM, C-STORE the SRs and their
 * overlays back, twice.
 */
class StudyScreeningTests {

  @TempDir
  Path dir;

  @Test
  void theSrsAndOverlaysEndUpInTheSourceStudyAndASecondRunSendsNone() throws Exception {
    int movePort = OrthancServer.freePort();
    FundusStudyFixture.Study study = FundusStudyFixture.make(dir.resolve("study"), 3, "F4J-P2P-1", "R", "20240106", 96);
    SavedModel model = new SavedModel(ResNet50.build(Head.linear(2), 1), new ModelCard("p2p test", "0.0.3", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    Path out = dir.resolve("out");
    try (OrthancServer orthanc = OrthancServer.start(dir.resolve("orthanc"), Map.of("FUNDUS4J", movePort));
        BatchScreening screening = new BatchScreening(model, null, UidGenerator.uuidDerived(), InferenceEngine.ONNX,
            Precision.FP32, 1, 2, true)) {
      orthanc.uploadAll(study.files());
      int before = orthanc.countInstances();

      List<StudyScreening.Summary> first = run(orthanc, movePort, screening, out, study);
      List<StudyScreening.Summary> second = run(orthanc, movePort, screening, out, study);

      assertEquals(3, first.get(0).pull().retrieved());
      assertEquals(3, first.get(0).sent());
      assertEquals(0, first.get(0).failedToSend());
      assertEquals(0, second.get(0).sent(), "a second run sends nothing");
      assertEquals(3, second.get(0).alreadySent());
      assertEquals(List.of(), second.get(0).rows(), "and screens nothing again");
      assertEquals(0, first.get(0).ownImages());
      assertEquals(3, second.get(0).ownImages(), "the overlays sent back are pulled the second time, not screened");
      assertEquals(before + 6, orthanc.countInstances(), "3 SRs and 3 overlays");
      List<QueryMatch> found;
      try (PacsClient pacs = client(orthanc, movePort)) {
        found = pacs.findInstances(study.studyInstanceUid());
      }
      List<QueryMatch> srs = found.stream()
          .filter(m -> m.sopClassUid().equals(ScreeningReportWriter.SOP_CLASS_UID)).toList();
      assertEquals(3, srs.size(), "C-FIND finds the 3 SRs in the source study");
      assertTrue(srs.stream().allMatch(m -> m.studyInstanceUid().equals(study.studyInstanceUid())));
      Set<String> overlays = found.stream().filter(m -> m.sopClassUid().equals(DerivedImageWriter.SOP_CLASS_UID))
          .map(QueryMatch::sopInstanceUid).collect(Collectors.toSet());
      Set<String> written = new HashSet<>();
      for (ScreeningRow row : first.get(0).rows()) {
        List<Path> files = ScreeningReportWriter.filesToSend(row.output());
        assertEquals(2, files.size(), "an overlay, then the SR: " + files);
        Path overlay = files.get(0);
        assertEquals(List.of(), Validators.dciodvfyErrors(overlay), overlay.toString());
        String uid = DicomImages.readInfo(overlay).sopInstanceUid();
        written.add(uid);
        String report = Validators.run(List.of("dsrdump", "+Pu", row.output().toString()), 30).text();
        assertTrue(report.contains(uid), "the SR references its overlay\n" + report);
      }
      assertEquals(written, overlays, "C-FIND finds the overlays written, in the source study");
    }
  }

  private static List<StudyScreening.Summary> run(OrthancServer orthanc, int movePort, BatchScreening screening,
      Path out, FundusStudyFixture.Study study) throws Exception {
    try (LocalStore store = LocalStore.open(out.resolve("store")); PacsClient pacs = client(orthanc, movePort)) {
      return new StudyScreening(new StudyPuller(store, pacs, RetrieveMethod.C_GET), store, screening,
          files -> pacs.store(files, ProgressListener.NONE).requireAll(files.size(), "Orthanc"), out)
          .run(List.of(study.studyInstanceUid()), (done, total) -> {});
    }
  }

  private static PacsClient client(OrthancServer orthanc, int movePort) {
    return new PacsClient(orthanc.dicom(), AeTitle.of("FUNDUS4J")).withTimeout(Duration.ofSeconds(20))
        .withMoveReceiver(InetAddress.getLoopbackAddress(), movePort);
  }
}

package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fundus4j.dicom.net.AeTitle;
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

/** PACS to PACS against a real Orthanc: pull a study by C-GET, screen it, C-STORE the SRs back, twice. */
class StudyScreeningTests {

  @TempDir
  Path dir;

  @Test
  void theSrsEndUpInTheSourceStudyAndASecondRunSendsNone() throws Exception {
    int movePort = OrthancServer.freePort();
    FundusStudyFixture.Study study = FundusStudyFixture.make(dir.resolve("study"), 3, "F4J-P2P-1", "R", "20240106", 96);
    SavedModel model = new SavedModel(ResNet50.build(Head.linear(2), 1), new ModelCard("p2p test", "0.0.3", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    Path out = dir.resolve("out");
    try (OrthancServer orthanc = OrthancServer.start(dir.resolve("orthanc"), Map.of("FUNDUS4J", movePort));
        BatchScreening screening = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.ONNX, 1, 2)) {
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
      assertEquals(before + 3, orthanc.countInstances());
      List<QueryMatch> srs;
      try (PacsClient pacs = client(orthanc, movePort)) {
        srs = pacs.findInstances(study.studyInstanceUid()).stream()
            .filter(m -> m.sopClassUid().equals(ScreeningReportWriter.SOP_CLASS_UID)).toList();
      }
      assertEquals(3, srs.size(), "C-FIND finds the 3 SRs in the source study");
      assertTrue(srs.stream().allMatch(m -> m.studyInstanceUid().equals(study.studyInstanceUid())));
    }
  }

  private static List<StudyScreening.Summary> run(OrthancServer orthanc, int movePort, BatchScreening screening,
      Path out, FundusStudyFixture.Study study) throws Exception {
    try (LocalStore store = LocalStore.open(out.resolve("store")); PacsClient pacs = client(orthanc, movePort)) {
      return new StudyScreening(new StudyPuller(store, pacs, RetrieveMethod.C_GET), store, screening, pacs::store, out)
          .run(List.of(study.studyInstanceUid()), (done, total) -> {});
    }
  }

  private static PacsClient client(OrthancServer orthanc, int movePort) {
    return new PacsClient(orthanc.dicom(), AeTitle.of("FUNDUS4J")).withTimeout(Duration.ofSeconds(20))
        .withMoveReceiver(InetAddress.getLoopbackAddress(), movePort);
  }
}

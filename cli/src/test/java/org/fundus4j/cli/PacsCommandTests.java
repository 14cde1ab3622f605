package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fundus4j.dicom.store.InstanceState;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code fundus pacs echo|find|pull|push} against a real Orthanc (DIMSE and DICOMweb). */
class PacsCommandTests {

  static final String PATIENT_ID = "PAT-CLI-4711";

  @TempDir
  static Path tmp;
  // Orthanc answers C-FIND and C-GET only to registered AE titles, and C-MOVEs to their port
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities("FUNDUS4J");
  static OrthancServer orthanc;
  static FundusStudyFixture.Study study;
  static int movePort;

  @BeforeAll
  static void start() throws Exception {
    movePort = ORTHANC.port("FUNDUS4J");
    orthanc = ORTHANC.server();
    study = FundusStudyFixture.make(tmp.resolve("study"), 5, PATIENT_ID, "R", "20240615", 64);
    orthanc.uploadAll(study.files());
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void screenFromThePacsSendsOneSrPerImageIntoTheSourceStudyAndARerunSendsNone() throws Exception {
    FundusStudyFixture.Study own = FundusStudyFixture.make(tmp.resolve("screen-study"), 2, "PAT-CLI-4712", "L",
        "20240616", 96);
    orthanc.uploadAll(own.files());
    Path model = tmp.resolve("screen-model");
    SavedModel.save(model, ResNet50.build(Head.linear(2), 3), new ModelCard("cli pacs model", "1", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    String[] args = {"screen", "--model", model.toString(), "--out", tmp.resolve("screen-out").toString(),
        "--pacs", orthanc.dicom().toString(), "--study", own.studyInstanceUid(), "--method", "c-get"};
    int before = orthanc.countInstances();

    CliRun first = run(args);
    CliRun second = run(args);

    assertEquals(0, first.exit(), first.all());
    assertTrue(first.out().contains("SRs sent 2, already sent 0, not accepted 0"), first.out());
    assertEquals(0, second.exit(), second.all());
    assertTrue(second.out().contains("screened 0; SRs sent 0, already sent 2"), second.out());
    assertEquals(before + 2, orthanc.countInstances());
    assertEquals(2, orthanc.sopInstanceUidsOfStudy(own.studyInstanceUid(), "SR").size(),
        "the SRs sit in the source study");
    assertFalse(first.all().contains("PAT-CLI-4712"), "no patient id in the output");
  }

  @Test
  void echoSucceedsAgainstOrthanc() {
    CliRun r = run("pacs", "echo", "--pacs", orthanc.dicom().toString());

    assertEquals(0, r.exit(), r.all());
    assertTrue(r.out().startsWith("C-ECHO ORTHANC@127.0.0.1:" + orthanc.dicom().port() + " as FUNDUS4J: success"),
        r.out());
  }

  @Test
  void echoToAClosedPortNamesHostPortAndBothAeTitles() throws Exception {
    int closed = OrthancServer.freePort();

    CliRun r = run("pacs", "echo", "--pacs", "ORTHANC@127.0.0.1:" + closed, "--aet", "OURNODE", "--timeout", "5");

    assertEquals(1, r.exit(), r.all());
    String line = r.err().strip();
    assertEquals(1, line.lines().count(), "one-line error: " + line);
    assertTrue(line.startsWith("fundus pacs echo: C-ECHO failed: connection refused by 127.0.0.1:" + closed), line);
    assertTrue(line.contains("called AE 'ORTHANC'") && line.contains("calling AE 'OURNODE'"), line);
  }

  @Test
  void echoWithoutAPeerOrWithBothIsAUsageError() {
    assertEquals(2, run("pacs", "echo").exit());
    CliRun both = run("pacs", "echo", "--pacs", orthanc.dicom().toString(), "--dicomweb",
        orthanc.dicomWebRoot().toString());
    assertEquals(2, both.exit(), both.all());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
  }

  @Test
  void findListsTheStoredStudyWithoutPatientIdentifiers() {
    CliRun studies = run("pacs", "find", "--pacs", orthanc.dicom().toString(), "--modality", "OP,XC",
        "--study-date", "20240101-20241231", "--patient-id", PATIENT_ID);

    assertEquals(0, studies.exit(), studies.all());
    assertEquals(List.of("STUDY  " + study.studyInstanceUid() + " date=20240615 modality=OP instances=5",
        "1 study match(es)"), studies.out().lines().toList());
    assertFalse(studies.all().contains(PATIENT_ID), "patient id leaked: " + studies.all());

    CliRun none = run("pacs", "find", "--pacs", orthanc.dicom().toString(), "--study-date", "20250101-");
    assertEquals(List.of("0 study match(es)"), none.out().lines().toList());

    CliRun images = run("pacs", "find", "--pacs", orthanc.dicom().toString(), "--level", "image", "--study",
        study.studyInstanceUid(), "--series", study.seriesInstanceUid(), "--laterality", "R");
    assertEquals(0, images.exit(), images.all());
    List<String> lines = images.out().lines().filter(l -> l.startsWith("IMAGE")).toList();
    assertEquals(5, lines.size(), images.out());
    assertTrue(lines.stream().allMatch(l -> l.contains("sop-class=" + FundusStudyFixture.OP_8BIT)
        && l.contains("laterality=R")), images.out());

    CliRun web = run("pacs", "find", "--dicomweb", orthanc.dicomWebRoot().toString(), "--user", OrthancServer.USER,
        "--password", OrthancServer.PASSWORD, "--modality", "OP");
    assertEquals(0, web.exit(), web.all());
    assertTrue(web.out().contains("STUDY  " + study.studyInstanceUid() + " date=20240615 modality=OP"), web.out());
    assertFalse(web.all().contains(PATIENT_ID), "patient id leaked: " + web.all());
  }

  @Test
  void findRejectsABadDateRangeNamingTheOption() {
    CliRun r = run("pacs", "find", "--pacs", orthanc.dicom().toString(), "--study-date", "2024-01-01");

    assertEquals(1, r.exit());
    assertTrue(r.err().contains("--study-date expects DICOM dates YYYYMMDD-YYYYMMDD, got '2024-01-01'"), r.err());
  }

  @Test
  void pullOfAStudyThePacsDoesNotHaveExitsNonZeroNamingIt() {
    String missing = "1.2.826.0.1.3680043.8.498.999999";
    CliRun r = run("pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study", missing, "--method", "c-get",
        "--store", tmp.resolve("pull-missing").toString());
    assertEquals(1, r.exit(), r.all());
    assertTrue(r.out().contains("found 0"), r.out());
    assertTrue(r.err().contains("pacs pull: study " + missing + " not found: the PACS lists no instances for it"),
        r.err());
  }

  @Test
  void pullByCGetStoresTheStudyAndASecondRunRetrievesNothingNew() throws Exception {
    Path store = tmp.resolve("pull-cget");

    CliRun first = run("pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study", study.studyInstanceUid(),
        "--method", "c-get", "--store", store.toString());

    assertEquals(0, first.exit(), first.all());
    assertTrue(first.out().contains("study " + study.studyInstanceUid()
        + ": found 5, already on disk 0, retrieved 5, duplicates 0, failed 0"), first.out());
    assertStudyPulledByteIdentical(store);

    CliRun second = run("pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study", study.studyInstanceUid(),
        "--store", store.toString());

    assertEquals(0, second.exit(), second.all());
    assertTrue(second.out().contains("found 5, already on disk 5, retrieved 0, duplicates 0, failed 0"), second.out());
    assertFalse(first.all().contains(PATIENT_ID) || second.all().contains(PATIENT_ID));
  }

  /** Every instance of the study is in the store, RETRIEVED, with the Pixel Data element bytes of the source. */
  static void assertStudyPulledByteIdentical(Path store) throws Exception {
    try (LocalStore local = LocalStore.open(store)) {
      assertEquals(5L, local.manifest().counts().get(InstanceState.RETRIEVED));
      for (Path source : study.files()) {
        String sop = FundusStudyFixture.run(List.of("dcmdump", "+P", "SOPInstanceUID", "-s", source.toString()))
            .replaceAll("(?s).*\\[([0-9.]+)\\].*", "$1");
        Path pulled = local.file(sop).orElseThrow(() -> new AssertionError("not pulled: " + sop));
        // native JPEG kept: same Pixel Data element bytes as the file stored into Orthanc
        assertArrayEquals(FundusStudyFixture.pixelDataElement(source), FundusStudyFixture.pixelDataElement(pulled));
      }
    }
  }

  @Test
  void pullByCMoveAndByWadoRsStoresTheStudyInItsTransferSyntax() throws Exception {
    Path moved = tmp.resolve("pull-cmove");
    Path web = tmp.resolve("pull-wado");

    CliRun byMove = run("pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study", study.studyInstanceUid(),
        "--method", "c-move", "--move-port", String.valueOf(movePort), "--move-bind", "127.0.0.1",
        "--store", moved.toString());
    CliRun byWado = run("pacs", "pull", "--dicomweb", orthanc.dicomWebRoot().toString(), "--user", OrthancServer.USER,
        "--password", OrthancServer.PASSWORD, "--study", study.studyInstanceUid(), "--method", "wado-rs",
        "--store", web.toString());

    assertEquals(0, byMove.exit(), byMove.all());
    assertTrue(byMove.out().contains("found 5, already on disk 0, retrieved 5, duplicates 0, failed 0"), byMove.out());
    assertStudyPulledByteIdentical(moved);
    assertEquals(0, byWado.exit(), byWado.all());
    assertTrue(byWado.out().contains("found 5, already on disk 0, retrieved 5, duplicates 0, failed 0"), byWado.out());
    assertStudyPulledByteIdentical(web);
  }

  @Test
  void pullByWadoRsNeedsDicomWebAndCMoveNeedsAPort() {
    CliRun wado = run("pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study", study.studyInstanceUid(),
        "--method", "wado-rs", "--store", tmp.resolve("x").toString());
    assertEquals(1, wado.exit());
    assertTrue(wado.err().contains("--method wado-rs needs --dicomweb URL"), wado.err());

    CliRun move = run("pacs", "pull", "--pacs", orthanc.dicom().toString(), "--study", study.studyInstanceUid(),
        "--method", "c-move", "--store", tmp.resolve("y").toString());
    assertEquals(1, move.exit());
    assertTrue(move.err().contains("--method c-move needs --move-port N"), move.err());
  }

  @Test
  void pushByCStoreAndByStowRsStoresEveryFile() throws Exception {
    FundusStudyFixture.Study dimse = FundusStudyFixture.make(tmp.resolve("push-dimse"), 3, "PAT-PUSH-1", "L",
        "20240701", 32);
    FundusStudyFixture.Study web = FundusStudyFixture.make(tmp.resolve("push-web"), 2, "PAT-PUSH-2", "L",
        "20240702", 32);

    CliRun byDimse = run("pacs", "push", "--pacs", orthanc.dicom().toString(), tmp.resolve("push-dimse").toString());
    CliRun byWeb = run("pacs", "push", "--dicomweb", orthanc.dicomWebRoot().toString(), "--user", OrthancServer.USER,
        "--password", OrthancServer.PASSWORD, web.files().get(0).toString(), web.files().get(1).toString());

    assertEquals(0, byDimse.exit(), byDimse.all());
    assertTrue(byDimse.out().contains("3 file(s) by C-STORE to " + orthanc.dicom() + ": stored 3, failed 0"),
        byDimse.out());
    assertEquals(0, byWeb.exit(), byWeb.all());
    assertTrue(byWeb.out().contains("2 file(s) by STOW-RS to " + orthanc.dicomWebRoot()), byWeb.out());
    assertTrue(byWeb.out().contains("stored 2, failed 0"), byWeb.out());
    assertEquals(3, orthanc.sopInstanceUidsOfStudy(dimse.studyInstanceUid(), "OP").size());
    assertEquals(2, orthanc.sopInstanceUidsOfStudy(web.studyInstanceUid(), "OP").size());
  }
}

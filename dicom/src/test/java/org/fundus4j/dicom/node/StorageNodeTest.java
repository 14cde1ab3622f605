package org.fundus4j.dicom.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomQuery;
import org.fundus4j.dicom.net.DicomWebAuth;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsAddress;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.MeanBrightnessScreener;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fundus serve} end to end: dcmtk's storescu as the modality, our node, Orthanc as the PACS
 * receiving the SRs.
 */
class StorageNodeTest {

  static final AeTitle NODE = AeTitle.of("FUNDUSNODE");
  static final AeTitle MODALITY = AeTitle.of("FUNDUSCAM");
  static final String SR_COMPREHENSIVE_3D = "1.2.840.10008.5.1.4.1.1.88.34";

  @TempDir
  static Path tmp;
  // CHECKER is the AE the test uses for C-FIND; Orthanc answers C-FIND only to known modalities
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities("CHECKER");
  static OrthancServer orthanc;

  @BeforeAll
  static void start() throws Exception {
    orthanc = ORTHANC.server();
  }

  static NodeConfig config(Path workDir, SrDestination destination) {
    return NodeConfig.of(NODE, 0, Set.of(MODALITY), workDir, new MeanBrightnessScreener("1.0"), destination)
        .withBindAddress(InetAddress.getLoopbackAddress())
        .withRetryDelay(Duration.ofMillis(200));
  }

  static SrDestination cStore() {
    return SrDestination.cStore(orthanc.dicom(), NODE);
  }

  static String storescu(AeTitle calling, int port, List<Path> files) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("storescu", "-xy", "-aet", calling.value(), "-aec", NODE.value(),
        "127.0.0.1", String.valueOf(port)));
    files.forEach(f -> cmd.add(f.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return "exit=" + p.exitValue() + "\n" + out;
  }

  /** SR instances of a study in Orthanc, by C-FIND: series of modality SR, then their instances. */
  static List<QueryMatch> srsInOrthanc(String studyUid) throws Exception {
    try (PacsClient pacs = new PacsClient(orthanc.dicom(), AeTitle.of("CHECKER"))) {
      List<QueryMatch> srs = new ArrayList<>();
      for (QueryMatch series : pacs.find(DicomQuery.series(studyUid).withModalities(Set.of("SR")))) {
        srs.addAll(pacs.find(DicomQuery.images(studyUid, series.seriesInstanceUid())));
      }
      return srs;
    }
  }

  @Test
  void callingAeNotOnTheAllowListIsRejected() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("intruder-src"), 1, "PAT-I", "L", "20240101", 32);
    try (StorageNode node = StorageNode.start(config(tmp.resolve("node-intruder"), cStore()))) {
      String out = storescu(AeTitle.of("INTRUDER"), node.port(), study.files());
      assertTrue(out.startsWith("exit=") && !out.startsWith("exit=0"), out);
      assertTrue(out.contains("Calling AE Title Not Recognized"), out);
      assertEquals(1, node.status().rejectedAssociations());
      assertEquals(0, node.status().received());
      // the allow-listed modality gets through the same node
      String ok = storescu(MODALITY, node.port(), study.files());
      assertTrue(ok.startsWith("exit=0"), ok);
      assertTrue(node.awaitIdle(Duration.ofSeconds(30)));
      assertEquals(1, node.status().received());
    }
  }

  @Test
  void twentyImagesGiveTwentySrsAndNoneTwiceAfterRestart() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("twenty-src"), 20, "PAT-20", "R", "20240202", 64);
    Path work = tmp.resolve("node-twenty");
    try (StorageNode node = StorageNode.start(config(work, cStore()))) {
      String out = storescu(MODALITY, node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)));
      assertEquals(new NodeStatus(20, 20, 0, 0, 0), node.status());
    }
    List<QueryMatch> srs = srsInOrthanc(study.studyInstanceUid());
    assertEquals(20, srs.size());
    assertTrue(srs.stream().allMatch(m -> m.sopClassUid().equals(SR_COMPREHENSIVE_3D)));

    // restart the node on the same work dir and push the same 20 images again
    try (StorageNode node = StorageNode.start(config(work, cStore()))) {
      String out = storescu(MODALITY, node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
      assertEquals(20, node.status().srSent());
    }
    List<QueryMatch> after = srsInOrthanc(study.studyInstanceUid());
    assertEquals(20, after.size());
    assertEquals(new HashSet<>(srs.stream().map(QueryMatch::sopInstanceUid).toList()),
        new HashSet<>(after.stream().map(QueryMatch::sopInstanceUid).toList()));
    // a new model version is a new key: it would screen again (not exercised further here)
    try (SrLedger ledger = SrLedger.open(work.resolve("sr-ledger.tsv"))) {
      assertEquals(20, ledger.sentCount());
    }
  }

  @Test
  void restartResumesTheQueueAfterTheDestinationWasDown() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("resume-src"), 3, "PAT-Q", "L", "20240303", 32);
    Path work = tmp.resolve("node-resume");
    PacsAddress down = new PacsAddress("127.0.0.1", OrthancServer.freePort(), OrthancServer.AE);
    try (StorageNode node = StorageNode.start(config(work, SrDestination.cStore(down, NODE)))) {
      String out = storescu(MODALITY, node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(!node.awaitIdle(Duration.ofSeconds(1)), "nothing can be sent while the destination is down");
      assertEquals(3, node.status().received());
      assertEquals(0, node.status().srSent());
    }
    assertEquals(0, srsInOrthanc(study.studyInstanceUid()).size());
    try (StorageNode node = StorageNode.start(config(work, cStore()))) {
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
      assertEquals(3, node.status().srSent());
    }
    assertEquals(3, srsInOrthanc(study.studyInstanceUid()).size());
  }

  @Test
  void srsSentByStowRsAreFoundByQido() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("stow-src"), 2, "PAT-STOW", "R", "20240404", 32);
    SrDestination stow = SrDestination.stowRs(orthanc.dicomWebRoot(),
        DicomWebAuth.basic(OrthancServer.USER, OrthancServer.PASSWORD));
    try (StorageNode node = StorageNode.start(config(tmp.resolve("node-stow"), stow))) {
      String out = storescu(MODALITY, node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
    }
    DicomWebClient web = new DicomWebClient(orthanc.dicomWebRoot(),
        DicomWebAuth.basic(OrthancServer.USER, OrthancServer.PASSWORD));
    List<QueryMatch> srSeries = web.search(DicomQuery.series(study.studyInstanceUid()).withModalities(Set.of("SR")));
    assertEquals(1, srSeries.size());
    List<QueryMatch> srs = web.search(DicomQuery.images(study.studyInstanceUid(), srSeries.get(0).seriesInstanceUid()));
    assertEquals(2, srs.size());
    assertTrue(srs.stream().allMatch(m -> m.sopClassUid().equals(SR_COMPREHENSIVE_3D)));
    assertNotEquals(srs.get(0).sopInstanceUid(), srs.get(1).sopInstanceUid());
    assertTrue(Files.exists(tmp.resolve("node-stow").resolve("sr-ledger.tsv")));
  }

  /** Rewrites the SOP Instance UID (and its meta copy) of a Part 10 file with pydicom, control characters included. */
  static void setSopInstanceUid(Path file, String uid) throws Exception {
    FundusStudyFixture.run(List.of("/usr/bin/python3", "-c", "import sys, pydicom, warnings\n"
        + "warnings.simplefilter('ignore')\n"
        + "ds = pydicom.dcmread(sys.argv[1]); uid = sys.argv[2]\n"
        + "ds.SOPInstanceUID = uid; ds.file_meta.MediaStorageSOPInstanceUID = uid\n"
        + "ds.save_as(sys.argv[1])", file.toString(), uid));
  }

  /** One C-STORE by PixelMed's SCU; true when it reported no failure. */
  static boolean pixelMedStore(int port, Path file, String sopClass, String sop) throws Exception {
    // a watchdog, not a timing assertion: PixelMed's SCU has no timeout of its own
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        com.pixelmed.network.StorageSOPClassSCU scu = new com.pixelmed.network.StorageSOPClassSCU("127.0.0.1", port,
            NODE.value(), MODALITY.value(), file.toString(), sopClass, sop, 0);
        return !scu.encounteredTrappedExceptions();
      } catch (Exception e) {
        return false;
      }
    }).get(2, java.util.concurrent.TimeUnit.MINUTES);
  }

  @Test
  void uidWithNewlineAndTabFromPixelMedScuIsRefusedAndTheNodeRestartsCleanly() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("hostile-src"), 2, "PAT-H", "R", "20240505", 32);
    Path hostile = study.files().get(0);
    String hostileUid = "1.2.826.0.1.3680043.8.498.1\n2\t3";
    setSopInstanceUid(hostile, hostileUid);
    String opClass = "1.2.840.10008.5.1.4.1.1.77.1.5.1";
    String goodUid = new com.pixelmed.dicom.AttributeList() {{
        read(study.files().get(1).toString());
      }}.get(com.pixelmed.dicom.TagFromName.SOPInstanceUID).getSingleStringValueOrEmptyString();
    Path work = tmp.resolve("node-hostile");
    try (StorageNode node = StorageNode.start(config(work, cStore()))) {
      assertTrue(!pixelMedStore(node.port(), hostile, opClass, hostileUid), "the hostile instance must not be acknowledged");
      assertTrue(pixelMedStore(node.port(), study.files().get(1), opClass, goodUid), "the node keeps serving");
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
      assertEquals(new NodeStatus(1, 1, 0, 0, 0), node.status());
      try (var incoming = Files.list(work.resolve("store").resolve("incoming"))) {
        assertEquals(0, incoming.count(), "nothing of the refused instance is left in incoming/");
      }
    }
    String manifest = Files.readString(work.resolve("store").resolve("manifest.tsv"));
    assertTrue(manifest.contains(goodUid) && !manifest.contains("680043.8.498.1"), manifest);
    try (StorageNode node = StorageNode.start(config(work, cStore()))) {
      assertEquals(new NodeStatus(1, 1, 0, 0, 0), node.status());
      assertTrue(!pixelMedStore(node.port(), hostile, opClass, hostileUid));
      assertEquals(1, node.status().received());
    }
    assertTrue(Files.notExists(work.resolve("store").resolve("manifest.tsv.quarantine")));
    assertEquals(1, srsInOrthanc(study.studyInstanceUid()).size());
  }
}

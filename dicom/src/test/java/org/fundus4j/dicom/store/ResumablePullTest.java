package org.fundus4j.dicom.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomWebAuth;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.PacsException;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Orthanc is SIGKILLed in the middle of a pull of 30 instances, restarted, and the pull run again:
 * the manifest ends complete, each instance stored exactly once, pixel data byte-identical.
 */
class ResumablePullTest {

  static final AeTitle US = AeTitle.of("FUNDUS4J");
  static final int INSTANCES = 30;
  static final int KILL_AFTER = 10;

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities(US.value());
  static OrthancServer orthanc;
  static int movePort;

  @BeforeAll
  static void start() throws Exception {
    movePort = ORTHANC.port(US.value());
    orthanc = ORTHANC.server();
  }

  PacsClient client() {
    return new PacsClient(orthanc.dicom(), US).withTimeout(Duration.ofSeconds(10))
        .withMoveReceiver(InetAddress.getLoopbackAddress(), movePort);
  }

  @Test
  void cGetPullKilledMidwayCompletesWhenRerun() throws Exception {
    killAndResume(RetrieveMethod.C_GET, "c-get");
  }

  @Test
  void cMovePullKilledMidwayCompletesWhenRerun() throws Exception {
    killAndResume(RetrieveMethod.C_MOVE, "c-move");
  }

  void killAndResume(RetrieveMethod method, String name) throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve(name + "-src"), INSTANCES, "PAT-" + name,
        "L", "20240301", 48);
    orthanc.uploadAll(study.files());
    Map<String, Path> originals = new HashMap<>();
    for (Path f : study.files()) {
      originals.put(org.fundus4j.dicom.net.ReceivedInstance.read(f).sopInstanceUid(), f);
    }
    Path root = tmp.resolve(name + "-store");

    AtomicBoolean killed = new AtomicBoolean();
    ProgressListener killer = (done, total) -> {
      if (done >= KILL_AFTER && killed.compareAndSet(false, true)) {
        try {
          orthanc.kill();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    // a store window of one instance: Orthanc sends one sub-operation at a time and waits for its C-STORE
    // response, which waits for the disk, so while the listener kills Orthanc at the 10th stored instance
    // the 11th is at most in flight; with the default window (64) all 30 can arrive before the 10th is stored
    try (LocalStore store = LocalStore.open(root); PacsClient pacs = client()) {
      assertThrows(PacsException.class, () -> new StudyPuller(store, pacs, method).withStoreWindow(1)
          .pull(study.studyInstanceUid(), killer));
    } finally {
      if (killed.get()) {
        orthanc.restart(); // the other tests of this class need it whatever this one shows
      }
    }
    assertTrue(killed.get());

    PullSummary second;
    try (LocalStore store = LocalStore.open(root); PacsClient pacs = client()) {
      int before = (int) store.manifest().counts().get(InstanceState.RETRIEVED).longValue();
      assertTrue(before >= KILL_AFTER && before < INSTANCES, "on disk after the kill: " + before);
      second = new StudyPuller(store, pacs, method).pull(study.studyInstanceUid(), ProgressListener.NONE);
      assertEquals(INSTANCES, second.found());
      assertEquals(before, second.alreadyOnDisk());
      assertEquals(INSTANCES - before, second.retrieved());
      assertEquals(0, second.duplicates());
      assertTrue(second.complete());

      List<ManifestEntry> entries = store.manifest().entries();
      assertEquals(INSTANCES, entries.size());
      assertTrue(entries.stream().allMatch(e -> e.state() == InstanceState.RETRIEVED));
      assertEquals(originals.keySet(), new java.util.HashSet<>(entries.stream().map(ManifestEntry::sopInstanceUid).toList()));
      for (ManifestEntry e : entries) {
        assertArrayEquals(FundusStudyFixture.pixelDataElement(originals.get(e.sopInstanceUid())),
            FundusStudyFixture.pixelDataElement(root.resolve(e.file())));
      }
    }
    // exactly one RETRIEVED line per instance in the journal: nothing fetched twice
    List<String> retrievedLines = Files.readAllLines(root.resolve("manifest.tsv")).stream()
        .filter(l -> l.split("\t")[1].equals("RETRIEVED")).toList();
    assertEquals(INSTANCES, retrievedLines.size());
    assertEquals(INSTANCES, countDicomFiles(root.resolve("instances")));
    assertEquals(0, countDicomFiles(root.resolve("incoming")));
  }

  static long countDicomFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  @Test
  void aStoreWindowBelowOneInstanceIsRefused() throws Exception {
    try (LocalStore store = LocalStore.open(tmp.resolve("window-store")); PacsClient pacs = client()) {
      StudyPuller puller = new StudyPuller(store, pacs, RetrieveMethod.C_GET);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> puller.withStoreWindow(0));
      assertEquals("store window must be at least 1 instance, not 0", e.getMessage());
    }
  }

  @Test
  void wadoRsPullIsIdempotent() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("wado-src"), 6, "PAT-WADO", "R", "20240302", 48);
    orthanc.uploadAll(study.files());
    DicomWebClient web = new DicomWebClient(orthanc.dicomWebRoot(),
        DicomWebAuth.basic(OrthancServer.USER, OrthancServer.PASSWORD));
    try (LocalStore store = LocalStore.open(tmp.resolve("wado-store"))) {
      PullSummary first = new StudyPuller(store, web).pull(study.studyInstanceUid(), ProgressListener.NONE);
      assertEquals(6, first.retrieved());
      // lose one file: the next run fetches exactly that one
      ManifestEntry lost = store.manifest().entries().get(2);
      Files.delete(store.root().resolve(lost.file()));
      PullSummary second = new StudyPuller(store, web).pull(study.studyInstanceUid(), ProgressListener.NONE);
      assertEquals(5, second.alreadyOnDisk());
      assertEquals(1, second.retrieved());
      assertTrue(store.isOnDisk(lost.sopInstanceUid()));
    }
  }
}

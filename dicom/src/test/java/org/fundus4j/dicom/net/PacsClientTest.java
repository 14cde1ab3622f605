package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** DIMSE against a real Orthanc: C-ECHO, C-FIND filters, C-GET / C-MOVE in the stored transfer syntax, errors. */
class PacsClientTest {

  static final AeTitle US = AeTitle.of("FUNDUS4J");

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities(US.value());
  static OrthancServer orthanc;
  static int movePort;
  static FundusStudyFixture.Study left;
  static FundusStudyFixture.Study right;
  static Map<String, Path> originals = new HashMap<>();

  @BeforeAll
  static void startOrthanc() throws Exception {
    movePort = ORTHANC.port(US.value());
    orthanc = ORTHANC.server();
    left = FundusStudyFixture.make(tmp.resolve("left"), 5, "PAT-L", "L", "20240102", 64);
    right = FundusStudyFixture.make(tmp.resolve("right"), 2, "PAT-R", "R", "20230505", 64);
    for (FundusStudyFixture.Study s : List.of(left, right)) {
      orthanc.uploadAll(s.files());
      for (Path f : s.files()) {
        originals.put(Part10.describe(f, "").sopInstanceUid(), f);
      }
    }
  }

  PacsClient client() {
    return new PacsClient(orthanc.dicom(), US).withTimeout(Duration.ofSeconds(20))
        .withMoveReceiver(InetAddress.getLoopbackAddress(), movePort);
  }

  @Test
  void echoSucceeds() throws Exception {
    try (PacsClient c = client()) {
      assertTrue(c.echo().toNanos() > 0);
    }
  }

  @Test
  void findStudiesAppliesPatientDateAndModalityFilters() throws Exception {
    try (PacsClient c = client()) {
      List<QueryMatch> byPatient = c.find(DicomQuery.studies().withPatientId("PAT-L"));
      assertEquals(1, byPatient.size());
      assertEquals(left.studyInstanceUid(), byPatient.get(0).studyInstanceUid());
      assertEquals(5, byPatient.get(0).numberOfInstances());
      assertEquals(List.of("OP"), byPatient.get(0).modalities());

      List<QueryMatch> in2024 = c.find(DicomQuery.studies()
          .withStudyDates(LocalDate.of(2024, 1, 1), LocalDate.of(2024, 12, 31)));
      assertEquals(List.of(left.studyInstanceUid()), in2024.stream().map(QueryMatch::studyInstanceUid).toList());

      // another test may have pushed a third OP study (2022) meanwhile
      assertTrue(c.find(DicomQuery.studies().withModalities(Set.of("OP"))).stream().map(QueryMatch::studyInstanceUid)
          .toList().containsAll(List.of(left.studyInstanceUid(), right.studyInstanceUid())));
      assertEquals(0, c.find(DicomQuery.studies().withModalities(Set.of("XC"))).size());
    }
  }

  @Test
  void findSeriesAndImagesFilterOnLaterality() throws Exception {
    try (PacsClient c = client()) {
      List<QueryMatch> series = c.find(DicomQuery.series(right.studyInstanceUid()));
      assertEquals(1, series.size());
      assertEquals(right.seriesInstanceUid(), series.get(0).seriesInstanceUid());
      assertEquals(2, series.get(0).numberOfInstances());

      List<QueryMatch> leftImages = c.find(DicomQuery.images(left.studyInstanceUid(), left.seriesInstanceUid())
          .withLaterality("L"));
      assertEquals(5, leftImages.size());
      assertTrue(leftImages.stream().allMatch(m -> m.laterality().equals("L")
          && m.sopClassUid().equals(FundusStudyFixture.OP_8BIT)));
      assertEquals(0, c.find(DicomQuery.images(left.studyInstanceUid(), left.seriesInstanceUid())
          .withLaterality("R")).size());
      assertEquals(0, c.find(DicomQuery.images(left.studyInstanceUid(), left.seriesInstanceUid())
          .withSopClassUid("1.2.840.10008.5.1.4.1.1.77.1.4")).size());
      assertEquals(5, c.findInstances(left.studyInstanceUid()).size());
      assertTrue(c.findInstances(left.studyInstanceUid(), true).stream()
          .allMatch(m -> m.sopClassUid().equals(FundusStudyFixture.OP_8BIT)));
      List<QueryMatch> uidsOnly = c.findInstances(left.studyInstanceUid(), false);
      assertEquals(leftImages.stream().map(QueryMatch::sopInstanceUid).sorted().toList(),
          uidsOnly.stream().map(QueryMatch::sopInstanceUid).sorted().toList());
      assertTrue(uidsOnly.stream().allMatch(m -> m.sopClassUid().isEmpty() && m.laterality().isEmpty()
          && m.seriesInstanceUid().equals(left.seriesInstanceUid())), "only the UIDs were asked for");
    }
  }

  @Test
  void cGetKeepsTheStoredJpegByteIdentical() throws Exception {
    try (PacsClient c = client()) {
      List<ReceivedInstance> got = new ArrayList<>();
      int n = c.get(RetrieveTarget.study(left.studyInstanceUid()), tmp.resolve("get"), got::add);
      assertEquals(5, n);
      assertIdenticalToOriginals(got, 5);
    }
  }

  @Test
  void cMoveKeepsTheStoredJpegByteIdentical() throws Exception {
    try (PacsClient c = client()) {
      List<ReceivedInstance> got = java.util.Collections.synchronizedList(new ArrayList<>());
      int n = c.move(RetrieveTarget.study(left.studyInstanceUid()), tmp.resolve("move"), got::add);
      assertEquals(5, n);
      assertIdenticalToOriginals(got, 5);
      assertTrue(got.stream().allMatch(r -> r.sourceAe().equals("ORTHANC")));
    }
  }

  @Test
  void cGetOfOneInstance() throws Exception {
    try (PacsClient c = client()) {
      Path original = left.files().get(2);
      ReceivedInstance o = Part10.describe(original, "");
      List<ReceivedInstance> got = new ArrayList<>();
      c.get(RetrieveTarget.instance(o.studyInstanceUid(), o.seriesInstanceUid(), o.sopInstanceUid()),
          tmp.resolve("get-one"), got::add);
      assertIdenticalToOriginals(got, 1);
    }
  }

  @Test
  void cStorePushReportsProgressAndTheImagesAreFoundAgain() throws Exception {
    FundusStudyFixture.Study pushed = FundusStudyFixture.make(tmp.resolve("push"), 3, "PAT-P", "R", "20220707", 32);
    List<long[]> progress = java.util.Collections.synchronizedList(new ArrayList<>());
    try (PacsClient c = client()) {
      StoreSummary summary = c.store(pushed.files(), (done, total) -> progress.add(new long[] {done, total}));
      assertEquals(new StoreSummary(3, 0, List.of()), summary);
      assertEquals(3, progress.size());
      assertArrayEquals(new long[] {3, 3}, progress.get(2));
      assertEquals(3, c.find(DicomQuery.images(pushed.studyInstanceUid(), pushed.seriesInstanceUid())).size());
    }
  }

  static void assertIdenticalToOriginals(List<ReceivedInstance> got, int expected) throws IOException {
    assertEquals(expected, got.size());
    Set<String> seen = ConcurrentHashMap.newKeySet();
    for (ReceivedInstance r : got) {
      assertTrue(seen.add(r.sopInstanceUid()), "instance received twice");
      assertEquals(FundusStudyFixture.JPEG_BASELINE, r.transferSyntaxUid());
      Path original = originals.get(r.sopInstanceUid());
      assertArrayEquals(FundusStudyFixture.pixelDataElement(original), FundusStudyFixture.pixelDataElement(r.file()),
          "pixel data of " + original.getFileName());
    }
  }

  @Test
  void wrongCalledAeIsRejectedWithHostPortAndTitles() {
    PacsAddress wrong = new PacsAddress("127.0.0.1", orthanc.dicom().port(), AeTitle.of("NOT_ORTHANC"));
    try (PacsClient c = new PacsClient(wrong, US)) {
      PacsException e = assertThrows(PacsException.class, c::echo);
      assertTrue(e.getMessage().contains("rejected"), e.getMessage());
      assertMentions(e, "NOT_ORTHANC", "127.0.0.1:" + wrong.port(), "FUNDUS4J");
    }
  }

  @Test
  void closedPortIsReportedAsRefused() throws Exception {
    int closed = OrthancServer.freePort();
    try (PacsClient c = new PacsClient(new PacsAddress("127.0.0.1", closed, OrthancServer.AE), US)) {
      PacsException e = assertThrows(PacsException.class,
          () -> c.find(DicomQuery.studies().withPatientId("PAT-L")));
      assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
      assertMentions(e, "ORTHANC", "127.0.0.1:" + closed, "FUNDUS4J");
      assertFalse(e.status().isPresent());
    }
  }

  @Test
  void silentPeerTimesOutWithHostPortAndTitles() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = new ArrayList<>();
      Thread t = new Thread(() -> {
        try {
          accepted.add(silent.accept());
        } catch (IOException ignored) {
          // closed
        }
      });
      t.start();
      PacsAddress addr = new PacsAddress("127.0.0.1", silent.getLocalPort(), AeTitle.of("SILENT"));
      try (PacsClient c = new PacsClient(addr, US).withTimeout(Duration.ofMillis(800))) {
        PacsException e = assertThrows(PacsException.class, c::echo);
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertMentions(e, "SILENT", "127.0.0.1:" + silent.getLocalPort(), "FUNDUS4J");
      }
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  static void assertMentions(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }
  }
}

package org.fundus4j.dicom.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** QIDO-RS, WADO-RS (stored transfer syntax) and STOW-RS against Orthanc's DICOMweb plugin. */
class DicomWebClientTest {

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities();
  static OrthancServer orthanc;
  static FundusStudyFixture.Study study;
  static Map<String, Path> originals = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    orthanc = ORTHANC.server();
    study = FundusStudyFixture.make(tmp.resolve("study"), 4, "PAT-W", "R", "20240615", 64);
    orthanc.uploadAll(study.files());
    for (Path f : study.files()) {
      originals.put(Part10.describe(f, "").sopInstanceUid(), f);
    }
  }

  DicomWebClient client() {
    return new DicomWebClient(orthanc.dicomWebRoot(), DicomWebAuth.basic(OrthancServer.USER, OrthancServer.PASSWORD));
  }

  @Test
  void qidoFindsTheStudySeriesAndInstances() throws Exception {
    DicomWebClient web = client();
    List<QueryMatch> studies = web.search(DicomQuery.studies().withPatientId("PAT-W")
        .withStudyDates(LocalDate.of(2024, 6, 1), LocalDate.of(2024, 6, 30)));
    assertEquals(1, studies.size());
    assertEquals(study.studyInstanceUid(), studies.get(0).studyInstanceUid());
    assertEquals(4, studies.get(0).numberOfInstances());
    assertEquals(List.of("OP"), studies.get(0).modalities());
    assertEquals(0, web.search(DicomQuery.studies().withPatientId("PAT-W")
        .withStudyDates(LocalDate.of(2023, 1, 1), LocalDate.of(2023, 12, 31))).size());

    List<QueryMatch> images = web.search(DicomQuery.images(study.studyInstanceUid(), study.seriesInstanceUid())
        .withLaterality("R"));
    assertEquals(originals.keySet(), new HashSet<>(images.stream().map(QueryMatch::sopInstanceUid).toList()));
    assertEquals(4, web.findInstances(study.studyInstanceUid()).size());
  }

  @Test
  void wadoRsKeepsTheStoredJpegByteIdentical() throws Exception {
    List<ReceivedInstance> got = new ArrayList<>();
    int n = client().retrieve(RetrieveTarget.study(study.studyInstanceUid()), tmp.resolve("wado"), got::add);
    assertEquals(4, n);
    Set<String> seen = new HashSet<>();
    for (ReceivedInstance r : got) {
      assertTrue(seen.add(r.sopInstanceUid()));
      assertEquals(FundusStudyFixture.JPEG_BASELINE, r.transferSyntaxUid());
      assertArrayEquals(FundusStudyFixture.pixelDataElement(originals.get(r.sopInstanceUid())),
          FundusStudyFixture.pixelDataElement(r.file()));
    }
    assertEquals(originals.keySet(), seen);
  }

  @Test
  void wrongPasswordGivesHttp401() {
    DicomWebClient web = new DicomWebClient(orthanc.dicomWebRoot(), DicomWebAuth.basic(OrthancServer.USER, "wrong"));
    PacsException e = assertThrows(PacsException.class, () -> web.search(DicomQuery.studies()));
    assertEquals(401, e.status().getAsInt());
    assertTrue(e.getMessage().contains("127.0.0.1:" + orthanc.httpPort()), e.getMessage());
  }

  @Test
  void closedPortIsReportedWithHostAndPort() throws Exception {
    int closed = OrthancServer.freePort();
    DicomWebClient web = new DicomWebClient(URI.create("http://127.0.0.1:" + closed + "/dicom-web/"),
        DicomWebAuth.none());
    PacsException e = assertThrows(PacsException.class, () -> web.search(DicomQuery.studies()));
    assertTrue(e.getMessage().contains("connection refused by 127.0.0.1:" + closed), e.getMessage());
  }

  @Test
  void stowRsStoresAndQidoFindsIt() throws Exception {
    FundusStudyFixture.Study extra = FundusStudyFixture.make(tmp.resolve("stow"), 2, "PAT-S", "L", "20240701", 32);
    StoreSummary summary = client().store(extra.files(), ProgressListener.NONE);
    assertEquals(2, summary.stored());
    assertEquals(0, summary.failed());
    assertEquals(2, client().findInstances(extra.studyInstanceUid()).size());
  }
}

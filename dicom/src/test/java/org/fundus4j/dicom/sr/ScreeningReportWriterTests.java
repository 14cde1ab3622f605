package org.fundus4j.dicom.sr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.dicom.CheckResult;
import org.fundus4j.dicom.DicomCheck;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.Fixtures;
import org.fundus4j.dicom.InstanceInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every SR passes dciodvfy, dsrdump shows the findings, identifiers and references are right. */
class ScreeningReportWriterTests {
  private static final AlgorithmId ALGORITHM = new AlgorithmId("fundus4j ResNet-50 test", "0.1.0");

  @Test
  void derivedImagesLiveBesideTheReportAndAreSentBeforeItAndRecognisedAsOurs(@TempDir Path dir) throws Exception {
    Path source = Fixtures.committed("op-jpeg-baseline.dcm");
    Path report = dir.resolve("out").resolve("sr").resolve("1.2.3-abc.dcm");
    Path folder = ScreeningReportWriter.derivedImagesFolder(report);
    assertEquals(dir.resolve("out").resolve("gradcam").resolve("1.2.3-abc").toAbsolutePath(), folder);
    assertEquals(List.of(report), ScreeningReportWriter.filesToSend(report), "no folder: the report alone");

    java.nio.file.Files.createDirectories(folder);
    java.nio.file.Files.createDirectories(report.getParent());
    org.fundus4j.dicom.DerivedImageWriter images = new org.fundus4j.dicom.DerivedImageWriter(UidGenerator.uuidDerived());
    java.awt.image.BufferedImage rgb = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
    org.fundus4j.dicom.DerivedImage second = images.write(source, rgb, "test overlay 1", folder.resolve("1-b.dcm"));
    org.fundus4j.dicom.DerivedImage first = images.write(source, rgb, "test overlay 0", folder.resolve("0-a.dcm"));
    java.nio.file.Files.writeString(folder.resolve("0-a.png"), "not sent");
    new ScreeningReportWriter(new AlgorithmId("folder test", "1"), UidGenerator.uuidDerived())
        .write(source, List.of(new Finding(Findings.GLAUCOMA, 0.3)), List.of(first, second), report);

    assertEquals(List.of(first.file(), second.file(), report), ScreeningReportWriter.filesToSend(report),
        "the derived images in name order, then the report; never the PNGs");
    assertTrue(org.fundus4j.dicom.DerivedImageWriter.isWrittenByFundus4j(first.file()));
    assertFalse(org.fundus4j.dicom.DerivedImageWriter.isWrittenByFundus4j(source), "the camera's photograph");
    assertFalse(org.fundus4j.dicom.DerivedImageWriter.isWrittenByFundus4j(report), "an SR");
  }

  @Test
  void srForTheRealOpPassesDciodvfyAndShowsFindingAndProbability(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    Path out = dir.resolve("sr.dcm");

    SrResult sr = writer.write(Fixtures.committed("op-jpeg-baseline.dcm"),
        List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.8734)), out);

    assertEquals(out, sr.file());
    assertEquals(List.of(), Fixtures.dciodvfyErrors(out));
    Fixtures.Result dump = Fixtures.run(List.of("dsrdump", out.toString()), 30);
    assertEquals(0, dump.exitCode(), dump.output());
    assertTrue(dump.output().contains("Comprehensive 3D SR Document"), dump.output());
    assertTrue(dump.output().contains(
        "<contains CODE:(,,\"Finding\")=(408574004,SCT,\"Imaging result abnormal\")>"), dump.output());
    assertTrue(dump.output().contains("<contains NUM:(,,\"Probability\")=\"0.8734\" (1,UCUM,\"no units\")>"),
        dump.output());
    assertTrue(dump.output().contains("<has concept mod CODE:(,,\"Laterality\")=(7771000,SCT,\"Left\")>"),
        dump.output());
    assertTrue(dump.output().contains("<has obs context TEXT:(,,\"Device Observer Name\")=\"fundus4j ResNet-50 test\">"),
        dump.output());
    assertTrue(dump.output().contains("<has concept mod TEXT:(,,\"Algorithm Version\")=\"0.1.0\">"), dump.output());
    assertFalse(dump.output().contains("\nE: ") || dump.output().startsWith("E: "), dump.output());
  }

  @Test
  void srCarriesPatientAndStudyOfTheSourceAndReferencesItsInstance(@TempDir Path dir) throws Exception {
    UidGenerator uids = UidGenerator.withRoot("1.2.826.0.1.3680043.10.999");
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, uids);
    Path out = dir.resolve("sr.dcm");

    SrResult sr = writer.write(Fixtures.committed("op-jpeg-baseline.dcm"),
        List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.25)), out);

    Fixtures.Result dump = Fixtures.run(List.of("dcmdump", "+P", "PatientID", "+P", "PatientName", "+P",
        "StudyInstanceUID", "+P", "SeriesInstanceUID", "+P", "SOPInstanceUID", "+P", "ReferencedSOPInstanceUID",
        "+P", "AccessionNumber", "+P", "Modality", out.toString()), 30);
    String d = dump.output();
    assertTrue(d.contains("(0010,0020) LO [" + Fixtures.PATIENT_ID + "]"), d);
    assertTrue(d.contains("(0010,0010) PN [Fundusfixture^Testpatient]"), d);
    assertTrue(d.contains("(0020,000d) UI [" + Fixtures.STUDY_UID + "]"), d);
    assertTrue(d.contains("(0008,0050) SH [ACC-FIXTURE-1]"), d);
    assertTrue(d.contains("(0008,0060) CS [SR]"), d);
    // Source instance referenced three times: Image Library, Source of Measurement, Evidence Sequence.
    assertEquals(3, count(d, "(0008,1155) UI [" + Fixtures.SOP_INSTANCE_UID + "]"), d);
    assertTrue(d.contains("(0008,0018) UI [" + sr.sopInstanceUid() + "]"), d);
    assertTrue(sr.sopInstanceUid().startsWith("1.2.826.0.1.3680043.10.999."), sr.sopInstanceUid());
    InstanceInfo info = DicomImages.readInfo(out);
    assertEquals(Fixtures.STUDY_UID, info.studyInstanceUid());
    assertNotEquals(Fixtures.SERIES_UID, info.seriesInstanceUid(), "the SR must be in a new series");
    assertTrue(info.seriesInstanceUid().startsWith("1.2.826.0.1.3680043.10.999."), info.seriesInstanceUid());
    assertEquals(ScreeningReportWriter.SOP_CLASS_UID, info.sopClassUid());
  }

  @Test
  void binaryAndMultiLabelReportsWithCallsPassDciodvfyAndPixelmedSrValidator(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    Path binary = writer.write(Fixtures.committed("op-jpeg-baseline.dcm"),
        List.of(Finding.called(Findings.ABNORMAL_FUNDUS, 0.8734, 0.5)), dir.resolve("binary.dcm")).file();
    List<Finding> seven = new ArrayList<>();
    double p = 0.05;
    for (String label : List.of("AMD", "Glaucoma", "Glaucoma_suspect", "DMR", "Pathologic myopia", "ERM", "RVO")) {
      seven.add(Finding.called(Findings.forLabel(label), p, 0.4));
      p += 0.15;
    }
    Path multi = writer.write(Fixtures.committed("op-jpeg-baseline.dcm"), seven, dir.resolve("multi.dcm")).file();

    for (Path sr : List.of(binary, multi)) {
      assertEquals(List.of(), Fixtures.dciodvfyErrors(sr), sr.toString());
      assertEquals(List.of(), org.fundus4j.dicom.testing.Validators.pixelmedSrErrors(sr), sr.toString());
    }
    String dump = Fixtures.run(List.of("dsrdump", multi.toString()), 30).output();
    assertEquals(7, count(dump, "\"Measurement Group\""), dump);
    // p = 0.05, 0.20, 0.35 < 0.4 absent; 0.50, 0.65, 0.80, 0.95 present
    assertEquals(3, count(dump, "=(272519000,SCT,\"Absent\")>"), dump);
    assertEquals(4, count(dump, "=(52101004,SCT,\"Present\")>"), dump);
    assertTrue(dump.contains("<contains CODE:(23986001,SCT,\"Glaucoma\")=(52101004,SCT,\"Present\")>")
        || dump.contains("<contains CODE:(,,\"Glaucoma\")=(272519000,SCT,\"Absent\")>"), dump);
    assertTrue(dump.contains("<has concept mod CODE:(,,\"Procedure reported\")=(363679005,SCT,\"Imaging procedure\")>"),
        dump);
  }

  @Test
  void allPaperLabelsInOneReportPassDciodvfy(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    List<Finding> findings = new ArrayList<>();
    findings.add(new Finding(Findings.ABNORMAL_FUNDUS, 0.5));
    double p = 0.0;
    for (CodedConcept label : Findings.PAPER_LABELS) {
      findings.add(new Finding(label, p));
      p += 1.0 / 6;
    }
    Path out = dir.resolve("all.dcm");

    writer.write(Fixtures.committed("op-jpeg-baseline.dcm"), findings, out);

    assertEquals(List.of(), Fixtures.dciodvfyErrors(out));
    String dump = Fixtures.run(List.of("dsrdump", out.toString()), 30).output();
    assertEquals(8, count(dump, "\"Measurement Group\""), dump);
    assertTrue(dump.contains("(F4J-0003,99FUNDUS4J,\"Retinal vein occlusion\")"), dump);
    assertTrue(dump.contains("<contains NUM:(,,\"Probability\")=\"1\" (1,UCUM,\"no units\")>"), dump);
    String codingSchemes = Fixtures.run(List.of("dcmdump", "+P", "CodingSchemeName", out.toString()), 30).output();
    assertTrue(codingSchemes.contains("[fundus4j private codes]"), codingSchemes);
  }

  @Test
  void srForVlPhotographicAndSecondaryCaptureWithoutLateralityPassesDciodvfy(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    for (String source : List.of("vl-photographic.dcm", "secondary-capture.dcm")) {
      Path out = dir.resolve(source + "-sr.dcm");
      writer.write(Fixtures.derived(source), List.of(new Finding(Findings.GLAUCOMA, 0.1)), out);
      assertEquals(List.of(), Fixtures.dciodvfyErrors(out), source);
      assertFalse(Fixtures.run(List.of("dsrdump", out.toString()), 30).output().contains("Laterality"), source);
    }
  }

  @Test
  void reportsOfOneStudyShareOneNewSeries(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    Path source = Fixtures.committed("op-jpeg-baseline.dcm");
    SrResult a = writer.write(source, List.of(new Finding(Findings.AMD, 0.1)), dir.resolve("a.dcm"));
    SrResult b = writer.write(source, List.of(new Finding(Findings.AMD, 0.2)), dir.resolve("b.dcm"));

    assertNotEquals(a.sopInstanceUid(), b.sopInstanceUid());
    assertEquals(DicomImages.readInfo(a.file()).seriesInstanceUid(), DicomImages.readInfo(b.file()).seriesInstanceUid());
  }

  @Test
  void theWrittenSrIsNotAnImageForTheReader(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    Path out = dir.resolve("sr.dcm");
    writer.write(Fixtures.committed("op-jpeg-baseline.dcm"), List.of(new Finding(Findings.AMD, 0.3)), out);

    CheckResult r = DicomCheck.check(out);
    assertFalse(r.ok());
    assertTrue(r.reason().endsWith("a structured report)"), r.reason());
  }

  @Test
  void nonImageSourceAndEmptyFindingsAreRejected(@TempDir Path dir) throws Exception {
    ScreeningReportWriter writer = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived());
    Path sr = Fixtures.committed("comprehensive-sr.dcm");
    DicomReadException e = assertThrows(DicomReadException.class,
        () -> writer.write(sr, List.of(new Finding(Findings.AMD, 0.3)), dir.resolve("x.dcm")));
    assertEquals(sr + ": not an image (no Rows (0028,0010)/Columns (0028,0011)), a screening report can only"
        + " reference an image", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> writer.write(Fixtures.committed("op-jpeg-baseline.dcm"), List.of(), dir.resolve("y.dcm")));
  }

  @Test
  void deviceObserverUidIsStablePerAlgorithmVersion() {
    String a = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived()).deviceObserverUid();
    String b = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived()).deviceObserverUid();
    String c = new ScreeningReportWriter(new AlgorithmId(ALGORITHM.name(), "0.2.0"), UidGenerator.uuidDerived())
        .deviceObserverUid();
    assertEquals(a, b);
    assertNotEquals(a, c);
    assertTrue(UidGenerator.isValid(a) && a.startsWith("2.25."), a);
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}

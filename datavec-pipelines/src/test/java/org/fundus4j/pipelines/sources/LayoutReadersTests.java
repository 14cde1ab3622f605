package org.fundus4j.pipelines.sources;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.datavec.api.writable.NDArrayWritable;
import org.datavec.api.writable.Writable;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Each layout reader on its fixture (made by SyntheticDataset; see fixtures/README.md). */
class LayoutReadersTests {

  private static final Path FIXTURES = Path.of("src", "test", "resources", "fixtures");

  private static List<List<Writable>> readAll(LabelledSet set, int size) {
    SkipReport skips = new SkipReport();
    FundusRecordReader rr = new FundusRecordReader(set, Pipelines.evaluation(size), skips);
    List<List<Writable>> out = new java.util.ArrayList<>();
    while (rr.hasNext()) {
      out.add(rr.next());
    }
    assertEquals(0, skips.count(), skips.entries().toString());
    return out;
  }

  private static void assertImage(Writable w, int size) {
    INDArray x = ((NDArrayWritable) w).get();
    assertArrayEquals(new long[] {1, 3, size, size}, x.shape());
    assertTrue(x.maxNumber().doubleValue() > 0.5, "image is not black");
  }

  @Test
  void dicomFolder() {
    LabelledSet set = DicomFolder.read(FIXTURES.resolve("dicom/labels.csv"));
    assertEquals(LabelKind.BINARY, set.kind());
    assertEquals(List.of("normal", "abnormal"), set.classNames());
    assertEquals(List.of("0001_R.dcm", "0001_L.dcm", "0002_R.dcm", "0002_L.dcm"),
        set.samples().stream().map(s -> s.image().getFileName().toString()).toList());
    assertEquals(List.of(0, 0, 1, 1), set.samples().stream().map(s -> s.label(0)).toList());
    assertEquals(List.of("SYN0001", "SYN0001", "SYN0002", "SYN0002"),
        set.samples().stream().map(Sample::patientId).toList());
    List<List<Writable>> records = readAll(set, 32);
    assertEquals(4, records.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(3, records.get(i).size());
      assertImage(records.get(i).get(0), 32);
      assertEquals(set.samples().get(i).label(0), records.get(i).get(1).toInt());
      assertEquals(set.samples().get(i).patientId(), records.get(i).get(2).toString());
    }
  }

  @Test
  void dicomFolderFindsFilesBySopInstanceUid(@TempDir Path dir) throws Exception {
    Path src = FIXTURES.resolve("dicom");
    for (String f : List.of("0001_R.dcm", "0002_L.dcm")) {
      Files.copy(src.resolve(f), dir.resolve("copy-" + f));
    }
    List<String> lines = Files.readAllLines(src.resolve("labels.csv"));
    String uidR = lines.get(1).split(",")[1];
    String uidL = lines.get(4).split(",")[1];
    Files.writeString(dir.resolve("labels.csv"), "file,sop_instance_uid,label,patient_id\n,"
        + uidL + ",1,SYN0002\n," + uidR + ",0,SYN0001\n");
    LabelledSet set = DicomFolder.read(dir.resolve("labels.csv"));
    assertEquals(dir.resolve("copy-0002_L.dcm").toAbsolutePath(), set.samples().get(0).image());
    assertEquals(dir.resolve("copy-0001_R.dcm").toAbsolutePath(), set.samples().get(1).image());
  }

  @Test
  void dicomFilesOfAPacsPullAreFoundThroughItsManifest(@TempDir Path store) throws Exception {
    Path src = FIXTURES.resolve("dicom");
    List<String> lines = Files.readAllLines(src.resolve("labels.csv"));
    Files.createDirectories(store.resolve("s1"));
    try (org.fundus4j.dicom.store.Manifest m = org.fundus4j.dicom.store.Manifest.open(store.resolve("manifest.tsv"))) {
      for (int i = 1; i <= 2; i++) {
        String[] f = lines.get(i).split(",");
        Files.copy(src.resolve(f[0]), store.resolve("s1").resolve(f[0]));
        m.record(new org.fundus4j.dicom.store.ManifestEntry(f[1], "", "", "", org.fundus4j.dicom.store.InstanceState.RETRIEVED,
            "s1/" + f[0], "", java.time.Instant.now()));
      }
      m.record(new org.fundus4j.dicom.store.ManifestEntry("1.2.3", "", "", "", org.fundus4j.dicom.store.InstanceState.FOUND,
          "", "", java.time.Instant.now()));
    }
    Path csv = Files.writeString(store.resolve("labels.csv"), "file,sop_instance_uid,label,patient_id\n,"
        + lines.get(2).split(",")[1] + ",1,A\n");
    LabelledSet set = DicomFolder.readWithPullManifest(csv, store);
    assertEquals(store.resolve("s1/0001_L.dcm").toAbsolutePath(), set.samples().get(0).image());
    assertEquals(2, DicomFolder.unlabelledFromPull(store).samples().size());
    assertEquals(1, readAll(set, 16).size());
  }

  @Test
  void rfmidSplitsReadFromTheirCsvs() throws Exception {
    Path root = FIXTURES.resolve("rfmid");
    Path csv = root.resolve("Evaluation_Set/RFMiD_Validation_Labels.csv");
    LabelledSet set = Rfmid.read(csv);
    assertEquals(LabelKind.MULTI_LABEL, set.kind());
    assertEquals(46, set.numClasses());
    assertEquals(List.of("Disease_Risk", "DR", "ARMD"), set.classNames().subList(0, 3));
    Sample s = set.samples().get(0);
    assertEquals(root.resolve("Evaluation_Set/Validation/1.png").toAbsolutePath().normalize(), s.image());
    assertEquals("RFMiD-Validation-1", s.patientId());
    // the fixture's CSV row 1: Disease_Risk, DR and ODC set
    List<String> header = List.of(Files.readAllLines(csv).get(0).split(","));
    for (int c = 0; c < 46; c++) {
      String col = header.get(c + 1);
      assertEquals(List.of("Disease_Risk", "DR", "ODC").contains(col) ? 1 : 0, s.label(c), col);
    }
    List<List<Writable>> records = readAll(set, 24);
    assertEquals(1 + 46 + 1, records.get(0).size());
    assertImage(records.get(0).get(0), 24);
    assertEquals("RFMiD-Validation-1", records.get(0).get(47).toString());

    LabelledSet training = Rfmid.read(root.resolve("Training_Set/RFMiD_Training_Labels.csv"), null,
        List.of("Disease_Risk"));
    assertEquals(LabelKind.BINARY, training.kind());
    assertEquals(List.of("RFMiD-Training-1", "RFMiD-Training-2", "RFMiD-Training-3"),
        training.samples().stream().map(Sample::patientId).toList());
  }

  @Test
  void jsiecSkipsTheNestedCopy() {
    LabelledSet set = Jsiec.read(FIXTURES.resolve("jsiec"));
    assertEquals(LabelKind.MULTI_CLASS, set.kind());
    // Lexicographic folder order: "10.0..." sorts after "1.1..." and before "2.0...".
    assertEquals(List.of("0.0.Normal", "0.3.DR1", "1.0.DR2", "1.1.DR3", "10.0.Possible glaucoma", "2.0.BRVO",
        "2.1.CRVO", "7.ERM", "9.Pathological myopia"), set.classNames());
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8), set.samples().stream().map(s -> s.label(0)).toList());
    assertEquals("10.0.Possible glaucoma/0005.jpg", set.samples().get(4).patientId());
    List<List<Writable>> records = readAll(set, 16);
    assertEquals(9, records.size());
    assertImage(records.get(0).get(0), 16);
    assertEquals(4, records.get(4).get(1).toInt());
  }

  @Test
  void fivesKeepsMasksAlignedWithImages() {
    LabelledSet set = Fives.read(FIXTURES.resolve("fives"));
    assertEquals(LabelKind.SEGMENTATION, set.kind());
    assertEquals(List.of("AMD", "DR", "Glaucoma", "Normal"), set.classNames());
    assertEquals(List.of("FIVES-test-1_A", "FIVES-train-1_A", "FIVES-train-2_D", "FIVES-train-3_G"),
        set.samples().stream().map(Sample::patientId).toList());
    assertEquals(List.of(0, 0, 1, 2), set.samples().stream().map(s -> s.label(0)).toList());
    assertEquals("3_G.png", set.samples().get(3).mask().getFileName().toString());
    assertEquals("Ground truth", set.samples().get(3).mask().getParent().getFileName().toString());
    assertEquals("train", set.samples().get(3).mask().getParent().getParent().getFileName().toString());
    List<List<Writable>> records = readAll(set, 64);
    for (List<Writable> r : records) {
      assertEquals(4, r.size());
      INDArray img = ((NDArrayWritable) r.get(0)).get();
      INDArray mask = ((NDArrayWritable) r.get(1)).get();
      assertArrayEquals(new long[] {1, 1, 64, 64}, mask.shape());
      double vessel = mask.sumNumber().doubleValue();
      assertTrue(vessel > 100, "vessel pixels " + vessel);
      // Vessels are dark red: on vessel pixels the mean green is below the image mean green.
      INDArray green = img.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
          org.nd4j.linalg.indexing.NDArrayIndex.point(1)).reshape(64, 64);
      INDArray m = mask.reshape(64, 64);
      double onVessels = green.mul(m).sumNumber().doubleValue() / vessel;
      double inDisc = green.mul(green.gt(-1.9).castTo(green.dataType())).sumNumber().doubleValue()
          / green.gt(-1.9).castTo(green.dataType()).sumNumber().doubleValue();
      assertTrue(onVessels < inDisc, "vessel green " + onVessels + " vs fundus green " + inDisc);
    }
  }

  @Test
  void genericCsvBinaryAndMultiLabel() {
    LabelledSet bin = GenericCsv.read(FIXTURES.resolve("csv/labels.csv"));
    assertEquals(LabelKind.BINARY, bin.kind());
    assertEquals(List.of("label=0", "label=1"), bin.classNames());
    assertEquals(4, readAll(bin, 16).size());
    LabelledSet multi = GenericCsv.read(FIXTURES.resolve("multilabel-csv/labels.csv"));
    assertEquals(LabelKind.MULTI_LABEL, multi.kind());
    assertEquals(List.of("AMD", "Glaucoma", "Glaucoma_suspect", "DMR", "Pathologic_myopia", "ERM", "RVO"),
        multi.classNames());
    assertArrayEquals(new int[] {0, 0, 1, 0, 0, 0, 0}, multi.samples().get(1).labels());
    List<List<Writable>> records = readAll(multi, 16);
    assertEquals("SYN0001", records.get(1).get(8).toString());
  }

  @Test
  void readerSkipsBadFilesAndGoesOn(@TempDir Path dir) throws Exception {
    Path src = FIXTURES.resolve("csv");
    Files.createDirectories(dir.resolve("images"));
    for (String f : List.of("0001_R.png", "0002_L.png")) {
      Files.copy(src.resolve("images").resolve(f), dir.resolve("images").resolve(f));
    }
    Files.writeString(dir.resolve("images/zero.png"), "");
    Files.writeString(dir.resolve("labels.csv"), "image,label,patient_id\nimages/0001_R.png,0,A\n"
        + "images/zero.png,1,B\nimages/0002_L.png,1,C\n");
    SkipReport skips = new SkipReport();
    FundusRecordReader rr = new FundusRecordReader(GenericCsv.read(dir.resolve("labels.csv")),
        Pipelines.evaluation(16), skips);
    int n = 0;
    while (rr.hasNext()) {
      List<Writable> r = rr.next();
      assertFalse(r.get(2).toString().equals("B"));
      n++;
    }
    assertEquals(2, n);
    assertEquals(1, skips.count());
    assertEquals(dir.resolve("images/zero.png").toAbsolutePath(), skips.entries().get(0).file());
  }

  @Test
  void csvErrorsNameFileLineAndColumn(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("labels.csv"), "image,label,patient_id\na.png,1,P\nb.png,yes,Q\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenericCsv.read(csv));
    assertEquals(csv + " line 3, column 'label': expected an integer label, got 'yes'", e.getMessage());
    Path noPatient = Files.writeString(dir.resolve("np.csv"), "image,label\na.png,1\n");
    e = assertThrows(IllegalArgumentException.class, () -> GenericCsv.read(noPatient));
    assertEquals(noPatient + ": missing column 'patient_id' (header: [image, label])", e.getMessage());
  }

  @Test
  void anImageListedTwiceWithContradictingLabelsIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
    Path csv = Files.writeString(dir.resolve("labels.csv"),
        "\uFEFFimage,abnormal,patient_id\nimg/a.png,1,P1\nimg/b.png,0,P2\nimg/a.png,0,P1\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenericCsv.read(csv));
    assertTrue(e.getMessage().contains(dir.resolve("img/a.png") + " is listed twice and the rows contradict each "
        + "other: labels [1] vs [0]; keep one row"), e.getMessage());
    // an identical repeat is not a contradiction
    Path same = Files.writeString(dir.resolve("same.csv"), "image,abnormal,patient_id\nimg/a.png,1,P1\n"
        + "img/b.png,0,P2\nimg/a.png,1,P1\n");
    assertEquals(3, GenericCsv.read(same).samples().size());
  }
}

package org.fundus4j.samples.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.FundusImage;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.sources.DataRequest;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.sources.GenericCsv;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.fundus4j.pipelines.sources.LabelMap;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.sources.Layout;
import org.fundus4j.pipelines.sources.TaskData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDatasetTests {

  @Test
  void writeDicomWritesOpFilesTwoEyesPerPatientHalfAbnormal(@TempDir Path dir) throws Exception {
    Path labels = SyntheticDataset.writeDicom(dir, 10, 96, 7);
    List<String> lines = Files.readAllLines(labels);
    assertEquals("file,sop_instance_uid,label,patient_id", lines.get(0));
    assertEquals(11, lines.size());
    LabelledSet set = DicomFolder.read(labels);
    assertEquals(LabelKind.BINARY, set.kind());
    assertEquals(5, set.samples().stream().filter(s -> s.label(0) == 1).count());
    assertEquals(5, set.samples().stream().map(Sample::patientId).distinct().count());
    for (int i = 0; i < 10; i++) {
      String[] f = lines.get(i + 1).split(",");
      FundusImage img = DicomImages.read(dir.resolve(f[0]));
      assertEquals(OphthalmicPhotoWriter.SOP_CLASS_UID, img.info().sopClassUid());
      assertEquals(f[1], img.info().sopInstanceUid());
      assertEquals(i % 2 == 0 ? "R" : "L", img.info().laterality());
      assertEquals(96, img.info().rows());
      // Uncompressed: the decoded pixels are exactly the rendered ones.
      BufferedImage expected = SyntheticFundus.renderWithMask(SyntheticDataset.random(7, i), 96,
          f[2].equals("1"), i % 2 == 0).image();
      for (int y = 0; y < 96; y += 5) {
        for (int x = 0; x < 96; x += 5) {
          assertEquals(expected.getRGB(x, y) & 0xffffff, img.rgb().getRGB(x, y) & 0xffffff, f[0] + " at " + x + "," + y);
        }
      }
    }
  }

  @Test
  void sameSeedWritesTheSameLabelsUidsAndPixels(@TempDir Path dir) throws Exception {
    Path a = SyntheticDataset.writeDicom(dir.resolve("a"), 4, 64, 3).getParent();
    Path b = SyntheticDataset.writeDicom(dir.resolve("b"), 4, 64, 3).getParent();
    assertArrayEquals(Files.readAllBytes(a.resolve("labels.csv")), Files.readAllBytes(b.resolve("labels.csv")));
    // Only Instance Creation Date/Time (the writing time) may differ between the files.
    for (String f : List.of("0001_R.dcm", "0002_L.dcm")) {
      FundusImage x = DicomImages.read(a.resolve(f));
      FundusImage y = DicomImages.read(b.resolve(f));
      assertEquals(x.info(), y.info());
      assertArrayEquals(x.rgb().getRGB(0, 0, 64, 64, null, 0, 64), y.rgb().getRGB(0, 0, 64, 64, null, 0, 64), f);
    }
  }

  @Test
  void writtenDicomPassesDciodvfy(@TempDir Path dir) throws Exception {
    SyntheticDataset.writeDicom(dir, 2, 64, 1);
    Process p = new ProcessBuilder("dciodvfy", dir.resolve("0001_R.dcm").toString()).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(out.lines().noneMatch(l -> l.startsWith("Error")), out);
  }

  @Test
  void rfmidIsWrittenInItsThreeSplitsAndReadFromEachCsvAloneWithThePaperLabels(@TempDir Path dir) throws Exception {
    Path training = SyntheticDataset.writeRfmid(dir, 10, 64, 1);

    assertEquals(dir.resolve(SyntheticDataset.RFMID_CSVS.get(0)), training);
    assertEquals("ID," + String.join(",", SyntheticDataset.RFMID_COLUMNS), Files.readAllLines(training).get(0));
    assertEquals(47, SyntheticDataset.RFMID_COLUMNS.size() + 1, "RFMiD's CSVs have 47 columns");
    LabelMap paper = LabelMap.paperSeven(Layout.RFMID);
    Set<String> patients = new HashSet<>();
    int[] sizes = {6, 2, 2};
    int i = 0;
    for (int split = 0; split < 3; split++) {
      Path csv = dir.resolve(SyntheticDataset.RFMID_CSVS.get(split));
      LabelledSet binary = TaskData.read(DataRequest.of(Layout.RFMID, csv), LabelKind.BINARY);
      LabelledSet seven = TaskData.read(new DataRequest(Layout.RFMID, csv, null, null, paper), LabelKind.MULTI_LABEL);
      assertEquals(sizes[split], seven.samples().size(), csv.toString());
      assertEquals(List.of("AMD", "Glaucoma", "DR", "Pathologic myopia", "ERM", "RVO"), seven.classNames());
      for (int k = 0; k < sizes[split]; k++, i++) {
        Sample s = seven.samples().get(k);
        assertEquals((k + 1) + ".png", s.image().getFileName().toString(), "IDs restart at 1 in each split");
        assertTrue(patients.add(s.patientId()), "patient id repeated across splits: " + s.patientId());
        int[] l = SyntheticDataset.multiLabels(SyntheticDataset.random(1, i));
        int[] expected = {l[SyntheticFundus.AMD], l[SyntheticFundus.GLAUCOMA], l[SyntheticFundus.DR],
            l[SyntheticFundus.MYOPIA], l[SyntheticFundus.ERM], l[SyntheticFundus.RVO]};
        assertArrayEquals(expected, s.labels(), csv + " ID " + (k + 1));
        assertEquals(java.util.Arrays.stream(expected).max().orElse(0), binary.samples().get(k).label(0),
            "Disease_Risk is the OR of the drawn diseases");
        assertEquals(64, ImageFiles.read(s.image()).getWidth());
      }
    }
  }

  @Test
  void jsiecIsWrittenWithItsNestedCopyAndReadOncePerImage(@TempDir Path dir) throws Exception {
    SyntheticDataset.writeJsiec(dir, 11, 64, 2);
    assertTrue(Files.isRegularFile(dir.resolve(SyntheticDataset.JSIEC_COPY).resolve("0.0.Normal/0001.jpg")));

    LabelledSet classes = TaskData.read(DataRequest.of(Layout.JSIEC, dir), LabelKind.MULTI_CLASS);
    LabelledSet seven = TaskData.read(new DataRequest(Layout.JSIEC, dir, null, null, LabelMap.paperSeven(Layout.JSIEC)),
        LabelKind.MULTI_LABEL);

    assertEquals(SyntheticDataset.JSIEC_CLASSES, classes.classNames(), "no 40th class from the copy");
    assertEquals(11, classes.samples().size(), "every image once");
    assertEquals(List.of("Glaucoma_suspect", "DR", "Pathologic myopia", "ERM", "RVO"), seven.classNames());
    for (int k = 0; k < 11; k++) {
      Sample s = classes.samples().get(k);
      int i = Integer.parseInt(s.image().getFileName().toString().substring(0, 4)) - 1;
      assertEquals(i % SyntheticDataset.JSIEC_CLASSES.size(), s.label(0), s.toString());
      assertEquals(dir.resolve(SyntheticDataset.JSIEC_CLASSES.get(s.label(0))).toAbsolutePath().normalize(),
          s.image().getParent());
      String cls = SyntheticDataset.JSIEC_CLASSES.get(s.label(0));
      int[] expected = {cls.equals("10.0.Possible glaucoma") ? 1 : 0, cls.contains(".DR") ? 1 : 0,
          cls.equals("9.Pathological myopia") ? 1 : 0, cls.equals("7.ERM") ? 1 : 0, cls.contains("RVO") ? 1 : 0};
      assertArrayEquals(expected, seven.samples().get(k).labels(), cls);
    }
  }

  @Test
  void fivesIsWrittenInTrainAndTestWithTheVesselTreeAsMask(@TempDir Path dir) throws Exception {
    SyntheticDataset.writeFives(dir, 8, 64, 3);

    LabelledSet set = TaskData.read(DataRequest.of(Layout.FIVES, dir), LabelKind.SEGMENTATION);

    assertEquals(LabelKind.SEGMENTATION, set.kind());
    assertEquals(8, set.samples().size());
    assertEquals(Set.of("FIVES-train-1_A", "FIVES-train-2_D", "FIVES-train-3_G", "FIVES-train-4_N", "FIVES-train-5_A",
        "FIVES-train-6_D", "FIVES-test-1_A", "FIVES-test-2_D"),
        new HashSet<>(set.samples().stream().map(Sample::patientId).toList()));
    for (Sample s : set.samples()) {
      boolean test = s.patientId().contains("test");
      int n = Integer.parseInt(s.image().getFileName().toString().split("_")[0]) - 1;
      int i = test ? 6 + n : n;
      Random rnd = SyntheticDataset.random(3, i);
      int[] l = new int[7];
      switch ("ADGN".charAt(n % 4)) {
        case 'A' -> l[SyntheticFundus.AMD] = 1;
        case 'D' -> l[SyntheticFundus.DR] = 1;
        case 'G' -> l[SyntheticFundus.GLAUCOMA] = 1;
        default -> { }
      }
      BufferedImage vessels = SyntheticFundus.renderMultiLabel(rnd, 64, l, rnd.nextBoolean()).vesselMask();
      BufferedImage mask = ImageFiles.read(s.mask());
      for (int y = 0; y < 64; y += 3) {
        for (int x = 0; x < 64; x += 3) {
          assertEquals(vessels.getRGB(x, y) & 0xff, mask.getRGB(x, y) & 0xff, s.mask() + " at " + x + "," + y);
        }
      }
      assertEquals("ADGN".indexOf(s.image().getFileName().toString().charAt(s.image().getFileName().toString()
          .indexOf('_') + 1)), s.label(0));
    }
  }

  @Test
  void genericCsvLayoutsReadBack(@TempDir Path dir) throws Exception {
    LabelledSet csv = GenericCsv.read(SyntheticDataset.writeGenericCsv(dir.resolve("csv"), 8, 64, 4));
    assertEquals(LabelKind.BINARY, csv.kind());
    assertEquals(4, csv.samples().stream().filter(s -> s.label(0) == 1).count());

    LabelledSet multi = GenericCsv.read(SyntheticDataset.writeMultiLabelCsv(dir.resolve("multi"), 8, 64, 5));
    assertEquals(LabelKind.MULTI_LABEL, multi.kind());
    assertEquals(SyntheticFundus.PAPER_LABELS, multi.classNames());
  }
}

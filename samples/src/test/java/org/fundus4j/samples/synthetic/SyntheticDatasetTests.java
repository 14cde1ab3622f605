package org.fundus4j.samples.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.FundusImage;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.sources.Fives;
import org.fundus4j.pipelines.sources.GenericCsv;
import org.fundus4j.pipelines.sources.Jsiec;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.sources.Rfmid;
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
  void everyPublicLayoutReadsBackWithItsReader(@TempDir Path dir) throws Exception {
    Path rfmidCsv = SyntheticDataset.writeRfmid(dir.resolve("rfmid"), 12, 64, 1);
    LabelledSet rfmid = Rfmid.read(rfmidCsv, dir.resolve("rfmid/Training"));
    assertEquals(12, rfmid.samples().size());
    assertEquals(SyntheticDataset.RFMID_COLUMNS, rfmid.classNames());
    for (Sample s : rfmid.samples()) {
      int any = 0;
      for (int c = 1; c < 7; c++) {
        any |= s.label(c);
      }
      assertEquals(any, s.label(0), "Disease_Risk is the OR of the disease columns");
    }

    LabelledSet jsiec = Jsiec.read(SyntheticDataset.writeJsiec(dir.resolve("jsiec"), 8, 64, 2));
    assertEquals(SyntheticDataset.JSIEC_CLASSES, jsiec.classNames());
    assertEquals(List.of(0, 0, 1, 1, 2, 2, 3, 3), jsiec.samples().stream().map(s -> s.label(0)).toList());

    LabelledSet fives = Fives.read(SyntheticDataset.writeFives(dir.resolve("fives"), 8, 64, 3));
    assertEquals(LabelKind.SEGMENTATION, fives.kind());
    assertEquals(8, fives.samples().size());
    assertTrue(fives.samples().stream().allMatch(s -> Files.isRegularFile(s.mask())));

    LabelledSet csv = GenericCsv.read(SyntheticDataset.writeGenericCsv(dir.resolve("csv"), 8, 64, 4));
    assertEquals(LabelKind.BINARY, csv.kind());
    assertEquals(4, csv.samples().stream().filter(s -> s.label(0) == 1).count());

    LabelledSet multi = GenericCsv.read(SyntheticDataset.writeMultiLabelCsv(dir.resolve("multi"), 8, 64, 5));
    assertEquals(LabelKind.MULTI_LABEL, multi.kind());
    assertEquals(SyntheticFundus.PAPER_LABELS, multi.classNames());
  }
}

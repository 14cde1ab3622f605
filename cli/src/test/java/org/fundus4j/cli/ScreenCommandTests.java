package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.Validators;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.samples.synthetic.SyntheticFundus;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fundus screen} with a multi-label model made by {@code fundus transfer}, and over pydicom's corpus. */
class ScreenCommandTests {

  static final Path PYDICOM_DATA = Path.of("/usr/lib/python3/dist-packages/pydicom/data");

  @TempDir
  Path dir;

  @Test
  void aMultiLabelModelFromFundusTransferScreensSevenCodedFindingsPerImage() throws Exception {
    Path labels = SyntheticDataset.writeMultiLabelCsv(dir.resolve("train"), 16, 64, 31);
    Path model = dir.resolve("model");
    CliRun transfer = CliRun.of("transfer", "--start", "scratch", "--mode", "lp", "--task", "multilabel",
        "--layout", "csv", "--data", labels.toString(), "--size", "64", "--batch", "8", "--val-fraction", "0.25",
        "--workers", "2", "--seed", "4", "--synthetic-data", "--epochs", "2", "--out", model.toString());
    assertEquals(0, transfer.exit(), transfer.all());
    ModelCard card = SavedModel.readCard(model);
    assertEquals("multi-label", card.task());
    assertEquals(SyntheticFundus.PAPER_LABELS, card.labels());
    FundusStudyFixture.Study study = FundusStudyFixture.make(dir.resolve("dicom"), 2, "F4J-CLI-7", "R", "20240105", 96);
    Path out = dir.resolve("out");

    CliRun screen = CliRun.of("screen", "--model", model.toString(), "--out", out.toString(),
        dir.resolve("dicom").toString());

    assertEquals(0, screen.exit(), screen.all());
    List<CSVRecord> rows = summary(out.resolve("summary.csv"));
    List<String> header = rows.get(0).getParser().getHeaderNames();
    for (String label : card.labels()) {
      assertTrue(header.contains(label + "_probability") && header.contains(label + "_call"), header.toString());
    }
    assertEquals(7, header.stream().filter(h -> h.endsWith("_probability")).count(), header.toString());
    assertEquals(study.files().size(), rows.size());
    // fundus transfer stores Youden thresholds for the labels with both classes among its validation images
    assertTrue(card.operatingPoint() != null && !card.operatingPoint().thresholds().isEmpty(), card.toString());
    for (CSVRecord row : rows) {
      assertEquals("screened", row.get("status"), row.toString());
      for (String label : card.labels()) {
        double p = Double.parseDouble(row.get(label + "_probability"));
        assertTrue(p >= 0 && p <= 1, row.toString());
        assertEquals(card.operatingPoint().thresholds().containsKey(label), !row.get(label + "_call").isEmpty(),
            "a call exactly for the labels the card has a threshold for: " + label);
      }
      Path sr = Path.of(row.get("output"));
      assertEquals(List.of(), Validators.dciodvfyErrors(sr));
      String dump = Validators.run(List.of("dsrdump", sr.toString()), 30).text();
      assertEquals(7, dump.split("\"Measurement Group\"", -1).length - 1, dump);
      for (String code : List.of("(267718000,SCT,\"Age related macular degeneration\")", "(23986001,SCT,\"Glaucoma\")",
          "(F4J-0002,99FUNDUS4J,\"Glaucoma suspect\")", "(4855003,SCT,\"Retinopathy due to diabetes mellitus\")",
          "(32022003,SCT,\"Degenerative progressive high myopia\")", "(367649002,SCT,\"Epiretinal membrane\")",
          "(F4J-0003,99FUNDUS4J,\"Retinal vein occlusion\")")) {
        assertTrue(dump.contains("<contains CODE:(,,\"Finding\")=" + code + ">"), code + "\n" + dump);
      }
    }
  }

  @Test
  void gradCamWritesAPngAndASecondaryCapturePerImageThatTheSrReferences() throws Exception {
    Path model = dir.resolve("binary-model");
    ModelCard card = new ModelCard("cam binary", "0.0.1", "binary", List.of("normal", "abnormal"), "Scratch", "FT",
        64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(), null,
        new ModelCard.OperatingPoint("fixed for the test", Map.of("abnormal", 0.5)));
    SavedModel.save(model, ResNet50.build(Head.linear(2), 21), card);
    FundusStudyFixture.Study study = FundusStudyFixture.make(dir.resolve("dicom"), 2, "F4J-CAM-CLI", "L", "20240109", 96);
    Path out = dir.resolve("out");

    CliRun screen = CliRun.of("screen", "--gradcam", "--model", model.toString(), "--out", out.toString(),
        dir.resolve("dicom").toString());

    assertEquals(0, screen.exit(), screen.all());
    List<CSVRecord> rows = summary(out.resolve("summary.csv"));
    assertEquals(2, rows.size());
    Set<String> series = new HashSet<>();
    for (CSVRecord row : rows) {
      assertEquals("screened", row.get("status"), row.toString());
      Path sr = Path.of(row.get("output"));
      String name = sr.getFileName().toString().replaceFirst("\\.dcm$", "");
      Path png = out.resolve("gradcam").resolve(name).resolve("0-imaging_result_abnormal.png");
      Path sc = out.resolve("gradcam").resolve(name).resolve("0-imaging_result_abnormal.dcm");
      java.awt.image.BufferedImage overlay = javax.imageio.ImageIO.read(png.toFile());
      assertEquals(64, overlay.getWidth(), png.toString());
      assertEquals(64, overlay.getHeight(), png.toString());

      assertEquals(List.of(), Validators.dciodvfyErrors(sc), sc.toString());
      String dump = Validators.run(List.of("dcmdump", sc.toString()), 30).text();
      String sourceUid = row.get("sop_instance_uid");
      assertTrue(dump.contains("(0008,0016) UI =SecondaryCaptureImageStorage"), dump);
      assertTrue(dump.contains("(0010,0020) LO [F4J-CAM-CLI]"), dump);
      assertTrue(dump.contains("(0020,000d) UI [" + study.studyInstanceUid() + "]"), dump);
      assertFalse(dump.contains("(0020,000e) UI [" + study.seriesInstanceUid() + "]"), "a new series\n" + dump);
      assertTrue(dump.contains("(0008,0008) CS [DERIVED\\SECONDARY]"), dump);
      assertTrue(dump.contains("(0028,0301) CS [NO]"), "Burned In Annotation\n" + dump);
      assertTrue(dump.contains("(0008,2111) ST [Grad-CAM"), dump);
      assertTrue(dump.contains("(0008,9215) SQ"), "Derivation Code Sequence\n" + dump);
      assertTrue(dump.contains("(0008,2112) SQ"), "Source Image Sequence\n" + dump);
      assertTrue(dump.contains("(0008,1155) UI [" + sourceUid + "]"), "the source is referenced\n" + dump);
      assertTrue(dump.contains("(0028,0004) CS [RGB]"), dump);
      String scUid = dump.lines().filter(l -> l.startsWith("(0008,0018)")).findFirst().orElseThrow()
          .replaceAll(".*\\[(.*)\\].*", "$1");
      series.add(dump.lines().filter(l -> l.startsWith("(0020,000e)")).findFirst().orElseThrow());

      assertEquals(List.of(), Validators.dciodvfyErrors(sr), sr.toString());
      String report = Validators.run(List.of("dsrdump", "+Pu", sr.toString()), 30).text();
      assertTrue(report.contains(scUid), "the SR references the overlay " + scUid + "\n" + report);
      String srDump = Validators.run(List.of("dcmdump", sr.toString()), 30).text();
      assertTrue(srDump.contains("(0040,a385) SQ"), "Pertinent Other Evidence Sequence\n" + srDump);
      if (row == rows.get(0)) {
        assertEquals(List.of(), Validators.pixelmedSrErrors(sr), sr.toString());
      }
    }
    assertEquals(1, series.size(), "one Grad-CAM series per study: " + series);
  }

  @Test
  void pydicomsCorpusGivesOneSrPerScreenedRowAReasonForEveryRefusalAndNoStackTrace() throws Exception {
    assumeTrue(Files.isDirectory(PYDICOM_DATA), "Debian's python3-pydicom is not installed");
    Path model = dir.resolve("binary");
    SavedModel.save(model, ResNet50.build(Head.linear(2), 3), new ModelCard("corpus test model", "1", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    Path out = dir.resolve("corpus");

    CliRun r = CliRun.of("screen", "--model", model.toString(), "--out", out.toString(), PYDICOM_DATA.toString());

    assertEquals(0, r.exit(), r.all());
    List<CSVRecord> rows = summary(out.resolve("summary.csv"));
    long screened = rows.stream().filter(row -> row.get("status").equals("screened")).count();
    long duplicates = rows.stream().filter(row -> row.get("status").equals("duplicate")).count();
    long srFiles;
    try (Stream<Path> srs = Files.list(out.resolve("sr"))) {
      srFiles = srs.count();
    }
    assertEquals(screened, srFiles, "one SR file per screened row");
    Set<String> outputs = new HashSet<>();
    for (CSVRecord row : rows) {
      if (row.get("status").equals("screened")) {
        assertTrue(outputs.add(row.get("output")), "two rows point at " + row.get("output"));
      } else {
        assertFalse(row.get("reason").isBlank(), "a refusal without a reason: " + row);
        assertTrue(row.get("output").isEmpty(), row.toString());
      }
    }
    assertTrue(screened > 40 && duplicates > 0, screened + " screened, " + duplicates + " duplicates");
    List<String> traces = r.err().lines().filter(l -> l.startsWith("\tat ") || l.contains("Exception in thread")
        || l.matches("^[a-z]+(\\.[A-Za-z0-9_$]+)+(Exception|Error)(: .*)?$")).toList();
    assertEquals(List.of(), traces, "no stack trace on stderr");
    System.out.printf("pydicom corpus: %d files, %d screened, %d duplicates, %d errors%n", rows.size(), screened,
        duplicates, rows.size() - screened - duplicates);
  }

  private static List<CSVRecord> summary(Path csv) throws Exception {
    try (Reader in = Files.newBufferedReader(csv)) {
      return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in).getRecords();
    }
  }
}

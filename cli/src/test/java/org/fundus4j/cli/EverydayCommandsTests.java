package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fundus dicom check} and {@code fundus screen} on a folder with good and bad files. */
class EverydayCommandsTests {

  @TempDir
  static Path dir;
  static Path data;
  static List<String> patientIds;

  @BeforeAll
  static void writeData() throws Exception {
    data = dir.resolve("data");
    Path labels = SyntheticDataset.writeDicom(data, 4, 64, 11);
    patientIds = Files.readAllLines(labels).stream().skip(1).map(l -> l.substring(l.lastIndexOf(',') + 1)).toList();
    byte[] whole = Files.readAllBytes(data.resolve(Files.readAllLines(labels).get(1).split(",")[0]));
    Files.write(data.resolve("truncated.dcm"), Arrays.copyOf(whole, whole.length / 3));
    Files.write(data.resolve("zero.dcm"), new byte[0]);
    Files.writeString(data.resolve("readme.txt"), "not a DICOM file");
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void dicomCheckReportsEveryFileAndGoesOnPastBadOnes() {
    CliRun r = run("dicom", "check", data.toString());

    assertEquals(0, r.exit(), r.err());
    // labels.csv beside the images is a non-DICOM input too
    assertTrue(r.out().contains("8 files: 4 decode, 4 with errors"), r.out());
    for (String bad : List.of("truncated.dcm", "zero.dcm", "readme.txt", "labels.csv")) {
      String line = r.out().lines().filter(l -> l.contains(bad)).findFirst().orElseThrow();
      assertTrue(line.contains("ERROR"), line);
    }
    assertTrue(r.out().contains("1.2.840.10008.5.1.4.1.1.77.1.5.1"), "OP SOP class shown");
    patientIds.forEach(id -> assertFalse(r.out().contains(id) || r.err().contains(id), "patient id leaked: " + id));
  }

  @Test
  void screenWritesAnSrPerImageAndAnErrorRowPerBadFile() throws Exception {
    Path model = dir.resolve("model");
    SavedModel.save(model, ResNet50.build(Head.linear(2), 3), new ModelCard("cli test model", "1", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    Path out = dir.resolve("screen-out");

    CliRun r = run("screen", "--model", model.toString(), "--out", out.toString(), "--fhir",
        out.resolve("fhir").toString(), data.toString());

    assertEquals(0, r.exit(), r.err());
    List<String> csv = Files.readAllLines(out.resolve("summary.csv"));
    assertEquals(9, csv.size(), "header + one row per input (4 images, 3 bad files, labels.csv): " + csv);
    assertEquals(4, csv.stream().filter(l -> l.contains(",screened,")).count());
    assertEquals(4, csv.stream().filter(l -> l.contains(",error,")).count());
    java.util.Set<String> srUids = new java.util.HashSet<>();
    try (var srs = Files.list(out.resolve("sr"))) {
      for (Path sr : srs.toList()) {
        srUids.add("urn:oid:" + org.fundus4j.dicom.DicomImages.readInfo(sr).sopInstanceUid());
      }
    }
    assertEquals(4, srUids.size());
    // --fhir: one transaction Bundle per screened image, its DiagnosticReport identified by the image's SR UID
    java.util.Set<String> reportIds = new java.util.HashSet<>();
    try (var bundles = Files.list(out.resolve("fhir"))) {
      for (Path json : bundles.toList()) {
        org.hl7.fhir.r4.model.Bundle b = org.fundus4j.fhir.ScreeningBundle.context().newJsonParser()
            .parseResource(org.hl7.fhir.r4.model.Bundle.class, Files.readString(json));
        assertEquals(org.hl7.fhir.r4.model.Bundle.BundleType.TRANSACTION, b.getType());
        b.getEntry().stream().map(e -> e.getResource())
            .filter(x -> x instanceof org.hl7.fhir.r4.model.DiagnosticReport)
            .forEach(x -> reportIds.add(
                ((org.hl7.fhir.r4.model.DiagnosticReport) x).getIdentifierFirstRep().getValue()));
      }
    }
    assertEquals(srUids, reportIds);
    assertTrue(r.out().contains("4 screened"), r.out());
    patientIds.forEach(id -> assertFalse(r.out().contains(id) || r.err().contains(id), "patient id leaked: " + id));
  }

  @Test
  void screenExitsNonZeroWhenNothingCouldBeScreened() throws Exception {
    Path model = dir.resolve("model-2");
    SavedModel.save(model, ResNet50.build(Head.linear(2), 3), new ModelCard("cli test model", "1", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));

    CliRun r = run("screen", "--model", model.toString(), "--out", dir.resolve("none").toString(),
        data.resolve("zero.dcm").toString());

    assertEquals(1, r.exit());
    assertTrue(r.out().contains("zero.dcm"), r.out());
  }

  @Test
  void screenAtPrecisionInt8RunsTheModelFoldersInt8Model() throws Exception {
    Path model = dir.resolve("model-int8");
    org.deeplearning4j.nn.graph.ComputationGraph net = ResNet50.build(Head.linear(2), 3);
    List<org.nd4j.linalg.api.ndarray.INDArray> images = List.of(org.fundus4j.pipelines.FundusDataSets.iterator(
        org.fundus4j.pipelines.sources.DicomFolder.read(data.resolve("labels.csv")).samples(),
        org.fundus4j.pipelines.Pipelines.evaluation(64), org.fundus4j.pipelines.LabelKind.BINARY, 2, 4,
        new org.fundus4j.pipelines.SkipReport()).next().getFeatures());
    org.fundus4j.transfer.BatchNormCalibration.reestimate(net, images);
    ModelCard card = new ModelCard("cli int8 model", "1", "binary", List.of("normal", "abnormal"), "Scratch", "LP",
        64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of());
    SavedModel.save(model, net, card);

    CliRun missing = run("screen", "--precision", "int8", "--model", model.toString(), "--out",
        dir.resolve("int8-missing").toString(), data.toString());
    assertTrue(missing.exit() != 0, "int8 without an int8 model must fail");
    assertTrue((missing.out() + missing.err()).contains("has no int8 model"), missing.out() + missing.err());

    ModelCard quantized = SavedModel.quantize(model, new SavedModel(net, card), images, "the 4 test images", 1);
    assertEquals(4, quantized.quantization().calibrationImages());
    assertEquals(quantized.quantization(), SavedModel.readCard(model).quantization(), "recorded in model-card.json");
    assertTrue(Files.isRegularFile(model.resolve(SavedModel.INT8)));

    Path out = dir.resolve("int8-out");
    CliRun r = run("screen", "--precision", "int8", "--model", model.toString(), "--out", out.toString(), data.toString());
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().contains("4 screened") && r.out().contains("onnxruntime int8 inference"), r.out());
    List<String> rows = Files.readAllLines(out.resolve("summary.csv"));
    assertEquals(4, rows.stream().filter(l -> l.contains(",screened,")).count(), rows.toString());
  }

  record Exec(int exit, String out) {}

  static Exec exec(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    return new Exec(p.waitFor(), out);
  }

  static Path model(String name) throws Exception {
    Path model = dir.resolve(name);
    SavedModel.save(model, ResNet50.build(Head.linear(2), 3), new ModelCard("cli test model", "1", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    return model;
  }

  @Test
  void screenOnAFullDiskExitsNonZeroNamingTheFileAndLeavesNoPartialSummary() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "mounting a tmpfs needs root");
    Path model = model("model-full-disk");
    Path mount = Files.createDirectories(dir.resolve("full-disk"));
    Exec mountResult = exec("mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", mount.toString());
    org.junit.jupiter.api.Assumptions.assumeTrue(mountResult.exit() == 0, "cannot mount a tmpfs: " + mountResult.out());
    try {
      Path out = Files.createDirectories(mount.resolve("out").resolve("sr")).getParent();
      // fill the 100 KB: every later write fails with ENOSPC, as on a full disk
      exec("dd", "if=/dev/zero", "of=" + mount.resolve("filler"), "bs=4k");

      CliRun r = run("screen", "--model", model.toString(), "--out", out.toString(), data.toString());

      assertEquals(1, r.exit(), r.all());
      // stderr: the progress bar, then one line
      List<String> err = r.err().lines().filter(l -> !l.startsWith("SLF4J") && !l.isBlank()
          && !l.startsWith("screening ")).toList();
      assertEquals(List.of("fundus screen: Cannot write " + out.resolve("summary.csv") + ": No space left on device"),
          err);
      assertFalse(Files.exists(out.resolve("summary.csv")), "no partial summary.csv");
      try (var left = Files.list(out)) {
        assertEquals(List.of(out.resolve("sr")), left.toList(), "no temporary files left behind");
      }
      // the per-file results were printed before the summary failed
      assertTrue(r.out().contains("ERROR  " + data.resolve("zero.dcm")), r.out());
      assertEquals(4, r.out().lines().filter(l -> l.contains("cannot write the output") && l.contains("No space left")).count(),
          r.out());
    } finally {
      exec("umount", mount.toString());
    }
  }

  @Test
  void aBrokenModelCardIsNamedWithLineAndColumn() throws Exception {
    Path model = model("model-broken-card");
    Files.writeString(model.resolve("model-card.json"), "{\"name\": \"x\",\n  \"task\": }");
    CliRun r = run("screen", "--model", model.toString(), "--out", dir.resolve("none-2").toString(),
        data.resolve("zero.dcm").toString());
    assertEquals(1, r.exit());
    List<String> err = r.err().lines().filter(l -> !l.startsWith("SLF4J")).toList();
    assertEquals(List.of("fundus screen: Cannot read " + model.resolve("model-card.json") + " (line 2, column 11): "
        + "Unexpected character ('}' (code 125)): expected a value"), err);
  }

  @Test
  void missingInputsAndAnOutThatIsAFileAreNamedInOneLine() throws Exception {
    Path model = model("model-paths");
    Path aFile = Files.writeString(dir.resolve("not-a-folder"), "x");
    CliRun r = run("screen", "--model", model.toString(), "--out", aFile.toString(), data.toString());
    assertEquals(1, r.exit());
    assertEquals("fundus screen: " + aFile + ": exists and is not a folder", r.err().strip());
    CliRun missing = run("stats", "auc", "--csv", dir.resolve("missing.csv").toString(), "--truth", "label",
        "--scores", "p");
    assertEquals(1, missing.exit());
    assertEquals("fundus stats auc: " + dir.resolve("missing.csv") + ": no such file or directory",
        missing.err().strip());
  }

  @Test
  void statsAucReadsACsvWithAUtf8ByteOrderMark() throws Exception {
    Path csv = dir.resolve("bom.csv");
    // Excel's "CSV UTF-8": a BOM before the header; AUC by hand: 3 of 4 case/control pairs ranked right = 0.75
    Files.writeString(csv, "\uFEFFlabel,p\n1,0.9\n1,0.4\n0,0.5\n0,0.1\n");
    CliRun r = run("stats", "auc", "--csv", csv.toString(), "--truth", "label", "--scores", "p");
    assertEquals(0, r.exit(), r.err());
    assertTrue(r.out().replace(" ", "").contains("\"auc\":0.75"), r.out());
  }
}

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
}

package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.Validators;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.unet.UNet;
import org.fundus4j.transfer.BatchNormCalibration;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Every head screens: the paper's seven labels as coded findings with calls, card normalisation, vessel maps. */
class ScreenerTests {

  /** The paper's code's label names (Downstream_Task/inference.ipynb), as users have them. */
  static final List<String> PAPER_LABELS =
      List.of("AMD", "Glaucoma", "Glaucoma_suspect", "DMR", "Pathologic myopia", "ERM", "RVO");

  @TempDir
  static Path dir;
  static FundusStudyFixture.Study study;
  static ComputationGraph sevenLabels;

  @BeforeAll
  static void makeStudyAndGraph() throws Exception {
    study = FundusStudyFixture.make(dir.resolve("data"), 2, "F4J-SCREEN-2", "L", "20240103", 96);
    sevenLabels = ResNet50.build(Head.multiLabel(7), 5);
  }

  private static ModelCard card(String task, List<String> labels, double[] mean, double[] std,
      ModelCard.OperatingPoint point) {
    return new ModelCard("test " + task, "0.0.2", task, labels, "Scratch", "FT", 64, mean, std, true, Map.of(), null,
        point);
  }

  @Test
  void multiLabelModelWritesSevenCodedFindingsWithCallsThatPassBothValidators() throws Exception {
    Map<String, Double> thresholds = new LinkedHashMap<>();
    for (String label : PAPER_LABELS) {
      thresholds.put(label, 0.5);
    }
    SavedModel model = new SavedModel(sevenLabels, card("multi-label", PAPER_LABELS, ModelCard.IMAGENET_MEAN,
        ModelCard.IMAGENET_STD, new ModelCard.OperatingPoint("Youden's J on the validation split", thresholds)));
    List<ScreeningRow> rows;
    ModelOutputs outputs;
    try (BatchScreening screening = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.ONNX, 1, 2)) {
      rows = screening.run(study.files(), dir.resolve("multi"), done -> {});
      outputs = screening.outputs();
    }
    Path csv = dir.resolve("multi/summary.csv");
    BatchScreening.writeCsv(rows, outputs, csv);

    assertEquals(List.of(Findings.AMD, Findings.GLAUCOMA, Findings.GLAUCOMA_SUSPECT, Findings.DIABETIC_RETINOPATHY,
        Findings.PATHOLOGIC_MYOPIA, Findings.EPIRETINAL_MEMBRANE, Findings.RETINAL_VEIN_OCCLUSION), outputs.concepts());
    for (ScreeningRow row : rows) {
      assertEquals(ScreeningRow.Status.SCREENED, row.status(), row.toString());
      List<Finding> findings = row.result().findings();
      assertEquals(7, findings.size());
      for (Finding f : findings) {
        assertEquals(f.probability() >= 0.5 ? Finding.Call.PRESENT : Finding.Call.ABSENT, f.call(), f.toString());
      }
      Path sr = row.output();
      assertEquals(List.of(), Validators.dciodvfyErrors(sr), sr.toString());
      if (row == rows.get(0)) {
        // PixelMed's template validator takes about a minute per SR on a loaded 2-core machine: once suffices here
        // (dicom's ScreeningReportWriterTests runs it on binary and multi-label reports too)
        assertEquals(List.of(), Validators.pixelmedSrErrors(sr), sr.toString());
      }
      String dump = Validators.run(List.of("dsrdump", sr.toString()), 30).text();
      assertEquals(7, dump.split("\"Measurement Group\"", -1).length - 1, dump);
      for (Finding f : findings) {
        String code = "(" + f.concept().value() + "," + f.concept().scheme() + ",\"" + f.concept().meaning() + "\")";
        assertTrue(dump.contains("<contains CODE:(,,\"Finding\")=" + code + ">"), code + "\n" + dump);
        String call = f.call() == Finding.Call.PRESENT ? "(52101004,SCT,\"Present\")" : "(272519000,SCT,\"Absent\")";
        assertTrue(dump.contains("<contains CODE:" + code.replaceFirst("^\\(([^,]*),([^,]*),", "($1,$2,") + "=" + call
            + ">") || dump.contains("<contains CODE:(,,\"" + f.concept().meaning() + "\")=" + call + ">"),
            f + "\n" + dump);
      }
    }
    List<String> lines = Files.readAllLines(csv);
    List<String> header = List.of(lines.get(0).split(","));
    assertEquals(7, header.stream().filter(h -> h.endsWith("_probability")).count(), lines.get(0));
    assertEquals(7, header.stream().filter(h -> h.endsWith("_call")).count(), lines.get(0));
    assertEquals("Glaucoma_suspect_probability", header.get(7));
  }

  @Test
  void theCardsMeanAndStdChangeTheProbabilitiesExactlyAsRenormalisingByHand() throws Exception {
    double[] mean = {0.3, 0.5, 0.1};
    double[] std = {0.6, 0.3, 0.4};
    Path file = study.files().get(0);
    ModelCard imagenetCard = card("multi-label", PAPER_LABELS, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, null);
    INDArray imagenetInput;
    try (Screener probe = new Screener(new SavedModel(sevenLabels, imagenetCard), InferenceEngine.DL4J)) {
      imagenetInput = probe.preprocess(DicomImages.readFirstFrame(file), file);
    }
    // a freshly initialised ResNet-50 saturates every sigmoid at 0 or 1; BatchNorm statistics from this image keep
    // the outputs where a change of input shows
    BatchNormCalibration.reestimate(sevenLabels, List.of(imagenetInput));
    double[] imagenet = new double[7];
    double[] other = new double[7];
    try (Screener a = new Screener(new SavedModel(sevenLabels, imagenetCard), InferenceEngine.DL4J);
        Screener b = new Screener(new SavedModel(sevenLabels, card("multi-label", PAPER_LABELS, mean, std, null)),
            InferenceEngine.DL4J)) {
      List<Finding> fa = a.screenImage(file).findings();
      List<Finding> fb = b.screenImage(file).findings();
      for (int i = 0; i < 7; i++) {
        imagenet[i] = fa.get(i).probability();
        other[i] = fb.get(i).probability();
      }
    }
    // x_other = ((x_imagenet * std_in + mean_in) - mean) / std, channel by channel
    INDArray byHand = imagenetInput.dup();
    for (int c = 0; c < 3; c++) {
      INDArray plane = byHand.get(NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.all(), NDArrayIndex.all());
      plane.muli(ModelCard.IMAGENET_STD[c]).addi(ModelCard.IMAGENET_MEAN[c] - mean[c]).divi(std[c]);
    }
    INDArray expected = sevenLabels.outputSingle(byHand);
    double largestChange = 0;
    for (int i = 0; i < 7; i++) {
      assertEquals(expected.getDouble(0, i), other[i], 1e-4, "label " + PAPER_LABELS.get(i));
      largestChange = Math.max(largestChange, Math.abs(other[i] - imagenet[i]));
    }
    assertTrue(largestChange > 1e-3, "other statistics, other probabilities: " + largestChange);
  }

  @Test
  void anUnknownLabelGetsAPrivateCodeNamedAfterIt() {
    ModelOutputs outputs = ModelOutputs.of(card("multi-label", List.of("Glaucoma", "Drusen (soft)"),
        ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, null));
    assertEquals(Findings.GLAUCOMA, outputs.concepts().get(0));
    assertEquals("Drusen (soft)", outputs.concepts().get(1).meaning());
    assertEquals(Findings.PRIVATE_SCHEME, outputs.concepts().get(1).scheme());
    assertEquals(outputs.concepts().get(1), Findings.forLabel("Drusen (soft)"), "stable across calls");
    assertThrows(IllegalArgumentException.class, () -> ModelOutputs.of(card("binary", List.of("a", "b", "c"),
        ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, null)));
  }

  @Test
  void aSegmentationModelScreensIntoAVesselMaskAndItsDensity() throws Exception {
    ComputationGraph unet = UNet.classic(4, 3);
    SavedModel model = new SavedModel(unet, card("segmentation", List.of("vessel"), ModelCard.IMAGENET_MEAN,
        ModelCard.IMAGENET_STD, null));
    Path file = study.files().get(1);
    List<ScreeningRow> rows;
    ModelOutputs outputs;
    INDArray input;
    try (BatchScreening screening = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.DL4J, 1, 1);
        Screener screener = new Screener(model, InferenceEngine.DL4J)) {
      rows = screening.run(List.of(file), dir.resolve("seg"), done -> {});
      outputs = screening.outputs();
      input = screener.preprocess(DicomImages.readFirstFrame(file), file);
      assertThrows(IllegalStateException.class, () -> screener.screen(file), "no findings for an SR");
    }
    BatchScreening.writeCsv(rows, outputs, dir.resolve("seg/summary.csv"));

    ScreeningRow row = rows.get(0);
    assertEquals(ScreeningRow.Status.SCREENED, row.status(), row.toString());
    assertTrue(row.output().toString().endsWith(".png"), row.output().toString());
    BufferedImage mask = ImageIO.read(row.output().toFile());
    assertEquals(64, mask.getWidth());
    float[] p = unet.outputSingle(input).dup('c').data().asFloat();
    long byHand = 0;
    long inPng = 0;
    for (int i = 0; i < p.length; i++) {
      byHand += p[i] >= 0.5f ? 1 : 0;
      inPng += (mask.getRaster().getSample(i % 64, i / 64, 0) == 255) ? 1 : 0;
    }
    assertEquals(64 * 64, p.length);
    assertEquals(byHand, inPng, "mask = model output >= 0.5");
    assertEquals((double) byHand / p.length, row.result().vessels().density(), 1e-12);
    List<String> csv = Files.readAllLines(dir.resolve("seg/summary.csv"));
    assertEquals("file,sop_instance_uid,status,vessel_density,output,reason", csv.get(0));
    assertTrue(csv.get(1).contains(String.format(java.util.Locale.ROOT, "%.6f", (double) byHand / p.length)),
        csv.get(1));
  }
}

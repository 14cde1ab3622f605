package org.fundus4j.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fundus4j.networks.inference.BiasCorrection;
import org.fundus4j.networks.inference.StaticQuantization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional int8 record of a model card: absent from older cards, kept through JSON and {@code withX}. */
class ModelCardQuantizationTests {
  @TempDir
  Path dir;

  private static final ModelCard CARD = new ModelCard("q test", "1", "binary", List.of("normal", "abnormal"),
      "Scratch", "LP", 128, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of("heldOutAuc", 0.9));

  @Test
  void cardWithoutTheFieldReadsAsNoQuantization() throws Exception {
    SavedModel.writeCard(dir, CARD);
    String json = Files.readString(dir.resolve(SavedModel.CARD)).replaceAll(",\\s*\"quantization\"\\s*:\\s*null", "");
    Files.writeString(dir.resolve(SavedModel.CARD), json);
    assertEquals(false, json.contains("quantization"), json);
    assertNull(SavedModel.readCard(dir).quantization());
  }

  @Test
  void quantizationSurvivesJsonAndOtherWithers() throws Exception {
    ModelCard.Quantization q = new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 64, 70,
        "first 64 training images", "ab12");
    ModelCard card = CARD.withQuantization(q).withMetric("x", 1.0)
        .withOperatingPoint(new ModelCard.OperatingPoint("Youden", Map.of("abnormal", 0.4)));
    SavedModel.writeCard(dir, card);
    assertEquals(q, SavedModel.readCard(dir).quantization());
  }

  @Test
  void theFallbackMeasurementSurvivesJsonAndTellsAMissedBound() throws Exception {
    ModelCard.Quantization q = new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 64, 71,
        "first 64 training images", "ab12", List.of("input", "relu"), 0.29, 0.03);
    SavedModel.writeCard(dir, CARD.withQuantization(q));
    ModelCard.Quantization read = SavedModel.readCard(dir).quantization();
    assertEquals(q, read);
    assertEquals(true, read.missesBound());
    assertEquals(false, new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 64, 71, "", "",
        List.of(), 0.02, 0.03).missesBound());
    // an older card: no measurement, nothing kept in float32, no warning
    ModelCard.Quantization old = new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 64, 71, "", "");
    assertEquals(List.of(), old.floatTensors());
    assertEquals(false, old.missesBound());
  }

  @Test
  void theBiasCorrectionSurvivesJson() throws Exception {
    StaticQuantization.Correction correction = new StaticQuantization.Correction(
        new BiasCorrection.Shift("output", new double[] {0.125, -0.0625}, 64), 0.0599, 0.0451, 0.0230, 0.0150, true);
    ModelCard.Quantization q = new ModelCard.Quantization(SavedModel.INT8, "QDQ", "search", 64, 71,
        "first 64 training images", "ab12", List.of(), 0.0451, 0.03, null, correction);
    SavedModel.writeCard(dir, CARD.withQuantization(q));
    ModelCard.Quantization read = SavedModel.readCard(dir).quantization();
    assertEquals(q, read);
    assertEquals(0.125, read.biasCorrection().shift().largest(), 0);
    // an older card without one
    assertNull(new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 64, 71, "", "").biasCorrection());
  }

  @Test
  void theHeldApartImagesSurviveJsonAndNameWhatTheDifferenceWasJudgedOn() throws Exception {
    ModelCard.Quantization q = new ModelCard.Quantization(SavedModel.INT8, "QDQ", "search", 32, 71,
        "first 64 training images (32 fitted on, the last 32 held apart to judge on)", "ab12", List.of(), 0.0241,
        0.03, null, null, 32);
    SavedModel.writeCard(dir, CARD.withQuantization(q));
    ModelCard.Quantization read = SavedModel.readCard(dir).quantization();
    assertEquals(q, read);
    assertEquals(32, read.checkImages());
    assertEquals("the 32 held-apart calibration images", read.judgedOn());
    // none of 32 beyond 0.03: 1 - 0.05^(1/32) = 0.08937 (rule of three: 3/32 = 0.094)
    assertEquals(0.08937, read.exceedance95(), 5e-6);
    // a missed bound on them supports no such claim
    assertNull(new ModelCard.Quantization(SavedModel.INT8, "QDQ", "search", 32, 71, "", "", List.of(), 0.0451, 0.03,
        null, null, 32).exceedance95());
    // an older card, or none held apart: judged on the calibration images themselves
    ModelCard.Quantization old = new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 64, 71, "", "");
    assertNull(old.checkImages());
    assertEquals("the calibration images", old.judgedOn());
    assertNull(old.exceedance95(), "no claim without held-apart images");
    assertThrows(IllegalArgumentException.class, () -> new ModelCard.Quantization(
        SavedModel.INT8, "QDQ", "minmax", 64, 71, "", "", List.of(), 0.02, 0.03, null, null, 0));
  }

  @Test
  void calibrationFromTheFolderNeedsItsTrainingSplit() throws Exception {
    // a card without a training record (a model not trained by TransferRun): its training images are unknown
    java.io.IOException none = assertThrows(java.io.IOException.class,
        () -> SavedModel.calibrationBatches(dir, CARD, 64, new org.fundus4j.pipelines.SkipReport()));
    assertEquals("The model card in " + dir + " records no training split, so its own training images are unknown; "
        + "calibrate with SavedModel.quantize(dir, model, batches, ...) on batches of them", none.getMessage());
    // a training record whose split file is gone
    ModelCard.Training training = new ModelCard.Training(TransferRun.SPLIT, "00", 12, 4, null, 1, 1, false, "AUC",
        0.5, Map.of());
    ModelCard trained = new ModelCard("q test", "1", "binary", List.of("normal", "abnormal"), "Scratch", "LP", 128,
        ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(), training, null);
    java.io.IOException missing = assertThrows(java.io.IOException.class,
        () -> SavedModel.calibrationBatches(dir, trained, 64, new org.fundus4j.pipelines.SkipReport()));
    assertEquals("The model's training split " + dir.resolve(TransferRun.SPLIT) + " is missing", missing.getMessage());
  }

  @Test
  void quantizationNeedsAFileAndImages() {
    assertThrows(IllegalArgumentException.class, () -> new ModelCard.Quantization(" ", "QDQ", "minmax", 64, 1, "", ""));
    assertThrows(IllegalArgumentException.class,
        () -> new ModelCard.Quantization(SavedModel.INT8, "QDQ", "minmax", 0, 1, "", ""));
  }
}

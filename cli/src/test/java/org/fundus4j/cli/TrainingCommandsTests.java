package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.StartWeights;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code fundus pretrain} and {@code fundus transfer} on 16 synthetic DICOM images at 64 px: one upstream
 * run (2 epochs) shared by the tests, then LP and FT from its backbone (FT on one device and on two: the same
 * outputs), and the refusals.
 */
class TrainingCommandsTests {

  @TempDir
  static Path dir;
  static Path data;
  static Path upstream;
  static CliRun pretrain;

  @BeforeAll
  static void pretrainOnce() throws Exception {
    data = dir.resolve("data");
    SyntheticDataset.writeDicom(data, 16, 64, 21);
    upstream = dir.resolve("upstream");
    pretrain = CliRun.of(pretrainArgs(upstream, "--epochs", "2"));
  }

  /** Small-data settings: 16 images, 4 of them (2 patients) for validation, batches of 8. */
  private static String[] pretrainArgs(Path out, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("pretrain", "--data", data.toString(), "--size", "64",
        "--batch", "8", "--val-fraction", "0.25", "--workers", "2", "--seed", "3", "--synthetic-data",
        "--out", out.toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static String[] transferArgs(Path out, String mode, String epochs, int batch, String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("transfer", "--start", "fundus", "--weights",
        upstream.toString(), "--mode", mode, "--data", data.toString(), "--size", "64", "--batch", "" + batch,
        "--val-fraction", "0.25", "--workers", "2", "--seed", "4", "--synthetic-data", "--epochs", epochs,
        "--out", out.toString()));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /**
   * FT from the upstream backbone, 1 epoch at the paper's lr 1e-5 in batches of 6: {@code fundus transfer ... --devices N} into
   * {@code out}. The 12 training images are 2 devices x 6, so with 2 devices the epoch is one round in which each
   * worker trains one full batch (no partial batch on one worker alone).
   */
  private static CliRun fineTune(Path out, int devices) {
    return CliRun.of(transferArgs(out, "ft", "1", 6, "--lr", "1e-5", "--devices", "" + devices));
  }

  private static CliRun fineTunedOnOneDevice;

  /** The one-device FT run into {@code <dir>/ft}, shared by the FT tests (run by the first that needs it). */
  private static synchronized CliRun fineTunedOnOneDevice() {
    if (fineTunedOnOneDevice == null) {
      fineTunedOnOneDevice = fineTune(dir.resolve("ft"), 1);
    }
    return fineTunedOnOneDevice;
  }

  @Test
  void pretrainWritesALoadableModelItsCardTheCurvesAndTheSplit() throws Exception {
    assertEquals(0, pretrain.exit(), pretrain.all());
    SavedModel model = SavedModel.load(upstream);
    assertEquals(ResNet50.build(Head.paper(2), 0).numParams(), model.graph().numParams(),
        "the paper's upstream network: ResNet-50 with the 2048-512-BN-ReLU-2 head");
    INDArray out = model.graph().outputSingle(false, org.nd4j.linalg.factory.Nd4j.rand(2, 3, 64, 64));
    assertEquals(2, out.size(1));
    assertFalse(Double.isNaN(out.sumNumber().doubleValue()));

    ModelCard card = model.card();
    assertEquals("binary", card.task());
    assertEquals("upstream", card.mode());
    assertEquals("Scratch", card.start());
    assertEquals(64, card.inputSize());
    assertTrue(card.syntheticData());
    ModelCard.Training training = card.training();
    assertNotNull(training, "the card records how the model was trained");
    assertEquals(2, training.epochs());
    assertEquals(16, training.trainingImages() + training.validationImages());
    assertEquals(4, training.validationImages(), "2 of 8 patients");
    assertEquals(org.fundus4j.io.FileHashes.sha256(upstream.resolve(training.splitFile())), training.splitSha256());
    assertEquals(1e-5, training.hyperParameters().learningRate());
    assertEquals(0.9, training.hyperParameters().beta1());
    assertEquals(1e-5, training.hyperParameters().weightDecay());
    assertEquals(8, training.hyperParameters().batchSize());
    assertEquals("1.0.0-M2.1", training.libraries().get("deeplearning4j"));
    assertEquals(training.bestValidation(), card.metrics().get("bestValidationAuc"));

    BufferedImage curves = ImageIO.read(upstream.resolve(TransferRun.CURVES).toFile());
    assertEquals(800, curves.getWidth());
    List<String> split = Files.readAllLines(upstream.resolve(TransferRun.SPLIT));
    assertEquals(17, split.size(), "header + every image once");
    assertTrue(pretrain.out().contains("epoch 2/2"), pretrain.out());
    assertTrue(pretrain.err().contains("loss"), "progress bars show the loss");
    assertFalse(pretrain.all().contains("SYN0"), "patient ids must not reach the output");
  }

  @Test
  void linearProbeFromThePretrainedBackboneKeepsItAndTrainsTheHead() throws Exception {
    Path out = dir.resolve("lp");

    CliRun r = CliRun.of(transferArgs(out, "lp", "3", 8));

    assertEquals(0, r.exit(), r.all());
    SavedModel lp = SavedModel.load(out);
    SavedModel up = SavedModel.load(upstream);
    for (String layer : List.of("conv1", "layer1.0.bn1", "layer4.2.conv3")) {
      assertEquals(up.graph().getLayer(layer).params(), lp.graph().getLayer(layer).params(),
          "LP keeps the Fundus start's backbone: " + layer);
    }
    assertEquals(2 * 2048 + 2, lp.graph().getLayer(ResNet50.OUTPUT).numParams(), "a new linear binary head");
    assertEquals("LP", lp.card().mode());
    assertEquals("Fundus", lp.card().start());
    assertEquals(3, lp.card().training().epochs());
    assertTrue(Files.exists(out.resolve(TransferRun.CURVES)));
    assertTrue(r.err().contains("featurizing training"), "features are computed once, with a progress bar");
  }

  @Test
  void fineTuningFromThePretrainedBackboneChangesIt() throws Exception {
    Path out = dir.resolve("ft");

    CliRun r = fineTunedOnOneDevice();

    assertEquals(0, r.exit(), r.all());
    SavedModel ft = SavedModel.load(out);
    SavedModel up = SavedModel.load(upstream);
    assertNotEquals(up.graph().getLayer("conv1").params(), ft.graph().getLayer("conv1").params(),
        "FT trains the backbone too");
    assertEquals("FT", ft.card().mode());
    assertEquals(1, ft.card().training().epochs());
  }

  @Test
  void fineTuningOnTwoDevicesWritesWhatOneDeviceWrites() throws Exception {
    Path one = dir.resolve("ft");
    Path two = dir.resolve("ft-2-devices");
    assertEquals(0, fineTunedOnOneDevice().exit(), fineTunedOnOneDevice().all());

    CliRun r = fineTune(two, 2);

    assertEquals(0, r.exit(), r.all());
    assertEquals(files(one), files(two), "the same outputs with 2 devices as with 1");
    assertTrue(files(two).containsAll(List.of(SavedModel.WEIGHTS, SavedModel.CARD, TransferRun.SPLIT,
        TransferRun.CURVES, "run.json", TransferRun.CHECKPOINTS)), files(two).toString());
    assertEquals(Files.readString(one.resolve(TransferRun.SPLIT)), Files.readString(two.resolve(TransferRun.SPLIT)),
        "the split does not depend on the devices");
    SavedModel model = SavedModel.load(two);
    assertEquals(ResNet50.build(Head.linear(2), 0).numParams(), model.graph().numParams(), "ResNet-50, linear head");
    assertEquals("FT", model.card().mode());
    assertEquals("Fundus", model.card().start());
    assertEquals(1, model.card().training().epochs());
    assertEquals(SavedModel.load(one).card().training().validationImages(), model.card().training().validationImages());
    assertEquals(800, ImageIO.read(two.resolve(TransferRun.CURVES).toFile()).getWidth());

    // the start (the upstream backbone under the new linear head, seed 4) against the model written. TransferRun
    // re-estimates every BatchNorm layer on the training images after FT (precise BatchNorm), so the start is
    // re-estimated the same way: what is compared is what the training steps did. Without it the start scores
    // 0.55546 and the comparison measures the re-estimation (1.01716 with it), not the training.
    ComputationGraph start = ResNet50.build(Head.linear(2), 4);
    StartWeights.loadAny(start, upstream);
    var fold = SplitFiles.readFolds(two.resolve(TransferRun.SPLIT)).get(0);
    List<Sample> validation = fold.test();
    TransferRun.calibrate(start, Task.BINARY.kind(), 2, fold.train(), 64, 6, 2, new SkipReport());
    TransferRun.HeldOut before = TransferRun.predict(start, Task.BINARY, validation, 64, 4, 2);
    TransferRun.HeldOut after = TransferRun.predict(model.graph(), Task.BINARY, validation, 64, 4, 2);
    assertEquals(validation.size(), after.images().size(), "a prediction for every validation image");
    for (double p : after.scores(0)) {
      assertTrue(p >= 0 && p <= 1, "probabilities: " + Arrays.toString(after.scores(0)));
    }
    // The validation cross-entropy falls on 2 devices (the claim: --devices 2 lowers it), at the paper's
    // lr 1e-5. Measured 2026-12-03 (AMD EPYC Zen 4), 2 devices / 1 device, with the layer helpers as they are and
    // with one of them swapped for DL4J's: all helpers 1.01151 -> 0.94645 (-6.4 %) / 0.89919; DL4J's convolution
    // helper 1.01716 -> 0.91552 (-10.0 %) / 0.87394; DL4J's BatchNorm helper 0.98934 -> 0.90466 (-8.6 %) / 0.85989.
    // At lr 3e-4 (this test's setting until then) the same three gave 2 devices 1.10099 (+8.8 %), 0.77370 and
    // 0.85449, 1 device 0.80172, 0.53557 and 0.70796: two Adam steps of lr 3e-4 from these 12 images move every
    // parameter by about lr whatever its gradient, so float rounding decided the outcome; at lr 1e-4 one of the
    // three fell by 1.8 % and one 1-device run rose. Each run repeats to 5 digits. Asserted as a fall of at least
    // 3 % (half the smallest measured), not as those numbers: another CPU rounds differently.
    // 1 device (the same settings) is the reference for the outputs, not a learning claim, so its loss is
    // printed only.
    double lossBefore = crossEntropy(before);
    double lossAfter = crossEntropy(after);
    double oneDevice = crossEntropy(TransferRun.predict(SavedModel.load(one).graph(), Task.BINARY, validation, 64,
        4, 2));
    System.out.printf(java.util.Locale.ROOT, "fundus transfer FT: validation loss %.5f -> %.5f (2 devices), "
        + "%.5f (1 device)%n", lossBefore, lossAfter, oneDevice);
    assertTrue(lossAfter <= 0.97 * lossBefore, "2 devices: validation loss " + lossBefore + " -> " + lossAfter);
  }

  /** Mean binary cross-entropy of the held-out predictions (for a binary task the one column is P(abnormal)). */
  private static double crossEntropy(TransferRun.HeldOut h) {
    double[] p = h.scores(0);
    int[] y = h.labels(0);
    double sum = 0;
    for (int i = 0; i < p.length; i++) {
      sum -= Math.log(Math.max(1e-12, y[i] == 1 ? p[i] : 1 - p[i]));
    }
    return sum / p.length;
  }

  private static Set<String> files(Path folder) throws Exception {
    try (Stream<Path> s = Files.list(folder)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  @Test
  void quantizeCalibratesOnTheModelsOwnTrainingImagesAndScreenRunsTheInt8Model() throws Exception {
    assertEquals(0, pretrain.exit(), pretrain.all());
    Path model = dir.resolve("quantized");
    Files.createDirectories(model);
    for (String f : List.of(SavedModel.WEIGHTS, SavedModel.CARD, TransferRun.SPLIT)) {
      Files.copy(upstream.resolve(f), model.resolve(f));
    }

    CliRun r = CliRun.of("quantize", model.toString(), "--images", "10", "--max-float", "0");

    assertEquals(0, r.exit(), r.all());
    assertTrue(Files.isRegularFile(model.resolve(SavedModel.INT8)));
    ModelCard.Quantization q = SavedModel.readCard(model).quantization();
    // --held-apart 0.5 by default: ranges and correction fitted on the first 5, every choice judged on the last 5
    assertEquals(5, q.calibrationImages());
    assertEquals(5, q.checkImages());
    assertEquals("the first 10 training images of split.csv (fold 1) (5 fitted on, the last 5 held apart to judge "
        + "on), evaluation pipeline at 64 px", q.calibrationData());
    assertEquals(List.of(), q.floatTensors(), "--max-float 0 keeps nothing in float32");
    assertTrue(r.out().contains("wrote " + model.resolve(SavedModel.INT8) + ": " + q.calibrationMethod()
        + " ranges on 5 training images, judged on 5 more held apart, 0 of " + q.calibratedTensors()
        + " tensors in float32"), r.out());
    assertTrue(r.out().contains(String.format(java.util.Locale.ROOT,
        "max |P int8 - P fp32| on the 5 held-apart calibration images: %.4f, bound 0.030", q.maxDifference())),
        r.out());
    if (!q.missesBound()) { // none of 5 beyond the bound: 1 - 0.05^(1/5) = 0.4507
      assertEquals(0.4507, q.exceedance95(), 5e-5);
      assertTrue(r.out().contains("fewer than 45.1% of new images like them stray beyond the bound (none of 5 did)"),
          r.out());
    } else {
      assertNull(q.exceedance95());
    }
    // the output layer's bias correction, measured and recorded; kept only if it is no worse
    assertEquals("output", q.biasCorrection().shift().layer());
    assertEquals(5, q.biasCorrection().shift().images(), "fitted on the images not held apart");
    assertEquals(q.biasCorrection().kept() ? q.biasCorrection().maxAfter() : q.biasCorrection().maxBefore(),
        q.maxDifference(), 1e-9);
    assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "output bias correction (largest shift %.4f): "
        + "all-int8 max |P int8 - P fp32| on the 5 held-apart calibration images %.4f -> %.4f",
        q.biasCorrection().shift().largest(),
        q.biasCorrection().maxBefore(), q.biasCorrection().maxAfter())), r.out());

    // the calibration images: the first 10 of the training part (fold 1) of split.csv, 8 + 2, as screen sees them
    List<INDArray> batches = SavedModel.calibrationBatches(model, SavedModel.readCard(model), 10,
        new SkipReport());
    assertEquals(List.of(8L, 2L), batches.stream().map(b -> b.size(0)).toList());
    List<Sample> train = SplitFiles.readFolds(
        model.resolve(TransferRun.SPLIT)).get(0).train();
    assertEquals(12, train.size(), "16 images, 4 for validation");
    org.fundus4j.pipelines.FundusPipeline eval = org.fundus4j.pipelines.Pipelines.evaluation(64);
    INDArray ninth = eval.apply(org.fundus4j.pipelines.sources.ImageFiles.open(train.get(9).image()), 0);
    assertEquals(ninth, batches.get(1).get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).reshape(ninth.shape()));

    CliRun screened = CliRun.of("screen", "--precision", "int8", "--model", model.toString(), "--out",
        dir.resolve("quantized-screen").toString(), data.toString());
    assertEquals(0, screened.exit(), screened.all());
    assertTrue(screened.out().contains("16 screened") && screened.out().contains("onnxruntime int8 inference"),
        screened.out());

    // an unreachable bound with --aware-epochs: quantisation-aware training on all 12 training images first; the
    // float32 model stays as it was, the int8 file holds the trained weights, the card says so
    Path aware = dir.resolve("quantized-aware");
    Files.createDirectories(aware);
    for (String f : List.of(SavedModel.WEIGHTS, SavedModel.CARD, TransferRun.SPLIT)) {
      Files.copy(upstream.resolve(f), aware.resolve(f));
    }
    String weights = org.fundus4j.io.FileHashes.sha256(aware.resolve(SavedModel.WEIGHTS));
    CliRun trained = CliRun.of("quantize", aware.toString(), "--images", "10", "--max-float", "0", "--bound",
        "1e-6", "--aware-epochs", "1");
    assertEquals(0, trained.exit(), trained.all());
    ModelCard.Quantization qa = SavedModel.readCard(aware).quantization();
    assertEquals(1, qa.awareTraining().options().epochs());
    assertEquals(12, qa.awareTraining().images(), "all of the split's training images");
    assertEquals(q.biasCorrection().maxBefore(), qa.awareTraining().before(), 1e-9,
        "the same all-int8 model before training, without the bias correction");
    assertFalse(qa.biasCorrection().kept(), "the trained copy replaces the corrected one");
    assertEquals(qa.awareTraining().after(), qa.maxDifference(), 1e-9);
    assertEquals(weights, org.fundus4j.io.FileHashes.sha256(aware.resolve(SavedModel.WEIGHTS)));
    assertTrue(trained.out().contains(String.format(java.util.Locale.ROOT, "quantisation-aware training (1 epochs, "
        + "12 images): all-int8 max |P int8 - P fp32| on the 5 held-apart calibration images %.4f before, %.4f "
        + "after",
        qa.awareTraining().before(), qa.awareTraining().after())), trained.out());

    CliRun tooMany = CliRun.of("quantize", model.toString(), "--images", "13");
    assertEquals(1, tooMany.exit(), tooMany.all());
    assertTrue(tooMany.err().contains("13 calibration images asked for, but " + model.resolve(TransferRun.SPLIT)
        + " has 12 readable training images (12 listed)"), tooMany.err());
    assertFalse(r.all().contains("SYN0") || screened.all().contains("SYN0"), "patient ids must not reach the output");
  }

  @Test
  void enumOptionsTakeTheirValuesInAnyCase() {
    for (String order : List.of("prefix", "PREFIX", "Prefix")) {
      picocli.CommandLine.ParseResult parsed = FundusCli.commandLine().parseArgs("quantize", "model", "--order", order);
      QuantizeCommand q = (QuantizeCommand) parsed.subcommand().commandSpec().userObject();
      assertEquals(org.fundus4j.networks.inference.StaticQuantization.Fallback.Order.PREFIX, q.order, order);
    }
    CliRun wrong = CliRun.of("quantize", "model", "--order", "first");
    assertEquals(2, wrong.exit(), wrong.all());
    assertTrue(wrong.err().contains("--order"), wrong.err());
  }

  @Test
  void aSecondRunWithoutResumeRefusesANonEmptyOutputFolder() {
    CliRun r = CliRun.of(pretrainArgs(upstream, "--epochs", "2"));

    assertEquals(1, r.exit());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains("Output folder " + upstream + " is not empty; resume (--resume)"), r.err());
  }

  @Test
  void badOptionsFailWithOneLineNamingTheOption() {
    assertOneLineNaming("size must be a multiple of 32",
        "pretrain", "--data", data.toString(), "--size", "100", "--out", dir.resolve("x1").toString());
    assertOneLineNaming("--data " + dir.resolve("missing.csv"),
        "pretrain", "--data", dir.resolve("missing.csv").toString(), "--out", dir.resolve("x2").toString());
    assertOneLineNaming("start fundus needs weights",
        "transfer", "--start", "fundus", "--mode", "lp", "--data", data.toString(), "--out", dir.resolve("x3").toString());
    assertOneLineNaming("--mode must be lp or ft",
        "transfer", "--start", "scratch", "--mode", "xx", "--data", data.toString(), "--out", dir.resolve("x4").toString());
    assertOneLineNaming("task multilabel cannot train on DICOM folder",
        "transfer", "--start", "scratch", "--mode", "lp", "--task", "multilabel", "--data", data.toString(),
        "--out", dir.resolve("x5").toString());
    assertOneLineNaming("Cannot resume: " + dir.resolve("x6") + " holds no run", pretrainArgs(dir.resolve("x6"), "--resume"));
    // resuming the upstream run with another learning rate names the option and both values
    assertOneLineNaming("lr was '1.0E-5'", pretrainArgs(upstream, "--epochs", "2", "--lr", "1e-4", "--resume"));
  }

  @Test
  void aMalformedCommandLineNamesTheOptionAndPointsToHelp() {
    CliRun r = CliRun.of("pretrain", "--data", data.toString());

    assertEquals(2, r.exit(), r.all());
    assertEquals(List.of("fundus pretrain: Missing required option: '--out=DIR'",
        "Try 'fundus pretrain --help' for the options."), r.err().lines().toList());
  }

  private static void assertOneLineNaming(String expected, String... args) {
    CliRun r = CliRun.of(args);
    assertEquals(1, r.exit(), r.all());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().contains(expected), "expected '" + expected + "' in: " + r.err());
  }
}

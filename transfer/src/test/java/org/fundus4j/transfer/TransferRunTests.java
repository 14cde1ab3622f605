package org.fundus4j.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.GenericCsv;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.dataset.DataSet;

/** {@link TransferRun} with a small network: several devices, the same outputs, and the plan's checks. */
class TransferRunTests {

  /** 24 disc photographs of 64 px, 12 patients; the abnormal ones carry a bright yellow blot. */
  static LabelledSet blots(Path dir) throws Exception {
    return blots(dir, 24);
  }

  /** {@code count} 64 px images, two per patient, every other one abnormal (a yellow square). */
  static LabelledSet blots(Path dir, int count) throws Exception {
    Random random = new Random(17);
    List<String> csv = new ArrayList<>(List.of("image,abnormal,patient_id"));
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      g.setColor(new Color(150 + random.nextInt(40), 40, 20));
      g.fillOval(2, 2, 60, 60);
      int label = i % 2;
      if (label == 1) {
        g.setColor(new Color(250, 240, 90));
        g.fillRect(12 + random.nextInt(24), 12 + random.nextInt(24), 14, 14);
      }
      g.dispose();
      ImageIO.write(image, "png", dir.resolve("img" + i + ".png").toFile());
      csv.add("img" + i + ".png," + label + ",P" + (i / 2));
    }
    Files.write(dir.resolve("labels.csv"), csv);
    return GenericCsv.read(dir.resolve("labels.csv"));
  }

  private static TransferRun.Plan plan() {
    return new TransferRun.Plan(Task.BINARY, Mode.FT, Start.SCRATCH, null, 64, 6, 6, 4, 5e-3, 3, 0.25);
  }

  private static TransferRun.Settings settings(int devices) {
    return TransferRun.Settings.defaults().withThreads(2).withDevices(devices)
        .withNetwork(head -> SmallCnn.build(3, 64, head.outputs()));
  }

  /** Mean loss over the validation images of a run (its split.csv fold 0 test part). */
  private static double validationLoss(ComputationGraph model, Path run) {
    var validation = SplitFiles.readFolds(run.resolve(TransferRun.SPLIT)).get(0).test();
    double sum = 0;
    int n = 0;
    try (FundusDataSetIterator it = FundusDataSets.iterator(validation, Pipelines.evaluation(64), LabelKind.BINARY,
        2, 8, new SkipReport(), IteratorOptions.defaults())) {
      while (it.hasNext()) {
        DataSet batch = it.next();
        sum += model.score(batch) * batch.numExamples();
        n += batch.numExamples();
      }
    }
    return sum / n;
  }

  private static Set<String> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  @Test
  void twoDevicesLowerTheValidationLossAndWriteWhatOneDeviceWrites(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    LabelledSet set = blots(data);
    Path one = dir.resolve("one");
    Path two = dir.resolve("two");

    TransferRun.run(plan(), set, Map.of("data", "blots"), one, false, settings(1));
    TransferRun.Result parallel = TransferRun.run(plan(), set, Map.of("data", "blots"), two, false, settings(2));

    assertEquals(files(one), files(two), "the same outputs with 2 devices as with 1");
    assertTrue(files(two).containsAll(Set.of(SavedModel.WEIGHTS, SavedModel.CARD, TransferRun.SPLIT,
        TransferRun.CURVES, "run.json", TransferRun.CHECKPOINTS)), files(two).toString());
    assertEquals(Files.readString(one.resolve(TransferRun.SPLIT)), Files.readString(two.resolve(TransferRun.SPLIT)),
        "the split does not depend on the devices");
    ComputationGraph initial = FineTune.prepare(SmallCnn.build(3, 64, 2), new org.nd4j.linalg.learning.config.Adam(
        5e-3), 1e-5, 3);
    double before = validationLoss(initial, two);
    // the model after the last epoch (the saved one is the best by validation AUC, which may come earlier)
    ComputationGraph last = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(
        two.resolve(TransferRun.CHECKPOINTS).resolve("last.zip").toFile(), false);
    double after = validationLoss(last, two);
    assertTrue(after < before, "validation loss " + before + " -> " + after);
    assertEquals(6, parallel.state().epochsDone());
    // the operating point is Youden's J on the validation split's predictions of the saved model
    var validation = SplitFiles.readFolds(two.resolve(TransferRun.SPLIT)).get(0).test();
    TransferRun.HeldOut v = TransferRun.predict(SavedModel.load(two).graph(), Task.BINARY, validation, 64, 4, 2);
    ModelCard.OperatingPoint point = SavedModel.load(two).card().operatingPoint();
    assertEquals(org.fundus4j.evaluation.metrics.OperatingPoints.youden(v.scores(0), v.labels(0)).threshold(),
        point.thresholds().get("abnormal"), 0.0);
    assertTrue(point.rule().startsWith("Youden's J on the validation split (6 images)"), point.rule());
    assertEquals(6, parallel.model().card().training().epochs());
  }

  @Test
  void planRefusesWhatTheRecipeCannotDo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TransferRun.Plan(
        Task.MULTILABEL, Mode.UPSTREAM, Start.SCRATCH, null, 64, 1, 1, 2, 1e-3, 1, 0.2));
    assertTrue(e.getMessage().startsWith("upstream pretraining is binary"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new TransferRun.Plan(Task.BINARY, Mode.LP,
        Start.IMAGENET, null, 64, 1, 1, 2, 1e-3, 1, 0.2));
    assertTrue(e.getMessage().startsWith("start imagenet needs weights"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new TransferRun.Plan(Task.BINARY, Mode.LP,
        Start.SCRATCH, null, 64, 1, 1, 2, 1e-3, 1, 0.7));
    assertEquals("validation fraction must be in (0, 0.5], got 0.7", e.getMessage());
  }

  @Test
  void cardVersionComesFromTheBuild() {
    String version = LibraryVersions.fundus4j();
    assertTrue(version.matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), version);
    assertEquals(version, LibraryVersions.current().get("fundus4j"));
  }
}

package org.fundus4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.SmallCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

class SparkTrainMainTests {

  private static final Path RETINA = Path.of("..", "data", "cc0", "retina-normal-left.jpg").toAbsolutePath().normalize();
  private static final Path HRF = Path.of("..", "data", "cc0", "hrf-microaneurysms-crop.png").toAbsolutePath().normalize();

  @Test
  void parseFillsDefaults() {
    SparkTrainMain.Options o = SparkTrainMain.Options.parse("--labels", "a.csv", "--output", "out");
    assertEquals(Path.of("a.csv"), o.labels());
    assertEquals(Path.of("out"), o.output());
    assertEquals(512, o.size());
    assertEquals(10, o.epochs());
    assertEquals(16, o.batchSizePerWorker());
    assertEquals(4, o.averagingFrequency());
    assertEquals(0, o.workers());
    assertEquals(2, o.prefetch());
    assertEquals(42, o.seed());
    assertNull(o.init());
  }

  @Test
  void parseRejectsUnknownOptionsBadNumbersAndSizes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SparkTrainMain.Options.parse("--labels", "a.csv", "--output", "out", "--rate", "1"));
    assertTrue(e.getMessage().startsWith("Unknown option --rate\nUsage: SparkTrainMain"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SparkTrainMain.Options.parse("--labels", "a.csv", "--output", "out", "--epochs", "ten"));
    assertEquals("--epochs expects an integer, got 'ten'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SparkTrainMain.Options.parse("--labels", "a.csv", "--output", "out", "--size", "100"));
    assertEquals("--size must be a positive multiple of 32 (ResNet-50 downsamples 32x), got 100", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SparkTrainMain.Options.parse("--labels", "a.csv", "--output", "out", "--batch", "1"));
    assertTrue(e.getMessage().startsWith("--batch must be >= 2: the paper head's BatchNorm1d"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SparkTrainMain.Options.parse("--labels", "a.csv"));
    assertTrue(e.getMessage().startsWith("--labels and --output are required"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SparkTrainMain.Options.parse("--labels"));
    assertTrue(e.getMessage().startsWith("Option --labels needs a value"), e.getMessage());
  }

  /**
   * The whole run on real photographs, with {@link SmallCnn} in place of ResNet-50: ResNet-50's parameters and
   * Adam state (~280 MB per copy, serialised on the heap for every averaging) ran a 4 GB test JVM out of heap.
   */
  @Test
  void runTrainsOnRealPhotosAndWritesALoadableModel(@TempDir Path dir) throws Exception {
    List<String> lines = new ArrayList<>(List.of("image,abnormal,patient_id"));
    for (int i = 0; i < 8; i++) {
      // one file per row (a file listed twice with two patients is refused): copies of the two photographs
      Path photo = i % 2 == 0 ? RETINA : HRF;
      String name = photo.getFileName().toString();
      Path copy = Files.copy(photo, dir.resolve(i + "-" + name));
      lines.add(copy + "," + (i % 2) + ",P" + i);
    }
    Path csv = dir.resolve("labels.csv");
    Files.write(csv, lines);
    Path out = dir.resolve("model");
    SparkTrainMain.Options options = SparkTrainMain.Options.parse("--labels", csv.toString(), "--output",
        out.toString(), "--size", "32", "--epochs", "2", "--batch", "2", "--averaging", "1", "--workers", "2",
        "--prefetch", "0", "--seed", "5");

    SparkTrainMain.Result result = assertTimeoutPreemptively(Duration.ofMinutes(3),
        () -> SparkTrainMain.run(options, LocalSpark.context(), head -> SmallCnn.build(5, 32, head.outputs())));

    assertEquals(2, result.epochLosses().size());
    result.epochLosses().forEach(loss -> assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss));
    List<String> lossFile = Files.readAllLines(out.resolve(SparkTrainMain.LOSS_FILE));
    assertEquals(3, lossFile.size());
    assertEquals("epoch,train_loss", lossFile.get(0));

    SavedModel saved = SavedModel.load(out);
    assertEquals("binary", saved.card().task());
    assertEquals(List.of("normal", "abnormal"), saved.card().labels());
    assertEquals("upstream", saved.card().mode(), "binary labels train the paper's upstream model");
    assertEquals(2, saved.card().training().epochs());
    assertEquals(32, saved.card().inputSize());
    assertEquals("Scratch", saved.card().start());
    assertEquals(result.epochLosses().get(1), saved.card().metrics().get("trainLoss"), 0.0);
    assertNotEquals(SmallCnn.build(5, 32, 2).params(), saved.graph().params(),
        "parameters should have moved away from the seed-5 initialisation");
    INDArray probabilities = saved.graph().outputSingle(Pipelines.evaluation(32).apply(ImageFiles.read(RETINA), 0));
    assertArrayEquals(new long[] {1, 2}, probabilities.shape());
    assertEquals(1.0, probabilities.sumNumber().doubleValue(), 1e-5);
  }
}

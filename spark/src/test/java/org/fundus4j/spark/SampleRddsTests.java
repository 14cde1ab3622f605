package org.fundus4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.spark.SparkException;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class SampleRddsTests {

  private static final Path RETINA = Path.of("..", "data", "cc0", "retina-normal-left.jpg").toAbsolutePath().normalize();
  private static final Path HRF = Path.of("..", "data", "cc0", "hrf-microaneurysms-crop.png").toAbsolutePath().normalize();
  private static final List<Sample> TWO = List.of(
      new Sample(RETINA, "P1", new int[] {0}, null),
      new Sample(HRF, "P2", new int[] {1}, null));

  @Test
  void evaluationDecodingOnTheExecutorsGivesTheDriversPipelineTensors() {
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
      List<DataSet> decoded = SampleRdds.decode(LocalSpark.context(), TWO,
          SampleRdds.Decoding.evaluation(64, LabelKind.BINARY, 2), 0).collect();

      assertEquals(2, decoded.size());
      for (int i = 0; i < 2; i++) {
        INDArray expected = Pipelines.evaluation(64).apply(ImageFiles.read(TWO.get(i).image()), 0);
        INDArray features = decoded.get(i).getFeatures();
        assertArrayEquals(new long[] {1, 3, 64, 64}, features.shape());
        assertArrayEquals(expected.data().asFloat(), features.data().asFloat(), 0f, "image " + i);
      }
      assertArrayEquals(new float[] {1, 0}, decoded.get(0).getLabels().data().asFloat());
      assertArrayEquals(new float[] {0, 1}, decoded.get(1).getLabels().data().asFloat());
    });
  }

  @Test
  void trainingDecodingUsesDrawEpochTimesCountPlusIndex() {
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
      int epoch = 3;
      List<DataSet> decoded = SampleRdds.decode(LocalSpark.context(), TWO,
          SampleRdds.Decoding.training(32, LabelKind.BINARY, 2, 7), epoch).collect();

      for (int i = 0; i < 2; i++) {
        INDArray expected = Pipelines.training(32, 7).apply(ImageFiles.read(TWO.get(i).image()), epoch * 2L + i);
        assertArrayEquals(expected.data().asFloat(), decoded.get(i).getFeatures().data().asFloat(), 0f,
            "image " + i);
      }
    });
  }

  @Test
  void multiLabelRowsKeepTheZeroOneVector() {
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
      List<Sample> samples = List.of(new Sample(HRF, "P2", new int[] {1, 0, 1}, null));
      DataSet decoded = SampleRdds.decode(LocalSpark.context(), samples,
          SampleRdds.Decoding.evaluation(32, LabelKind.MULTI_LABEL, 3), 0).first();
      assertArrayEquals(new long[] {1, 3}, decoded.getLabels().shape());
      assertArrayEquals(new float[] {1, 0, 1}, decoded.getLabels().data().asFloat());
    });
  }

  @Test
  void labelsOutOfRangeFailOnTheDriverNamingTheFile() {
    List<Sample> samples = List.of(new Sample(RETINA, "P1", new int[] {2}, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SampleRdds.decode(
        LocalSpark.context(), samples, SampleRdds.Decoding.evaluation(32, LabelKind.BINARY, 2), 0));
    assertEquals("BINARY needs one label in [0, 1], " + RETINA + " has [2]", e.getMessage());
  }

  @Test
  void anUnreadableImageFailsTheJobNamingTheFile(@TempDir Path dir) throws Exception {
    Path broken = dir.resolve("broken.png");
    Files.write(broken, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, 3});
    List<Sample> samples = List.of(new Sample(broken, "P9", new int[] {0}, null));
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
      SparkException e = assertThrows(SparkException.class, () -> SampleRdds.decode(LocalSpark.context(), samples,
          SampleRdds.Decoding.evaluation(32, LabelKind.BINARY, 2), 0).collect());
      assertTrue(e.getMessage().contains(broken.toString()), e.getMessage());
    });
  }

  @Test
  void decodingSettingsAreChecked() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SampleRdds.Decoding.evaluation(64, LabelKind.BINARY, 1));
    assertEquals("BINARY needs at least 2 classes, got 1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SampleRdds.Decoding.evaluation(0, LabelKind.BINARY, 2));
    assertEquals("Image size must be >= 1 pixel, got 0", e.getMessage());
  }
}

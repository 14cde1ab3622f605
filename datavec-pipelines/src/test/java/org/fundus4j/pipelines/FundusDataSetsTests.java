package org.fundus4j.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;

class FundusDataSetsTests {

  @TempDir
  static Path dir;
  static List<Sample> samples = new ArrayList<>();

  @BeforeAll
  static void writeImages() throws Exception {
    for (int i = 0; i < 10; i++) {
      Path f = TestImages.writePng(TestImages.disc(i), dir.resolve("img" + i + ".png"));
      samples.add(new Sample(f, "P" + i / 2, new int[] {i % 2}, null));
    }
  }

  private static List<DataSet> epoch(DataSetIterator it) {
    List<DataSet> out = new ArrayList<>();
    while (it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }

  private static IteratorOptions threads(int n) {
    return new IteratorOptions(n, 2, false, 0);
  }

  @Test
  void batchesHaveNchwFeaturesAndOneHotLabels() {
    try (FundusDataSetIterator it = FundusDataSets.iterator(samples, Pipelines.evaluation(32), LabelKind.BINARY, 2,
        4, new SkipReport(), threads(2))) {
      List<DataSet> batches = epoch(it);
      assertEquals(3, batches.size());
      assertArrayEquals(new long[] {4, 3, 32, 32}, batches.get(0).getFeatures().shape());
      assertArrayEquals(new long[] {2, 3, 32, 32}, batches.get(2).getFeatures().shape());
      INDArray labels = batches.get(0).getLabels();
      assertArrayEquals(new long[] {4, 2}, labels.shape());
      for (int i = 0; i < 4; i++) {
        int label = i % 2;
        assertEquals(label == 0 ? 1f : 0f, labels.getFloat(i, 0));
        assertEquals(label == 1 ? 1f : 0f, labels.getFloat(i, 1));
      }
      // Features are exactly the pipeline's output for each image.
      INDArray expected = Pipelines.evaluation(32).apply(TestImages.disc(5), 0);
      assertEquals(expected, batches.get(1).getFeatures().slice(1).reshape(1, 3, 32, 32));
    }
  }

  @Test
  void evaluationBatchesNeverChangeAndTrainingBatchesDo() {
    try (FundusDataSetIterator eval = FundusDataSets.iterator(samples, Pipelines.evaluation(32), LabelKind.BINARY, 2,
        5, new SkipReport(), threads(2));
        FundusDataSetIterator train = FundusDataSets.iterator(samples, Pipelines.training(32, 11), LabelKind.BINARY,
            2, 5, new SkipReport(), threads(2));
        FundusDataSetIterator trainAgain = FundusDataSets.iterator(samples, Pipelines.training(32, 11),
            LabelKind.BINARY, 2, 5, new SkipReport(), threads(1))) {
      List<DataSet> e1 = epoch(eval);
      eval.reset();
      List<DataSet> e2 = epoch(eval);
      List<DataSet> t1 = epoch(train);
      train.reset();
      List<DataSet> t2 = epoch(train);
      List<DataSet> t1Again = epoch(trainAgain);
      for (int b = 0; b < 2; b++) {
        assertEquals(e1.get(b).getFeatures(), e2.get(b).getFeatures(), "evaluation epoch 1 vs 2, batch " + b);
        assertNotEquals(e1.get(b).getFeatures(), t1.get(b).getFeatures(), "training vs evaluation, batch " + b);
        assertNotEquals(t1.get(b).getFeatures(), t2.get(b).getFeatures(), "training epoch 1 vs 2, batch " + b);
        assertEquals(t1.get(b).getFeatures(), t1Again.get(b).getFeatures(), "same seed, 2 vs 1 threads, batch " + b);
        assertEquals(e1.get(b).getLabels(), t1.get(b).getLabels());
      }
    }
  }

  @Test
  void badFilesAreReportedSkippedAndCountedOnce(@TempDir Path bad) throws Exception {
    List<Sample> withBad = new ArrayList<>(samples.subList(0, 4));
    Path empty = Files.createFile(bad.resolve("empty.png"));
    Path garbage = Files.writeString(bad.resolve("garbage.jpg"), "not an image");
    Path truncated = bad.resolve("truncated.dcm");
    byte[] dicom = Files.readAllBytes(Path.of("src/test/resources/fixtures/dicom/0001_R.dcm"));
    Files.write(truncated, java.util.Arrays.copyOf(dicom, 600));
    withBad.add(1, new Sample(empty, "X1", new int[] {0}, null));
    withBad.add(3, new Sample(garbage, "X2", new int[] {1}, null));
    withBad.add(new Sample(truncated, "X3", new int[] {1}, null));
    withBad.add(new Sample(bad.resolve("missing.png"), "X4", new int[] {1}, null));
    SkipReport skips = new SkipReport();
    try (FundusDataSetIterator it = FundusDataSets.iterator(withBad, Pipelines.evaluation(16), LabelKind.BINARY, 2,
        3, skips, threads(2))) {
      List<DataSet> batches = epoch(it);
      int images = 0;
      for (DataSet ds : batches) {
        images += ds.numExamples();
      }
      assertEquals(4, images, "the four good images");
      // Batch [img0, empty, img1] keeps img0 and img1, in order.
      assertEquals(Pipelines.evaluation(16).apply(TestImages.disc(1), 0),
          batches.get(0).getFeatures().slice(1).reshape(1, 3, 16, 16));
      it.reset();
      assertEquals(4, epoch(it).stream().mapToInt(DataSet::numExamples).sum());
    }
    assertEquals(4, skips.count(), skips.entries().toString());
    // Worker threads finish in any order: compare as sets.
    assertEquals(java.util.Set.of(empty, garbage, truncated, bad.resolve("missing.png")),
        java.util.Set.copyOf(skips.entries().stream().map(SkipReport.Entry::file).toList()));
    SkipReport.Entry missing = skips.entries().stream().filter(e -> e.file().endsWith("missing.png")).findFirst()
        .orElseThrow();
    assertEquals("No such file: " + bad.resolve("missing.png"), missing.reason());
    assertEquals("4 files skipped", skips.summary());
  }

  @Test
  void multiLabelAndSegmentationLabels(@TempDir Path d) throws Exception {
    Path img = TestImages.writePng(TestImages.discWithBlueRectangle(), d.resolve("a.png"));
    Path mask = TestImages.writePng(TestImages.blueRectangleMask(), d.resolve("a_mask.png"));
    List<Sample> multi = List.of(new Sample(img, "P", new int[] {1, 0, 1}, null));
    try (FundusDataSetIterator it = FundusDataSets.iterator(multi, Pipelines.evaluation(16), LabelKind.MULTI_LABEL,
        3, 2, new SkipReport(), threads(1))) {
      INDArray l = it.next().getLabels();
      assertArrayEquals(new long[] {1, 3}, l.shape());
      assertEquals(1f, l.getFloat(0, 0));
      assertEquals(0f, l.getFloat(0, 1));
      assertEquals(1f, l.getFloat(0, 2));
    }
    List<Sample> seg = List.of(new Sample(img, "P", new int[] {0}, mask));
    try (FundusDataSetIterator it = FundusDataSets.iterator(seg, Pipelines.evaluation(50), LabelKind.SEGMENTATION, 1,
        2, new SkipReport(), threads(1))) {
      INDArray m = it.next().getLabels();
      assertArrayEquals(new long[] {1, 1, 50, 50}, m.shape());
      assertEquals(75, m.sumNumber().doubleValue(), 12);
    }
  }

  @Test
  void labelsOutsideTheClassesAreTheCallersMistake() {
    List<Sample> s = List.of(new Sample(Path.of("a.png"), "P", new int[] {2}, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FundusDataSets.iterator(s, Pipelines.evaluation(16), LabelKind.BINARY, 2, 1, new SkipReport()));
    assertEquals("BINARY needs one label in [0, 1], a.png has [2]", e.getMessage());
  }
}

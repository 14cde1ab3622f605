package org.fundus4j.evaluation.visualize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TsneTests {
  /** Two Gaussian clusters in 50-D, 40 points each, centres 6 apart. */
  private static double[][] clusters(int[] labels) {
    Random rnd = new Random(1);
    double[][] x = new double[labels.length][50];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i % 2;
      for (int k = 0; k < 50; k++) {
        x[i][k] = rnd.nextGaussian() + (labels[i] == 1 && k < 4 ? 3 : 0);
      }
    }
    return x;
  }

  @Test
  void embeddingKeepsClustersApartAndIsRepeatable() {
    int[] labels = new int[80];
    double[][] x = clusters(labels);
    double[][] y = Tsne.embed(x, 42, 15, 500);
    assertEquals(80, y.length);
    assertEquals(2, y[0].length);
    // leave-one-out 1-nearest-neighbour accuracy in the 2-D embedding
    int correct = 0;
    for (int i = 0; i < y.length; i++) {
      int best = -1;
      double bestD = Double.MAX_VALUE;
      for (int j = 0; j < y.length; j++) {
        double d = Math.hypot(y[i][0] - y[j][0], y[i][1] - y[j][1]);
        if (j != i && d < bestD) {
          bestD = d;
          best = j;
        }
      }
      correct += labels[best] == labels[i] ? 1 : 0;
    }
    assertTrue(correct >= 76, "1-NN agreement " + correct + "/80");
    double[][] again = Tsne.embed(x, 42, 15, 500);
    for (int i = 0; i < y.length; i++) {
      assertArrayEquals(y[i], again[i], 0.0, "same seed, same embedding");
    }
  }

  @Test
  void writesCsvAndPng(@TempDir Path dir) throws Exception {
    int[] labels = new int[40];
    double[][] x = clusters(labels);
    double[][] y = Tsne.embed(x, 7, 10, 300);
    Path csv = dir.resolve("tsne.csv");
    Tsne.writeCsv(csv, y, labels);
    List<String> lines = Files.readAllLines(csv);
    assertEquals(41, lines.size());
    assertEquals("x,y,label", lines.get(0));
    assertEquals(y[3][0], Double.parseDouble(lines.get(4).split(",")[0]), 0.0);
    Path png = dir.resolve("tsne.png");
    Tsne.writePng(png, y, labels, List.of("normal", "disease"), "t-SNE of two clusters");
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(800, img.getWidth());
    assertEquals(700, img.getHeight());
  }

  @Test
  void rejectsTooFewPointsAndTooHighPerplexity() {
    var e = assertThrows(IllegalArgumentException.class, () -> Tsne.embed(new double[3][2], 1));
    assertEquals("t-SNE needs at least 4 points, got 3", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Tsne.embed(new double[10][2], 1, 5, 500));
  }
}

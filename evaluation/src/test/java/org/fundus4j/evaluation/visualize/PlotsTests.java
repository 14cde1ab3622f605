package org.fundus4j.evaluation.visualize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.metrics.RocCurve;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTests {
  @Test
  void writesEachChartAsAn800By600Png(@TempDir Path dir) throws Exception {
    Map<String, RocCurve> curves = new LinkedHashMap<>();
    curves.put("model A", RocAuc.curve(new double[] {0.1, 0.4, 0.35, 0.8, 0.7}, new int[] {0, 0, 1, 1, 1}));
    curves.put("model B", RocAuc.curve(new double[] {0.5, 0.4, 0.3, 0.8, 0.2}, new int[] {0, 0, 1, 1, 1}));
    Path roc = Plots.rocCurves(dir.resolve("roc.png"), "ROC", curves);
    Path res = Plots.aucVsResolution(dir.resolve("sub/fig2a.png"), "AUC vs resolution", List.of(
        new Plots.Series("ImageNet FT", new double[] {224, 384, 512}, new double[] {0.85, 0.88, 0.9},
            new double[] {0.01, 0.012, 0.008}),
        new Plots.Series("Fundus FT", new double[] {224, 384, 512}, new double[] {0.87, 0.9, 0.92})));
    Path frac = Plots.aucVsFraction(dir.resolve("fig2c"), "AUC vs data", List.of(
        new Plots.Series("LP", new double[] {10, 50, 100}, new double[] {0.7, 0.8, 0.85})));
    Path train = Plots.trainingCurves(dir.resolve("loss.png"), "Loss", "cross-entropy", List.of(
        new Plots.Series("train", new double[] {1, 2, 3}, new double[] {0.7, 0.5, 0.4}),
        new Plots.Series("validation", new double[] {1, 2, 3}, new double[] {0.72, 0.6, 0.58})));
    Path trade = Plots.tradeOff(dir.resolve("int8.png"), "int8", "images/s vs fp32", "max |dP|", List.of(
        new Plots.Series("all int8", new double[] {2.6}, new double[] {0.085}),
        new Plots.Series("6 in float32", new double[] {1.7}, new double[] {0.039})), 1.8, 0.03);
    assertEquals(dir.resolve("fig2c.png"), frac);
    for (Path p : List.of(roc, res, frac, train, trade)) {
      BufferedImage img = ImageIO.read(p.toFile());
      assertEquals(800, img.getWidth(), p.toString());
      assertEquals(600, img.getHeight(), p.toString());
      assertTrue(distinctColours(img) > 10, "chart has content: " + p);
    }
  }

  @Test
  void aTradeOffNeedsAPoint(@TempDir Path dir) {
    var e = assertThrows(IllegalArgumentException.class,
        () -> Plots.tradeOff(dir.resolve("t.png"), "int8", "x", "y", List.of(), 1.8, 0.03));
    assertEquals("no point to draw in 'int8'", e.getMessage());
  }

  @Test
  void seriesRejectsMismatchedLengths() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> new Plots.Series("x", new double[] {1, 2}, new double[] {1}));
    assertEquals("series 'x' needs equal non-zero lengths, got x 2, y 1", e.getMessage());
  }

  private static int distinctColours(BufferedImage img) {
    java.util.Set<Integer> colours = new java.util.HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 3) {
      for (int x = 0; x < img.getWidth(); x += 3) {
        colours.add(img.getRGB(x, y));
      }
    }
    return colours.size();
  }
}

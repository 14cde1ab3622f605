package org.fundus4j.evaluation.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperatingPointsTests {

  // sorted: 0.1(-) 0.35(+) 0.4(-) 0.5(-) 0.7(+) 0.8(+); pROC thresholds 0.225 0.375 0.45 0.6 0.75
  private static final double[] SCORES = {0.1, 0.4, 0.35, 0.8, 0.5, 0.7};
  private static final int[] LABELS = {0, 0, 1, 1, 0, 1};

  @Test
  void youdenPicksTheMidpointWithTheLargestJByHand() {
    // J at 0.75: 1/3 + 1 - 1 = 0.333; at 0.6: 2/3 + 1 - 1 = 0.667; at 0.45: 2/3 + 2/3 - 1 = 0.333;
    // at 0.375: 2/3 + 1/3 - 1 = 0; at 0.225: 1 + 1/3 - 1 = 0.333
    OperatingPoints.Point p = OperatingPoints.youden(SCORES, LABELS);
    assertEquals(0.6, p.threshold(), 1e-15);
    assertEquals(2.0 / 3, p.sensitivity(), 1e-15);
    assertEquals(1.0, p.specificity(), 1e-15);
    assertEquals(2.0 / 3, p.youdenJ(), 1e-15);
  }

  @Test
  void youdenBreaksTiesTowardTheHighestThreshold() {
    // cases 0.9, 0.3; controls 0.6, 0.1: J = 0.5 - 0 at 0.75 and 1 - 0.5 at 0.2 (and 0 at 0.45): both 0.5
    OperatingPoints.Point p = OperatingPoints.youden(new double[] {0.9, 0.3, 0.6, 0.1}, new int[] {1, 1, 0, 0});
    assertEquals(0.75, p.threshold(), 1e-15);
  }

  @Test
  void atSensitivityReturnsTheMostSpecificThresholdReachingTheTarget() {
    OperatingPoints.Point p = OperatingPoints.atSensitivity(SCORES, LABELS, 0.9);
    assertEquals(0.225, p.threshold(), 1e-15);
    assertEquals(1.0, p.sensitivity());
    assertEquals(1.0 / 3, p.specificity(), 1e-15);
    assertEquals(0.6, OperatingPoints.atSensitivity(SCORES, LABELS, 0.5).threshold(), 1e-15);
  }

  @Test
  void degenerateInputIsRefusedWithTheReason() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> OperatingPoints.youden(new double[] {0.2, 0.3}, new int[] {1, 1}));
    assertEquals("ROC curve needs both classes, got 2 cases and 0 controls", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> OperatingPoints.youden(new double[] {0.4, 0.4}, new int[] {0, 1}));
    assertEquals("every score is equal (0.4): no threshold separates cases from controls", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OperatingPoints.atSensitivity(SCORES, LABELS, 0));
  }

  @Test
  void youdenEqualsProcCoordsBest(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/Rscript")), "Rscript (r-cran-proc) not installed");
    Random random = new Random(7);
    List<double[]> scores = new ArrayList<>();
    List<int[]> labels = new ArrayList<>();
    for (int n : new int[] {20, 57, 200}) {
      double[] s = new double[n];
      int[] l = new int[n];
      for (int i = 0; i < n; i++) {
        l[i] = random.nextInt(3) == 0 ? 1 : 0;
        // rounded to 2 decimals: ties between cases and controls
        s[i] = Math.round(100 * Math.min(1, Math.max(0, 0.4 + 0.25 * l[i] + 0.2 * random.nextGaussian()))) / 100.0;
      }
      scores.add(s);
      labels.add(l);
    }
    StringBuilder r = new StringBuilder("suppressMessages(library(pROC))\n");
    for (int k = 0; k < scores.size(); k++) {
      r.append("r <- roc(c(").append(join(labels.get(k))).append("), c(").append(join(scores.get(k)))
          .append("), direction = '<', quiet = TRUE)\n")
          .append("b <- coords(r, 'best', best.method = 'youden', ret = c('threshold', 'sensitivity',"
              + " 'specificity'), transpose = FALSE)\n")
          .append("b <- b[which.max(b$threshold), ]\n")
          .append("cat(sprintf('%.17g %.17g %.17g\\n', b$threshold, b$sensitivity, b$specificity))\n");
    }
    Path script = Files.writeString(dir.resolve("best.R"), r);
    List<String> out = run(List.of("/usr/bin/Rscript", script.toString()));
    assertEquals(scores.size(), out.size(), String.join("\n", out));
    for (int k = 0; k < scores.size(); k++) {
      String[] f = out.get(k).trim().split(" ");
      OperatingPoints.Point p = OperatingPoints.youden(scores.get(k), labels.get(k));
      assertEquals(Double.parseDouble(f[0]), p.threshold(), 1e-12, "threshold, data set " + k);
      assertEquals(Double.parseDouble(f[1]), p.sensitivity(), 1e-12, "sensitivity, data set " + k);
      assertEquals(Double.parseDouble(f[2]), p.specificity(), 1e-12, "specificity, data set " + k);
    }
  }

  private static String join(double[] values) {
    StringBuilder b = new StringBuilder();
    for (double v : values) {
      b.append(b.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.2f", v));
    }
    return b.toString();
  }

  private static String join(int[] values) {
    StringBuilder b = new StringBuilder();
    for (int v : values) {
      b.append(b.length() == 0 ? "" : ",").append(v);
    }
    return b.toString();
  }

  private static List<String> run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] bytes = p.getInputStream().readAllBytes();
    int rc = p.waitFor();
    String text = new String(bytes, StandardCharsets.UTF_8);
    assertEquals(0, rc, text);
    return text.lines().filter(line -> !line.isBlank()).toList();
  }
}

package org.fundus4j.evaluation.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.stats.Fold;
import org.fundus4j.evaluation.stats.Table1;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.evaluation.visualize.Plots;
import org.fundus4j.evaluation.visualize.Tsne;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** Builds a full report from synthetic data and renders it in headless Chromium. */
class HtmlReportTests {
  private static final Path WORK = Path.of("target", "html-report-test");
  private static Path index;

  @BeforeAll
  static void buildReport() throws IOException {
    Path parts = WORK.resolve("parts");
    Files.createDirectories(parts);
    Random rnd = new Random(5);
    int n = 300;
    int[] y = new int[n];
    double[] imagenet = new double[n];
    double[] fundus = new double[n];
    for (int i = 0; i < n; i++) {
      y[i] = rnd.nextInt(2);
      double c = rnd.nextGaussian();
      imagenet[i] = c + 0.8 * y[i] + rnd.nextGaussian();
      fundus[i] = c + 1.4 * y[i] + rnd.nextGaussian();
    }
    Table1.Key base = new Table1.Key("ImageNet", 512, Table1.Protocol.FINE_TUNE);
    Table1 table = Table1.of(List.of(new Table1.Entry(base, folds(imagenet, y)),
        new Table1.Entry(new Table1.Key("Fundus", 512, Table1.Protocol.FINE_TUNE), folds(fundus, y))), base);
    Path roc = Plots.rocCurves(parts.resolve("roc.png"), "ROC, synthetic glaucoma",
        Map.of("ImageNet FT 512", RocAuc.curve(imagenet, y), "Fundus FT 512", RocAuc.curve(fundus, y)));
    Path fig2a = Plots.aucVsResolution(parts.resolve("fig2a.png"), "AUC vs resolution", List.of(
        new Plots.Series("Fundus FT", new double[] {224, 384, 512}, new double[] {0.8, 0.84, 0.86})));
    BufferedImage photo = ImageIO.read(Path.of("..", "data", "cc0", "retina-normal-left.jpg").toFile());
    double[][] heat = new double[16][16];
    for (int r = 0; r < 16; r++) {
      for (int c = 0; c < 16; c++) {
        heat[r][c] = Math.exp(-((r - 6) * (r - 6) + (c - 10) * (c - 10)) / 8.0);
      }
    }
    Path cam = parts.resolve("gradcam <1>.png"); // a name that needs cleaning in the report
    ImageIO.write(GradCam.overlay(photo, Nd4j.createFromArray(heat)), "png", cam.toFile());
    double[][] feats = new double[60][8];
    int[] labels = new int[60];
    for (int i = 0; i < 60; i++) {
      labels[i] = i % 2;
      for (int k = 0; k < 8; k++) {
        feats[i][k] = rnd.nextGaussian() + 3 * labels[i];
      }
    }
    Path tsne = parts.resolve("tsne.png");
    Tsne.writePng(tsne, Tsne.embed(feats, 1, 10, 300), labels, List.of("normal", "glaucoma"), "t-SNE");
    index = HtmlReport.builder("Glaucoma <screening> & friends").syntheticData(true)
        .addText("Run", "5-fold cross-validation on synthetic data.")
        .addTable(table)
        .addImage("ROC curves", roc)
        .addImage("AUC vs resolution (Fig. 2A)", fig2a)
        .addGradCam("Synthetic heat map on a CC0 fundus photo", cam)
        .addGradCam("Same photo again", cam)
        .tsne("Backbone embeddings", tsne)
        .build()
        .write(WORK.resolve("report"));
  }

  private static List<Fold> folds(double[] s, int[] y) {
    List<Fold> out = new ArrayList<>();
    for (int f = 0; f < 5; f++) {
      out.add(new Fold(java.util.Arrays.copyOfRange(s, f * 60, f * 60 + 60),
          java.util.Arrays.copyOfRange(y, f * 60, f * 60 + 60)));
    }
    return out;
  }

  @Test
  void folderIsSelfContained() throws IOException {
    String html = Files.readString(index);
    assertTrue(html.contains("<title>Glaucoma &lt;screening&gt; &amp; friends</title>"));
    assertFalse(html.contains("<script"), "no scripts");
    assertFalse(html.contains("http://") || html.contains("https://"), "no external resources");
    Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(html);
    int images = 0;
    while (m.find()) {
      assertTrue(m.group(1).startsWith("images/"), m.group(1));
      assertTrue(Files.isRegularFile(index.getParent().resolve(m.group(1))), m.group(1));
      images++;
    }
    assertEquals(5, images);
    assertTrue(html.contains("images/03-gradcam__1_.png"), "copied file names are cleaned");
  }

  @Test
  void rendersInHeadlessChromiumWithoutConsoleErrorsAndAllImagesLoad() throws Exception {
    Path profile = Files.createTempDirectory("chromium-profile");
    // 1. the report itself: console output and a screenshot
    Path screenshot = WORK.resolve("screenshot.png").toAbsolutePath();
    Files.deleteIfExists(screenshot);
    Result r = chromium(profile, "--enable-logging=stderr", "--v=0", "--window-size=1200,2600",
        "--screenshot=" + screenshot, index.toUri().toString());
    assertEquals(0, r.exit(), r.stderr());
    List<String> consoleLines = r.stderr().lines()
        .filter(l -> l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("ERR_FILE_NOT_FOUND"))
        .toList();
    assertEquals(List.of(), consoleLines, "console messages while loading the report");
    BufferedImage shot = ImageIO.read(screenshot.toFile());
    assertEquals(1200, shot.getWidth());
    // 2. a checker page beside the report reads every <img> of the rendered report
    Path checker = WORK.resolve("check.html");
    Files.writeString(checker, """
        <html><body><pre id="result">pending</pre>
        <iframe id="f" src="report/index.html" width="1200" height="900"></iframe>
        <script>
        document.getElementById('f').addEventListener('load', function () {
          var d = this.contentDocument, out = [];
          for (var i = 0; i < d.images.length; i++) {
            var im = d.images[i];
            out.push(im.getAttribute('src') + '=' + (im.complete && im.naturalWidth > 0 ? im.naturalWidth + 'x' + im.naturalHeight : 'BROKEN'));
          }
          out.push('tables=' + d.querySelectorAll('table tbody tr').length);
          out.push('banner=' + (d.getElementById('synthetic-banner') ? 'yes' : 'no'));
          document.getElementById('result').textContent = 'RESULT ' + out.join(' ') + ' END';
        });
        </script></body></html>
        """);
    Result dom = chromium(profile, "--allow-file-access-from-files", "--virtual-time-budget=10000",
        "--dump-dom", checker.toAbsolutePath().toUri().toString());
    Matcher m = Pattern.compile("RESULT (.*) END").matcher(dom.stdout());
    assertTrue(m.find(), "checker page produced no result: " + dom.stdout() + dom.stderr());
    String result = m.group(1);
    assertFalse(result.contains("BROKEN"), result);
    assertTrue(result.contains("images/01-roc.png=800x600"), result);
    assertTrue(result.contains("images/04-gradcam__1_.png=1411x1411"), result);
    assertTrue(result.contains("tables=2"), result);
    assertTrue(result.contains("banner=yes"), result);
  }

  @Test
  void builderRejectsMissingImageAndRaggedTable() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> HtmlReport.builder("t").addImage("x", Path.of("no-such.png")));
    assertTrue(e.getMessage().startsWith("image not found: "), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> HtmlReport.builder("t").addTable("c", List.of("a", "b"), List.of(List.of("1"))));
    assertEquals("table 'c' row 0 has 1 cells, header has 2", e.getMessage());
  }

  private record Result(int exit, String stdout, String stderr) {}

  private static Result chromium(Path profile, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile.toAbsolutePath()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("chromium", ".out");
    Path err = Files.createTempFile("chromium", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 180 s: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}

package org.fundus4j.samples.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fundus4j.transfer.Progress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo grid end to end on a tiny synthetic set (2 starts x 1 resolution x LP/FT x 2 folds), killed
 * mid-grid in a separate JVM and resumed.
 */
class ExperimentGridTests {

  private static final Path GRID = Path.of("src", "test", "resources", "grids", "tiny.json");

  @Test
  void killedGridResumesWithoutRecomputingAndReportsEveryCell(@TempDir Path out) throws Exception {
    Process first = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
        "-cp", System.getProperty("java.class.path"), Experiment.class.getName(), GRID.toString(), out.toString())
        .redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + "-first.log").toFile())
        .start();
    Path cells = out.resolve("cells");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
    while (first.isAlive() && System.nanoTime() < deadline && finished(cells).isEmpty()) {
      Thread.sleep(200);
    }
    assertTrue(first.isAlive(), "the grid finished or died before the test could kill it");
    first.destroyForcibly();
    assertTrue(first.waitFor(30, TimeUnit.SECONDS));
    List<Path> doneBefore = finished(cells);
    assertTrue(!doneBefore.isEmpty() && doneBefore.size() < 8, "cells done when killed: " + doneBefore.size());
    Path kept = doneBefore.get(0);
    byte[] keptBytes = Files.readAllBytes(kept);
    FileTime keptTime = Files.getLastModifiedTime(kept);

    Experiment.Result result = Experiment.run(GRID, out, new PrintStream(OutputStream.nullOutputStream()),
        Progress.NONE);

    assertEquals(8, result.cells().size(), "2 starts x 1 resolution x 2 modes x 2 folds");
    assertEquals(8, finished(cells).size());
    assertArrayEquals(keptBytes, Files.readAllBytes(kept), "a finished cell was recomputed");
    assertEquals(keptTime, Files.getLastModifiedTime(kept), "a finished cell was rewritten");
    for (CellResult cell : result.cells()) {
      assertTrue(cell.auc() >= 0 && cell.auc() <= 1, cell.cell() + " AUC " + cell.auc());
      assertEquals(12, cell.labels().length, cell.cell() + ": half of 24 images held out");
    }
    String html = Files.readString(result.report());
    for (String start : List.of("Scratch", "Fundus")) {
      for (String mode : List.of("LP", "FT")) {
        assertTrue(html.contains(start) && html.contains(mode), "report lacks " + start + " " + mode);
      }
    }
    assertTrue(html.toLowerCase().contains("synthetic"), "report must say the data are synthetic");
    assertTrue(html.contains("<th>LP p vs baseline</th>") && html.contains("<th>FT p vs baseline</th>"), html);
    assertEquals(1, count(html, "<td>baseline</td>"), "exactly one baseline cell");
    assertEquals(3, count(html, "<td>0\\.\\d{3}</td>") + count(html, "<td>&lt; 0\\.001</td>"),
        "a DeLong p-value for each of the 3 non-baseline configurations");
    try (Stream<Path> pngs = Files.walk(result.report().getParent())) {
      assertTrue(pngs.filter(p -> p.toString().endsWith(".png")).count() >= 4, "plots, t-SNE and Grad-CAM");
    }
  }

  private static int count(String text, String regex) {
    return (int) java.util.regex.Pattern.compile(regex).matcher(text).results().count();
  }

  private static List<Path> finished(Path cells) throws Exception {
    if (!Files.isDirectory(cells)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(cells)) {
      return files.filter(p -> p.getFileName().toString().equals(ExperimentRunner.METRICS)).sorted().toList();
    }
  }
}

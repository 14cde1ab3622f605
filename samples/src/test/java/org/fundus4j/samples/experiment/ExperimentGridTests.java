package org.fundus4j.samples.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fundus4j.transfer.Progress;
import org.fundus4j.transfer.TransferRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo grid end to end on a tiny synthetic set (2 starts x 1 resolution x LP/FT x 2 folds), halted
 * mid-cell in a separate JVM and resumed.
 */
class ExperimentGridTests {

  private static final Path GRID = Path.of("src", "test", "resources", "grids", "tiny.json");

  @Test
  void killedGridResumesWithoutRecomputingAndReportsEveryCell(@TempDir Path out) throws Exception {
    // the child JVM halts (exit 137, as after SIGKILL) after its 7th epoch: cell 1 (LP, 5 epochs) is done and
    // cell 2 has checkpointed 2 of its 5 epochs; a deterministic point, no race
    Path log = out.resolveSibling(out.getFileName() + "-first.log");
    Process first = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
        "-D" + TransferRun.HALT_AFTER_EPOCH + "=7", "-cp", System.getProperty("java.class.path"),
        Experiment.class.getName(), GRID.toString(), out.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      assertTrue(first.waitFor(8, TimeUnit.MINUTES), "the grid neither finished nor halted in 8 minutes");
    } finally {
      first.destroyForcibly();
    }
    assertEquals(137, first.exitValue(), Files.readString(log));
    Path cells = out.resolve("cells");
    List<Path> doneBefore = finished(cells);
    assertEquals(1, doneBefore.size(), "cells done when halted: " + doneBefore);
    Path kept = doneBefore.get(0);
    byte[] keptBytes = Files.readAllBytes(kept);
    FileTime keptTime = Files.getLastModifiedTime(kept);
    Path halted = cells.resolve("binary_scratch_64px_LP_100pct_fold1");
    assertTrue(Files.exists(halted.resolve(TransferRun.CHECKPOINTS).resolve("state.json")),
        "the second cell was halted with a checkpoint");

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    List<String> threadsBefore = decodingThreads(); // other test classes in this JVM may have left some
    Experiment.Result result = Experiment.run(GRID, out, new PrintStream(printed, true, StandardCharsets.UTF_8),
        Progress.NONE);

    String text = printed.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("resuming binary_scratch_64px_LP_100pct_fold1 after epoch 2 of 5"), text);
    assertEquals(8, result.cells().size(), "2 starts x 1 resolution x 2 modes x 2 folds");
    assertEquals(8, finished(cells).size());
    assertArrayEquals(keptBytes, Files.readAllBytes(kept), "a finished cell was recomputed");
    assertEquals(keptTime, Files.getLastModifiedTime(kept), "a finished cell was rewritten");
    for (CellResult cell : result.cells()) {
      assertTrue(cell.score() >= 0 && cell.score() <= 1, cell.cell() + " AUC " + cell.score());
      assertEquals(12, cell.heldOut().images().size(), cell.cell() + ": half of 24 images held out");
      assertFalse(Files.exists(cells.resolve(cell.cell()).resolve(TransferRun.CHECKPOINTS)),
          "a finished cell's checkpoints are deleted");
    }
    List<String> after = decodingThreads();
    after.removeAll(threadsBefore);
    assertEquals(List.of(), after, "every decoding thread the grid started is closed");
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

  /** The live decoding threads of fundus4j's image iterators, by name. */
  private static List<String> decodingThreads() {
    return new java.util.ArrayList<>(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> n.startsWith("fundus-data-")).toList());
  }
}

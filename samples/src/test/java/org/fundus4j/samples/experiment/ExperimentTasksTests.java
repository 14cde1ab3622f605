package org.fundus4j.samples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fundus4j.transfer.Progress;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper's three tasks in one grid on synthetic data written in the public layouts: binary and multi-label on
 * RFMiD's training split, vessel segmentation on FIVES, JSIEC (with its nested copy) as the external set; one
 * start (Scratch) x LP/FT x 2 folds at 64 px. A second start is {@link ExperimentGridTests}' subject, not this
 * test's: it doubled this test's time (618 s of CI) without reaching any code the first start does not.
 */
class ExperimentTasksTests {

  @Test
  void aGridOfEveryTaskOnThePublicLayoutsReportsEveryTable(@TempDir Path dir) throws Exception {
    Path rfmid = SyntheticDataset.writeRfmid(dir.resolve("RFMiD"), 30, 64, 5);
    SyntheticDataset.writeJsiec(dir.resolve("JSIEC"), 18, 64, 6);
    SyntheticDataset.writeFives(dir.resolve("FIVES"), 16, 64, 7);
    String rfmidCsv = dir.relativize(rfmid).toString();
    GridSpec grid = new GridSpec("every task (SYNTHETIC DATA)", List.of("binary", "multilabel", "segmentation"),
        GridSpec.DataSpec.of("rfmid", rfmidCsv, null, true),
        Map.of("multilabel", GridSpec.DataSpec.of("rfmid", rfmidCsv, sevenOfThree(), true),
            "segmentation", GridSpec.DataSpec.of("fives", "FIVES/train", null, true)),
        List.of(new GridSpec.ExternalSpec("JSIEC", "binary", GridSpec.DataSpec.of("jsiec", "JSIEC", null, true))),
        List.of("scratch"), Map.of(), new GridSpec.UpstreamSpec(16, 1, 3e-4), List.of(64),
        List.of("LP", "FT"), List.of(1.0), 2, new GridSpec.TrainingSpec(2, 1, 1e-3, 3e-4, 8, 0, 0.25, 1),
        "scratch/64px/FT/100pct", 11);
    Path file = dir.resolve("grid.json");
    GridSpec.write(grid, file);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    List<String> threadsBefore = decodingThreads(); // other test classes in this JVM may have left some

    Experiment.Result result = Experiment.run(file, dir.resolve("runs"),
        new PrintStream(printed, true, StandardCharsets.UTF_8), Progress.NONE);

    assertEquals(3 * 2 * 2, result.cells().size(), "3 tasks x 1 start x 2 modes x 2 folds");
    for (CellResult cell : result.cells()) {
      switch (cell.task()) {
        case "binary" -> {
          assertTrue(cell.score() >= 0 && cell.score() <= 1, cell.cell() + " AUC " + cell.score());
          assertEquals(18, cell.external().get("JSIEC").images().size(),
              cell.cell() + ": every JSIEC image once, the nested copy not read");
        }
        case "multilabel" -> {
          assertEquals(List.of("AMD", "DR", "RVO"), cell.labelNames());
          assertEquals(3, cell.heldOut().scores()[0].length, "one probability per mapped label");
        }
        case "segmentation" -> {
          assertTrue(cell.score() >= 0 && cell.score() <= 1, cell.cell() + " Dice " + cell.score());
          assertEquals(6, cell.heldOut().images().size(), "half of FIVES' 12 training images held out");
        }
        default -> throw new AssertionError(cell.task());
      }
    }
    String html = Files.readString(result.report());
    assertTrue(html.contains("AUC by pretraining start"), "binary Table 1");
    assertTrue(html.contains("Multi-label diseases: macro AUC over the labels"), "multi-label Table 1");
    assertTrue(html.contains("Vessel segmentation: mean per-image Dice"), "segmentation Table 1");
    assertTrue(html.contains("External validation on JSIEC"), "external-validation table");
    for (String task : List.of("binary", "multilabel", "segmentation")) {
      assertTrue(Files.exists(result.report().getParent().resolve("figures").resolve(task + "-vs-resolution.png"))
          || html.contains(task + "-vs-resolution.png"), "Fig. 2A plot of " + task);
    }
    assertTrue(html.toLowerCase().contains("synthetic"));
    List<String> after = decodingThreads();
    after.removeAll(threadsBefore);
    assertEquals(List.of(), after, "every decoding thread the grid started is closed");
  }

  /** The live decoding threads of fundus4j's image iterators, by name. */
  private static List<String> decodingThreads() {
    return new java.util.ArrayList<>(Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
        .filter(n -> n.startsWith("fundus-data-")).toList());
  }

  /** A label map in a fixed order (Map.of's iteration order changes from one JVM to the next). */
  private static Map<String, List<String>> sevenOfThree() {
    Map<String, List<String>> map = new java.util.LinkedHashMap<>();
    map.put("AMD", List.of("ARMD"));
    map.put("DR", List.of("DR"));
    map.put("RVO", List.of("BRVO", "CRVO"));
    return map;
  }
}

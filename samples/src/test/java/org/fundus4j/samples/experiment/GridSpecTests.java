package org.fundus4j.samples.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fundus4j.pipelines.sources.DataRequest;
import org.fundus4j.pipelines.sources.Layout;
import org.fundus4j.transfer.Progress;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.junit.jupiter.api.Test;

/** Grid files: the paper's whole protocol, the older binary-only form, and the errors of a malformed grid. */
class GridSpecTests {

  private static final Path GRIDS = Path.of("grids").toAbsolutePath();

  @Test
  void paperGridIsTheWholeProtocol() throws Exception {
    GridSpec paper = GridSpec.read(GRIDS.resolve("paper.json"));

    assertEquals(List.of(Task.BINARY, Task.MULTILABEL, Task.SEGMENTATION), paper.taskList());
    assertEquals(List.of("SCRATCH", "IMAGENET", "FUNDUS", "IMAGENET_FUNDUS"), paper.starts());
    assertEquals(List.of(256, 512, 1024), paper.resolutions());
    assertEquals(List.of("LP", "FT"), paper.modes());
    assertEquals(List.of(0.01, 0.05, 0.10, 0.25, 0.50, 1.0), paper.fractions());
    assertEquals(5, paper.folds());
    assertEquals(List.of("RFMiD", "JSIEC", "RFMiD (paper's labels)", "FIVES test"),
        paper.external().stream().map(GridSpec.ExternalSpec::name).toList());
    assertEquals(GRIDS.resolve("../../weights/resnet50_1024_ImageNet+Fundus.pth"),
        paper.weightsFor(Start.IMAGENET_FUNDUS, GRIDS, 1024), "per-resolution weights");
    assertEquals(GRIDS.resolve("../../weights/resnet50_256_Fundus.pth"), paper.weightsFor(Start.FUNDUS, GRIDS, 256));
    assertEquals(Layout.FIVES, paper.dataFor(Task.SEGMENTATION).request(GRIDS).layout());
    DataRequest rvo = paper.external().get(2).data().request(GRIDS);
    assertEquals(List.of("BRVO", "CRVO"), rvo.labelMap().targets().get("RVO"), "RVO is BRVO or CRVO");
    assertEquals(10, paper.training().patience(Mode.FT));
    assertEquals(1e-5, paper.training().learningRate(Mode.FT));
    assertEquals(3 * 3 * 4 * 2 * 6 * 5, new ExperimentRunner(paper, GRIDS, Path.of("unused"), System.out,
        Progress.NONE).cells().size(), "tasks x resolutions x starts x modes x fractions x folds");
  }

  @Test
  void olderBinaryFormStillReads() throws Exception {
    GridSpec demo = GridSpec.read(GRIDS.resolve("demo.json"));

    assertEquals(List.of(Task.BINARY), demo.taskList());
    assertTrue(demo.data().generated());
    assertEquals(List.of(), demo.external());
    assertEquals(20, demo.training().patience(Mode.LP), "no patience given: never stop early");
    assertEquals(0.2, demo.training().validationFraction());
  }

  @Test
  void trainingMicroBatchReachesEveryCellsPlan(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    String demo = java.nio.file.Files.readString(GRIDS.resolve("demo.json"));
    assertEquals(0, GridSpec.read(GRIDS.resolve("demo.json")).training().microBatch(), "default: only when needed");
    Path file = dir.resolve("micro.json");
    java.nio.file.Files.writeString(file, demo.replace("\"batchSize\": 16", "\"batchSize\": 16, \"microBatch\": 4"));
    GridSpec grid = GridSpec.read(file);
    assertEquals(4, grid.training().microBatch());
    ExperimentRunner runner = new ExperimentRunner(grid, dir, dir.resolve("out"), System.out, Progress.NONE);
    Cell scratch = runner.cells().stream().filter(c -> c.start() == Start.SCRATCH).findFirst()
        .orElseThrow();
    assertEquals(4, runner.plan(scratch).microBatch());
    Path bad = dir.resolve("bad.json");
    java.nio.file.Files.writeString(bad, demo.replace("\"batchSize\": 16", "\"batchSize\": 16, \"microBatch\": 17"));
    Exception e = assertThrows(Exception.class, () -> GridSpec.read(bad));
    assertTrue(String.valueOf(e.getMessage()).contains("training.microBatch must be between 1 and batchSize 16"),
        e.getMessage());
  }

  @Test
  void malformedDataNamesWhatIsMissing() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> GridSpec.DataSpec.of(null, "x.csv", null, false));
    assertTrue(e.getMessage().contains("needs its 'layout'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> GridSpec.DataSpec.of("rfmdi", "x.csv", null, false));
    assertTrue(e.getMessage().contains("layout must be dicom, csv, rfmid, jsiec, images or fives, got 'rfmdi'"),
        e.getMessage());
  }
}

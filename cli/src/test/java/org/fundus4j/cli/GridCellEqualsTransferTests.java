package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.splits.Fold;
import org.fundus4j.pipelines.splits.SplitFiles;
import org.fundus4j.transfer.Progress;
import org.fundus4j.samples.experiment.CellResult;
import org.fundus4j.samples.experiment.Experiment;
import org.fundus4j.samples.experiment.GridSpec;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.fundus4j.transfer.EarlyStoppingTrainer;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol lives in one place: a grid cell and {@code fundus transfer} given the same training images, start,
 * mode, size, epochs, learning rate and seed train the same model, so their held-out predictions are identical.
 */
class GridCellEqualsTransferTests {

  @Test
  void aGridCellAndFundusTransferGiveIdenticalHeldOutPredictions(@TempDir Path dir) throws Exception {
    Path labels = SyntheticDataset.writeDicom(dir.resolve("data"), 24, 64, 11);
    GridSpec grid = GridSpec.binary("one cell (SYNTHETIC DATA)", GridSpec.DataSpec.dicom(
            dir.relativize(labels).toString(), 0, true), List.of("scratch"), Map.of(), null, List.of(64),
        List.of("LP"), List.of(1.0), 2, new GridSpec.TrainingSpec(4, 1, 1e-3, 3e-4, 8, 0, 0.25, 1),
        "scratch/64px/LP/100pct", 9);
    Path gridFile = dir.resolve("grid.json");
    GridSpec.write(grid, gridFile);
    Path runs = dir.resolve("runs");
    Experiment.Result result = Experiment.run(gridFile, runs, new PrintStream(OutputStream.nullOutputStream()),
        Progress.NONE);
    CellResult cell = result.cells().get(0);
    assertEquals(0, cell.fold());

    // the cell's training images, in the cell's order, as a labels CSV beside the original one
    Fold fold = SplitFiles.readFolds(runs.resolve("splits").resolve("binary").resolve("folds.csv")).get(0);
    List<String> rows = Files.readAllLines(labels);
    Map<Path, String> byFile = new LinkedHashMap<>();
    for (String row : rows.subList(1, rows.size())) {
      byFile.put(labels.getParent().resolve(row.split(",")[0]).toAbsolutePath().normalize(), row);
    }
    List<String> train = new ArrayList<>(List.of(rows.get(0)));
    for (Sample s : fold.train()) {
      train.add(byFile.get(s.image().toAbsolutePath().normalize()));
    }
    Path trainCsv = labels.resolveSibling("train-fold0.csv");
    Files.write(trainCsv, train);
    Path out = dir.resolve("transfer");

    CliRun r = CliRun.of("transfer", "--start", "scratch", "--mode", "lp", "--data", trainCsv.toString(),
        "--size", "64", "--epochs", "4", "--patience", "4", "--batch", "8", "--lr", "0.001", "--seed", "9",
        "--val-fraction", "0.25", "--synthetic-data", "--out", out.toString());

    assertEquals(0, r.exit(), r.all());
    TransferRun.HeldOut mine = TransferRun.predict(SavedModel.load(out).graph(), Task.BINARY, fold.test(), 64, 8, 2);
    assertEquals(cell.heldOut().images(), mine.images());
    assertArrayEquals(cell.heldOut().scores(0), mine.scores(0), 0.0, "identical held-out probabilities");
    EarlyStoppingTrainer.State state = new ObjectMapper().readValue(
        out.resolve(TransferRun.CHECKPOINTS).resolve("state.json").toFile(), EarlyStoppingTrainer.State.class);
    assertEquals(cell.validationScores(), state.scores(), "the same validation AUC after every epoch");
  }
}

package org.fundus4j.samples.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.transfer.Progress;

/**
 * Runs a grid file end to end (cells, then the report); {@code fundus experiment} and tests call
 * {@link #run}, {@code java ... Experiment GRID OUT} runs it without the CLI.
 */
public final class Experiment {

  /**
   * What a grid run produced.
   *
   * @param cells every cell's result
   * @param report the report's {@code index.html}
   */
  public record Result(List<CellResult> cells, Path report) {}

  private Experiment() {}

  /** Runs (or resumes) the grid in {@code gridFile} into {@code outDir} and writes its report. */
  public static Result run(Path gridFile, Path outDir, PrintStream out, Progress.Factory progress)
      throws IOException {
    GridSpec grid = GridSpec.read(gridFile);
    List<CellResult> cells = new ExperimentRunner(grid, gridFile.toAbsolutePath().getParent(), outDir, out,
        progress).run();
    Path report = ExperimentReport.write(grid, cells, outDir.resolve("report"), outDir.resolve("cells"));
    out.println("Report: " + report);
    return new Result(cells, report);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: Experiment GRID.json OUT_DIR");
      System.exit(2);
    }
    run(Path.of(args[0]), Path.of(args[1]), System.out, Progress.NONE);
  }
}

package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fundus4j.samples.experiment.Experiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fundus experiment}: runs an experiment grid resumably and writes its HTML report. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
    description = {"Runs the paper's protocol as a grid (start x resolution x LP/FT x data fraction x fold) from a "
        + "JSON grid file (see samples/grids/), then writes OUT/report/index.html.",
        "Each cell is a folder OUT/cells/<id> with model-card.json and metrics.json; a killed run started again "
            + "with the same OUT resumes at the first unfinished cell."})
final class ExperimentCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "GRID", description = "Grid file (JSON)")
  Path grid;

  @Option(names = "--out", required = true, description = "Output folder")
  Path out;

  @Override
  public Integer call() throws Exception {
    Experiment.run(grid, out, System.out, new ProgressBars());
    return 0;
  }
}

package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fundus4j.samples.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fundus demo}: the end-to-end demo on bundled and synthetic data. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Generates a synthetic fundus DICOM set, trains LP and FT models at low resolution, prints "
        + "held-out AUCs, and screens every image (plus a real CC0 photograph) into DICOM SRs.",
        "All data are synthetic; nothing here is clinically meaningful."})
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--out", description = "Output folder (default: ${DEFAULT-VALUE})", defaultValue = "demo-out")
  Path out;

  @Option(names = "--images", description = "Synthetic images to generate (default: ${DEFAULT-VALUE})",
      defaultValue = "120")
  int images;

  @Option(names = "--size", description = "Input side in pixels (default: ${DEFAULT-VALUE})", defaultValue = "128")
  int size;

  @Option(names = "--seed", description = "Seed (default: ${DEFAULT-VALUE})", defaultValue = "20240816")
  long seed;

  @Override
  public Integer call() throws Exception {
    Demo.Options defaults = Demo.Options.defaults(out);
    Demo.Options options = new Demo.Options(out, images, size, defaults.gridResolution(), defaults.lpEpochs(),
        defaults.ftEpochs(), defaults.batchSize(), seed);
    Demo.Result result = Demo.run(options, System.out, new ProgressBars());
    return result.rows().stream().anyMatch(r -> r.output() != null) ? 0 : 1;
  }
}

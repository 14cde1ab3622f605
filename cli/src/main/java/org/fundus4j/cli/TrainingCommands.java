package org.fundus4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.transfer.TransferRun;

/** What {@code fundus pretrain} and {@code fundus transfer} share: reading the data, the progress display, the run. */
final class TrainingCommands {

  private TrainingCommands() {}

  /** Reads the data for the plan's task and runs it in {@code out}, showing progress on {@code stdout}. */
  static TransferRun.Result run(TransferRun.Plan plan, TrainingData data, TrainingOptions options,
      PrintStream stdout) throws IOException {
    Integer devices = options.devices;
    if (devices != null && (devices < 1 || devices > 64)) {
      throw new IllegalArgumentException("--devices must be 1-64, got " + devices);
    }
    LabelledSet set = data.read(plan.task());
    try (TrainingBar bar = new TrainingBar(plan.task().metric(), plan.maxEpochs(), plan.batchSize(), stdout)) {
      TransferRun.Settings settings = TransferRun.Settings.defaults().withThreads(data.threads())
          .withDevices(devices == null ? 1 : devices).withSyntheticData(data.synthetic).withListener(bar);
      return TransferRun.run(plan, set, describe(data), options.out, options.resume, settings);
    }
  }

  /** The data options that define a run, recorded in its {@code run.json}. */
  private static Map<String, String> describe(TrainingData data) {
    Map<String, String> d = new LinkedHashMap<>(data.request().describe());
    d.put("synthetic-data", Boolean.toString(data.synthetic));
    return d;
  }
}

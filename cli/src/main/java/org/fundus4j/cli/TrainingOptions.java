package org.fundus4j.cli;

import java.nio.file.Path;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import picocli.CommandLine.Option;

/** The run options shared by {@code fundus pretrain} and {@code fundus transfer}: size, output, schedule, devices. */
final class TrainingOptions {

  @Option(names = "--size", defaultValue = "512", paramLabel = "PX",
      description = "Input side in pixels, a multiple of 32; the paper: 256, 512 or 1024 (default: ${DEFAULT-VALUE})")
  int size;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, new or empty "
      + "(or the folder of the run to --resume)")
  Path out;

  @Option(names = "--epochs", defaultValue = "100", paramLabel = "N",
      description = "At most N epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--patience", defaultValue = "10", paramLabel = "N",
      description = "Stop after N epochs without a better validation score (AUC; Dice for segmentation) "
          + "(default: ${DEFAULT-VALUE})")
  int patience;

  @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--micro-batch", defaultValue = "0", paramLabel = "N", description = "Compute each step of --batch "
      + "images from micro-batches of at most N, their gradients summed into one Adam step (BatchNorm then normalises "
      + "micro-batches; the model card says so). Default: only when a step of --batch does not fit in memory")
  int microBatch;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "S",
      description = "Seed of weights, split, shuffling and augmentation (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint")
  boolean resume;

  @Option(names = "--devices", paramLabel = "N", description = "Train data-parallel on N devices (ParallelWrapper, "
      + "parameter averaging): GPUs with the CUDA build, CPU workers otherwise (default: 1)")
  Integer devices;

  /** The plan these options and the command's own choices make. */
  TransferRun.Plan plan(Task task, Mode mode, Start start, Path weights, double learningRate, TrainingData data) {
    return new TransferRun.Plan(task, mode, start, weights, size, epochs, patience, batch, learningRate, seed,
        data.validationFraction, microBatch);
  }
}

package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fundus transfer}: downstream linear probing or fine-tuning from one of the paper's four starts. */
@Command(name = "transfer", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Downstream training from one of the paper's four starts (Jang et al., Table 1): linear "
        + "probing (--mode lp: backbone frozen, head trained on backbone features computed once and cached) or "
        + "fine-tuning (--mode ft: every layer trains), for a binary, multi-label (one sigmoid per label column, "
        + "the paper's seven diseases) or vessel-segmentation task (a U-Net with the ResNet-50 as encoder, "
        + "Dice loss; lp freezes the encoder and trains the decoder on images).",
        "Scratch + lp: a randomly initialised ResNet-50 frozen in DL4J runs BatchNorm in inference mode with its "
            + "initial statistics and overflows to NaN, so BatchNorm statistics are first re-estimated on up to "
            + "64 training images.",
        "Early stopping on the validation AUC (binary), macro AUC (multilabel) or Dice (segmentation) of a "
            + "patient-level split. OUT receives model.zip, model-card.json, training-curves.png, split.csv, "
            + "run.json and checkpoints/; add --resume to continue a killed run.",
        ""})
final class TransferCommand implements Callable<Integer> {

  @Mixin
  TrainingData data;

  @Option(names = "--start", required = true, paramLabel = "scratch|imagenet|fundus|imagenet+fundus",
      description = "The backbone's initial weights")
  String start;

  @Option(names = "--weights", paramLabel = "FILE|DIR",
      description = "Weights of the start: a torchvision/paper .pth, or the output folder of 'fundus pretrain'")
  Path weights;

  @Option(names = "--mode", required = true, paramLabel = "lp|ft", description = "Linear probing or fine-tuning")
  String mode;

  @Option(names = "--task", defaultValue = "binary", paramLabel = "binary|multilabel|segmentation",
      description = "What the model predicts (default: ${DEFAULT-VALUE})")
  String task;

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
      description = "Stop after N epochs without a better validation score (default: ${DEFAULT-VALUE})")
  int patience;

  @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--micro-batch", defaultValue = "0", paramLabel = "N", description = "Compute each step of --batch "
      + "images from micro-batches of at most N, their gradients summed into one Adam step (BatchNorm then normalises "
      + "micro-batches; the model card says so). Default: only when a step of --batch does not fit in memory")
  int microBatch;

  @Option(names = "--lr", paramLabel = "RATE", description = "Adam learning rate (default: the paper's 1e-5 for "
      + "ft, 1e-3 for lp and for segmentation)")
  Double lr;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "S",
      description = "Seed of weights, split, shuffling and augmentation (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--resume", description = "Continue the run in --out from its last checkpoint")
  boolean resume;

  @Option(names = "--devices", paramLabel = "N", description = "Train data-parallel on N devices (ParallelWrapper, "
      + "parameter averaging): GPUs with the CUDA build, CPU workers otherwise (default: 1)")
  Integer devices;

  @Override
  public Integer call() throws Exception {
    Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
      case "lp" -> Mode.LP;
      case "ft" -> Mode.FT;
      default -> throw new IllegalArgumentException("--mode must be lp or ft, got '" + mode + "'");
    };
    Task t = Task.parse(task);
    double rate = lr != null ? lr : TransferRun.Plan.defaultLearningRate(t, m);
    TransferRun.Plan plan = new TransferRun.Plan(t, m, parseStart(start), weights, size, epochs, patience, batch,
        rate, seed, data.validationFraction, microBatch);
    TrainingCommands.run(plan, data, devices, out, resume, System.out);
    return 0;
  }

  private static Start parseStart(String text) {
    try {
      return Start.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--start: " + e.getMessage(), e);
    }
  }
}

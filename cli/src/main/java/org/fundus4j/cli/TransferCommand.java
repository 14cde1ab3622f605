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

  @Mixin
  TrainingOptions run;

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

  @Option(names = "--lr", paramLabel = "RATE", description = "Adam learning rate (default: the paper's 1e-5 for "
      + "ft, 1e-3 for lp and for segmentation)")
  Double lr;

  @Override
  public Integer call() throws Exception {
    Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
      case "lp" -> Mode.LP;
      case "ft" -> Mode.FT;
      default -> throw new IllegalArgumentException("--mode must be lp or ft, got '" + mode + "'");
    };
    Task t = Task.parse(task);
    double rate = lr != null ? lr : TransferRun.Plan.defaultLearningRate(t, m);
    TrainingCommands.run(run.plan(t, m, parseStart(start), weights, rate, data), data, run, System.out);
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

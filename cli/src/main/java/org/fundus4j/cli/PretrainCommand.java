package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code fundus pretrain}: upstream training of the fundus foundation model (normal/abnormal). */
@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Upstream pretraining as in Jang et al. (arXiv 2408.08790): a ResNet-50 with the paper's "
        + "2048-512-BN-ReLU-2 head learns normal vs abnormal fundus photographs; its backbone is the 'Fundus' "
        + "start (from --start scratch) or the 'ImageNet + Fundus' start (from --start imagenet) of "
        + "'fundus transfer'.",
        "Defaults are the paper's: Adam (lr 1e-5, beta1 0.9, weight decay 1e-5), batch 32, flip / grayscale / "
            + "Gaussian blur / CLAHE augmentation, up to 100 epochs with early stopping on the validation AUC of "
            + "a patient-level split.",
        "OUT receives model.zip and model-card.json (a model folder: give it to 'fundus transfer --weights'), "
            + "training-curves.png, split.csv, run.json and checkpoints/ (one per epoch). A killed run goes on "
            + "from its last finished epoch when started again with the same options plus --resume.",
        ""})
final class PretrainCommand implements Callable<Integer> {

  @Mixin
  TrainingData data;

  @Option(names = "--size", defaultValue = "512", paramLabel = "PX",
      description = "Input side in pixels, a multiple of 32; the paper: 256, 512 or 1024 (default: ${DEFAULT-VALUE})")
  int size;

  @Option(names = "--start", defaultValue = "scratch", paramLabel = "scratch|imagenet",
      description = "Initial weights: random, or torchvision's ImageNet ResNet-50 from --weights "
          + "(default: ${DEFAULT-VALUE})")
  String start;

  @Option(names = "--weights", paramLabel = "FILE", description = "ImageNet weights (.pth) for --start imagenet")
  Path weights;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, new or empty "
      + "(or the folder of the run to --resume)")
  Path out;

  @Option(names = "--epochs", defaultValue = "100", paramLabel = "N",
      description = "At most N epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--patience", defaultValue = "10", paramLabel = "N",
      description = "Stop after N epochs without a better validation AUC (default: ${DEFAULT-VALUE})")
  int patience;

  @Option(names = "--batch", defaultValue = "32", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--micro-batch", defaultValue = "0", paramLabel = "N", description = "Compute each step of --batch "
      + "images from micro-batches of at most N, their gradients summed into one Adam step (BatchNorm then normalises "
      + "micro-batches; the model card says so). Default: only when a step of --batch does not fit in memory")
  int microBatch;

  @Option(names = "--lr", defaultValue = "1e-5", paramLabel = "RATE",
      description = "Adam learning rate (default: ${DEFAULT-VALUE})")
  double lr;

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
    Start s = Start.SCRATCH;
    try {
      s = Start.parse(start);
    } catch (IllegalArgumentException e) {
      s = null;
    }
    if (s != Start.SCRATCH && s != Start.IMAGENET) {
      throw new IllegalArgumentException("--start must be scratch or imagenet for upstream pretraining, got '"
          + start + "'");
    }
    TransferRun.Plan plan = new TransferRun.Plan(Task.BINARY, Mode.UPSTREAM, s, weights, size, epochs, patience,
        batch, lr, seed, data.validationFraction, microBatch);
    TrainingCommands.run(plan, data, devices, out, resume, System.out);
    return 0;
  }
}

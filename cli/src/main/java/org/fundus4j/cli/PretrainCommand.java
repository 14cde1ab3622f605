package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
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

  @Mixin
  TrainingOptions run;

  @Option(names = "--start", defaultValue = "scratch", paramLabel = "scratch|imagenet",
      description = "Initial weights: random, or torchvision's ImageNet ResNet-50 from --weights "
          + "(default: ${DEFAULT-VALUE})")
  String start;

  @Option(names = "--weights", paramLabel = "FILE", description = "ImageNet weights (.pth) for --start imagenet")
  Path weights;

  @Option(names = "--lr", defaultValue = "1e-5", paramLabel = "RATE",
      description = "Adam learning rate (default: ${DEFAULT-VALUE})")
  double lr;

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
    TrainingCommands.run(run.plan(Task.BINARY, Mode.UPSTREAM, s, weights, lr, data), data, run, System.out);
    return 0;
  }
}

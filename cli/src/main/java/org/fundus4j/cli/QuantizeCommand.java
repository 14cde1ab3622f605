package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fundus4j.networks.inference.QuantizationAwareTraining;
import org.fundus4j.networks.inference.StaticQuantization;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fundus quantize MODEL}: {@link SavedModel#quantize(Path, int, StaticQuantization.Fallback, int, SkipReport)}. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"Writes MODEL/model-int8.onnx for 'fundus screen --precision int8': static int8 quantisation "
        + "of a model folder written by 'fundus transfer' or 'fundus pretrain', calibrated on the first --images "
        + "of its own training images (split.csv, fold 1). The range method, and with --max-float > 0 the "
        + "fewest tensors kept in float32, are chosen so that max |P int8 - P fp32| stays within --bound on "
        + "the last --held-apart of those images, which the ranges and the output bias correction are not fitted "
        + "on; model-card.json records the choice and the difference.",
        "Each trial is one int8 model run over the calibration images: min/max and six other range methods, "
            + "then, if the bound is missed, one per quantised tensor (71 for ResNet-50) to measure its effect."})
final class QuantizeCommand implements Callable<Integer> {

  @Parameters(paramLabel = "MODEL", description = "Model folder (model.zip, model-card.json, split.csv)")
  Path model;

  @Option(names = "--images", defaultValue = "128", description = "Calibration images, --held-apart of them to "
      + "judge on (default: ${DEFAULT-VALUE}: 64 fitted on, 64 judged on)")
  int images;

  @Option(names = "--bound", defaultValue = "0.03",
      description = "Largest allowed |P int8 - P fp32| on the held-apart calibration images "
          + "(default: ${DEFAULT-VALUE})")
  double bound;

  @Option(names = "--held-apart", defaultValue = "0.5", description = "Share of the calibration images held apart "
      + "from the fit to judge --bound on; 0 judges on the images fitted on, which is optimistic "
      + "(default: ${DEFAULT-VALUE})")
  double heldApart;

  @Option(names = "--max-float", defaultValue = "8", description = "At most this many tensors left in float32 "
      + "to meet --bound; each one costs speed; 0 only measures the all-int8 model (default: ${DEFAULT-VALUE})")
  int maxFloat;

  @Option(names = "--order", defaultValue = "SENSITIVITY", description = "Which tensors go back to float32 first: "
      + "SENSITIVITY, the most sensitive (one trial per tensor to measure), or PREFIX, the first ones in graph order "
      + "(one float32 prefix, one switch to int8: faster at the same count in ONNX Runtime) (default: ${DEFAULT-VALUE})")
  StaticQuantization.Fallback.Order order;

  @Option(names = "--aware-epochs", defaultValue = "0", description = "If the all-int8 model misses --bound: "
      + "quantisation-aware training for this many epochs (a copy learns the model's own outputs with its tensors "
      + "rounded as int8 rounds them) before the fallback; the float32 model is not changed; 0: none "
      + "(default: ${DEFAULT-VALUE}; 2 is the measured setting)")
  int awareEpochs;

  @Option(names = "--aware-lr", defaultValue = "1e-7",
      description = "Adam learning rate of the quantisation-aware training (default: ${DEFAULT-VALUE})")
  double awareLr;

  @Option(names = "--aware-images", description = "Training images the quantisation-aware training sees each "
      + "epoch (default: all of the split's training images)")
  Integer awareImages;

  @Option(names = "--threads", defaultValue = "2", description = "ONNX Runtime threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Override
  public Integer call() throws Exception {
    SkipReport skips = new SkipReport();
    QuantizationAwareTraining.Options aware = new QuantizationAwareTraining.Options(awareEpochs, awareLr,
        QuantizationAwareTraining.Options.standard().seed());
    int trainingImages = awareImages != null ? awareImages : 0; // 0: all of them
    if (awareEpochs > 0) {
      System.out.printf(Locale.ROOT, "quantisation-aware training if the all-int8 model misses the bound: %d epochs "
          + "over %s training images, Adam %.0e%n", awareEpochs, trainingImages > 0 ? "the first " + trainingImages
          : "all", awareLr);
    }
    ModelCard card = SavedModel.quantize(model, images, new StaticQuantization.Fallback(bound, maxFloat, heldApart, order), aware,
        trainingImages, threads, skips);
    if (skips.count() > 0) {
      System.out.println(skips.summary());
    }
    ModelCard.Quantization q = card.quantization();
    System.out.printf(Locale.ROOT, "wrote %s: %s ranges on %d training images%s, %d of %d tensors in float32%s%n",
        model.resolve(q.file()), q.calibrationMethod(), q.calibrationImages(), q.checkImages() == null ? ""
            : ", judged on " + q.checkImages() + " more held apart", q.floatTensors().size(),
        q.calibratedTensors(), q.floatTensors().isEmpty() ? "" : " (" + String.join(", ", q.floatTensors()) + ")");
    if (q.biasCorrection() != null) {
      StaticQuantization.Correction c = q.biasCorrection();
      // measured on the chosen export, or on the all-int8 one the quantisation-aware copy replaced
      String on = q.awareTraining() != null || q.floatTensors().isEmpty() ? "all-int8"
          : "int8 with " + q.floatTensors().size() + " tensors in float32";
      System.out.printf(Locale.ROOT, "output bias correction (largest shift %.4f): %s max |P int8 - P fp32| on "
          + "%s %.4f -> %.4f, RMS %.4f -> %.4f, %s%n", c.shift().largest(), on, q.judgedOn(), c.maxBefore(),
          c.maxAfter(), c.rmsBefore(), c.rmsAfter(), c.kept() ? "kept" : q.awareTraining() != null
              ? "not kept (the quantisation-aware copy replaces it)" : "not kept (no smaller)");
    }
    if (q.awareTraining() != null) {
      System.out.printf(Locale.ROOT, "quantisation-aware training (%d epochs, %d images): all-int8 max |P int8 - "
          + "P fp32| on %s %.4f before, %.4f after%n", q.awareTraining().options().epochs(),
          q.awareTraining().images(), q.judgedOn(), q.awareTraining().before(), q.awareTraining().after());
    }
    System.out.printf(Locale.ROOT, "max |P int8 - P fp32| on %s: %.4f, bound %.3f %s%n", q.judgedOn(),
        q.maxDifference(), q.bound(), q.missesBound() ? "NOT met: 'fundus screen --precision int8' will warn; "
            + "raise --max-float, try --aware-epochs 2, or screen with --precision fp32" : "met");
    if (q.exceedance95() != null) {
      System.out.printf(Locale.ROOT, "so, with 95%% confidence, fewer than %.1f%% of new images like them stray "
          + "beyond the bound (none of %d did)%n", 100 * q.exceedance95(), q.checkImages());
    }
    return 0;
  }
}

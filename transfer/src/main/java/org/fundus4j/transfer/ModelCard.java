package org.fundus4j.transfer;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fundus4j.pipelines.preprocess.Normalization;

/**
 * What a saved model is and how to feed it: written as {@code model-card.json} next to the weights.
 *
 * @param name algorithm name, as it appears in DICOM SRs (TID 4019 Algorithm Name)
 * @param version algorithm version (TID 4019 Algorithm Version)
 * @param task {@code binary}, {@code multi-label} or {@code segmentation}
 * @param labels output column names, in order; for binary {@code [normal, abnormal]}
 * @param start the backbone start (paper's Table 1 wording)
 * @param mode {@code LP} or {@code FT}; {@code upstream} for a model made by {@code fundus pretrain}
 * @param inputSize square input side in pixels
 * @param mean per-channel RGB mean subtracted after scaling to [0,1] (torchvision ImageNet values)
 * @param std per-channel RGB standard deviation divided by
 * @param syntheticData true when the model was trained on synthetic images only (never for clinical use)
 * @param metrics named evaluation results, e.g. {@code heldOutAuc}
 * @param training how the model was trained (split, hyper-parameters, epochs, best validation score,
 *     library versions); null for models made by code rather than by {@code fundus pretrain/transfer}
 * @param operatingPoint the probability threshold per label above which a finding is called present, and how
 *     it was chosen; null when the model has none (screening then reports probabilities only)
 * @param quantization the int8 ONNX model in the folder and how it was calibrated; null when there is none
 *     (absent from older cards)
 */
public record ModelCard(String name, String version, String task, List<String> labels, String start,
    String mode, int inputSize, double[] mean, double[] std, boolean syntheticData,
    Map<String, Double> metrics, Training training, OperatingPoint operatingPoint, Quantization quantization) {

  /** torchvision's ImageNet mean, which the paper's models were trained with ({@link Normalization#IMAGENET}). */
  public static final double[] IMAGENET_MEAN = Normalization.IMAGENET.mean();

  /** torchvision's ImageNet standard deviation ({@link Normalization#IMAGENET}). */
  public static final double[] IMAGENET_STD = Normalization.IMAGENET.std();

  /**
   * The paper's optimiser settings and the training loop's, as recorded in a model card.
   *
   * @param optimizer e.g. {@code Adam}
   * @param learningRate step size
   * @param beta1 Adam's first-moment decay (the paper: 0.9)
   * @param beta2 Adam's second-moment decay
   * @param weightDecay L2 term added to the gradient, as PyTorch's {@code Adam(weight_decay)} (the paper: 1e-5)
   * @param batchSize images per optimiser step, the effective batch (the paper: 32)
   * @param maxEpochs the most epochs (the paper: 100)
   * @param patience epochs without a better validation score before stopping
   * @param seed seed of weights, split, shuffling and augmentation
   * @param validationFraction share of patients held out for validation
   * @param augmentation the training augmentation, e.g. {@code flip, grayscale, blur, CLAHE}
   * @param batchNormBatch the most images a BatchNorm layer normalised together in training: {@code batchSize}, or
   *     the micro-batch when steps were accumulated; null when no BatchNorm layer trained (LP on cached features)
   *     or the card predates the field
   * @param gradientAccumulation how each step was computed from micro-batches and why; null when each step was
   *     one forward and backward pass of {@code batchSize} images
   */
  public record HyperParameters(String optimizer, double learningRate, double beta1, double beta2,
      double weightDecay, int batchSize, int maxEpochs, int patience, long seed, double validationFraction,
      String augmentation, Integer batchNormBatch, String gradientAccumulation) {

    @JsonCreator
    public HyperParameters {}

    /** Hyper-parameters of a run without micro-batches, whose BatchNorm layers (if any) saw whole batches. */
    public HyperParameters(String optimizer, double learningRate, double beta1, double beta2, double weightDecay,
        int batchSize, int maxEpochs, int patience, long seed, double validationFraction, String augmentation) {
      this(optimizer, learningRate, beta1, beta2, weightDecay, batchSize, maxEpochs, patience, seed,
          validationFraction, augmentation, null, null);
    }
  }

  /**
   * What a training run did, for a model card: enough to repeat it and to know which data it saw.
   *
   * @param splitFile the patient-level split file, relative to the model folder
   * @param splitSha256 SHA-256 of the split file's bytes (hex)
   * @param trainingImages images in the training part of the split
   * @param validationImages images in the validation part
   * @param hyperParameters optimiser and loop settings
   * @param epochs epochs trained
   * @param bestEpoch the 1-based epoch whose weights the model holds
   * @param stoppedEarly true when patience ran out before {@code maxEpochs}
   * @param validationMetric what {@code bestValidation} measures, e.g. {@code AUC} or {@code Dice}
   * @param bestValidation the best epoch's validation score
   * @param libraries names and versions of the libraries and runtime that trained the model
   */
  public record Training(String splitFile, String splitSha256, int trainingImages, int validationImages,
      HyperParameters hyperParameters, int epochs, int bestEpoch, boolean stoppedEarly, String validationMetric,
      double bestValidation, Map<String, String> libraries) {
    public Training {
      libraries = libraries == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(libraries));
    }
  }

  /**
   * Where a probability becomes a call (finding present or absent), chosen on the validation split when the
   * model is trained.
   *
   * @param rule how the thresholds were chosen, e.g. {@code Youden's J on the validation split}
   * @param thresholds per output label, the probability at or above which the finding is present
   */
  public record OperatingPoint(String rule, Map<String, Double> thresholds) {
    public OperatingPoint {
      if (rule == null || rule.isBlank()) {
        throw new IllegalArgumentException("Operating point needs the rule that chose it");
      }
      thresholds = thresholds == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(thresholds));
      for (Map.Entry<String, Double> e : thresholds.entrySet()) {
        if (!(e.getValue() >= 0 && e.getValue() <= 1)) {
          throw new IllegalArgumentException("Threshold for '" + e.getKey() + "' must be in [0, 1], got "
              + e.getValue());
        }
      }
    }
  }

  /**
   * The static int8 quantisation of the model stored beside it ({@link SavedModel#quantize}), for
   * {@code fundus screen --precision int8}.
   *
   * @param file the int8 {@code .onnx} file, relative to the model folder
   * @param scheme what is quantised and how, e.g. {@code QDQ; weights int8 per output channel, symmetric; ...}
   * @param calibrationMethod how activation ranges were measured, e.g. {@code minmax}
   * @param calibrationImages number of calibration images the ranges were fitted on (the held-apart ones not
   *     counted)
   * @param calibratedTensors number of activation tensors with a calibrated range
   * @param calibrationData which images calibrated it, e.g. {@code first 64 training images, evaluation pipeline}
   * @param sha256 SHA-256 of {@code file} (hex)
   * @param floatTensors tensors the accuracy-driven fallback left in float32 ({@code StaticQuantization.quantize});
   *     empty for older cards
   * @param maxDifference largest {@code |p_int8 - p_fp32|} on the images it was judged on: the {@code checkImages}
   *     held apart, or the calibration images ({@code null}: not measured, older cards)
   * @param bound the bound the fallback aimed for ({@code null}: none, older cards)
   * @param awareTraining the quantisation-aware training whose weights {@code file} holds (epochs, learning rate,
   *     images, the all-int8 difference before and after); {@code null}: the model's own weights were quantised
   * @param biasCorrection the output layer's bias correction measured on the chosen export ({@code floatTensors} in
   *     float32; the all-int8 one, not kept, when quantisation-aware training replaced it) (the shift per output,
   *     the difference without and with it, whether {@code file} holds it); {@code null}: not measured (older
   *     cards, or an output layer it does not apply to)
   * @param checkImages calibration images held apart from the fit, on which {@code maxDifference} and every choice of
   *     the fallback were judged ({@code StaticQuantization.Fallback#heldApart}); {@code null}: none held apart, judged
   *     on the images fitted on (older cards too)
   */
  public record Quantization(String file, String scheme, String calibrationMethod, int calibrationImages,
      int calibratedTensors, String calibrationData, String sha256, List<String> floatTensors, Double maxDifference,
      Double bound, org.fundus4j.networks.inference.StaticQuantization.AwareTraining awareTraining,
      org.fundus4j.networks.inference.StaticQuantization.Correction biasCorrection, Integer checkImages) {
    public Quantization {
      if (file == null || file.isBlank()) {
        throw new IllegalArgumentException("Quantization record needs the int8 model's file name");
      }
      if (calibrationImages < 1) {
        throw new IllegalArgumentException("Quantization needs >= 1 calibration image, got " + calibrationImages);
      }
      floatTensors = floatTensors == null ? List.of() : List.copyOf(floatTensors);
      if (checkImages != null && checkImages < 1) {
        throw new IllegalArgumentException("Quantization's held-apart images must be >= 1 or absent, got "
            + checkImages);
      }
    }

    /** A record judged on the images fitted on (none held apart, as older cards have). */
    public Quantization(String file, String scheme, String calibrationMethod, int calibrationImages,
        int calibratedTensors, String calibrationData, String sha256, List<String> floatTensors, Double maxDifference,
        Double bound, org.fundus4j.networks.inference.StaticQuantization.AwareTraining awareTraining,
        org.fundus4j.networks.inference.StaticQuantization.Correction biasCorrection) {
      this(file, scheme, calibrationMethod, calibrationImages, calibratedTensors, calibrationData, sha256, floatTensors,
          maxDifference, bound, awareTraining, biasCorrection, null);
    }

    /** A record without a bias correction (as older cards have). */
    public Quantization(String file, String scheme, String calibrationMethod, int calibrationImages,
        int calibratedTensors, String calibrationData, String sha256, List<String> floatTensors, Double maxDifference,
        Double bound, org.fundus4j.networks.inference.StaticQuantization.AwareTraining awareTraining) {
      this(file, scheme, calibrationMethod, calibrationImages, calibratedTensors, calibrationData, sha256, floatTensors,
          maxDifference, bound, awareTraining, (org.fundus4j.networks.inference.StaticQuantization.Correction) null);
    }

    /** A record of the model's own weights quantised (no quantisation-aware training). */
    public Quantization(String file, String scheme, String calibrationMethod, int calibrationImages,
        int calibratedTensors, String calibrationData, String sha256, List<String> floatTensors, Double maxDifference,
        Double bound) {
      this(file, scheme, calibrationMethod, calibrationImages, calibratedTensors, calibrationData, sha256, floatTensors,
          maxDifference, bound, null);
    }

    /** A record without the fallback's measurement (as older cards have). */
    public Quantization(String file, String scheme, String calibrationMethod, int calibrationImages,
        int calibratedTensors, String calibrationData, String sha256) {
      this(file, scheme, calibrationMethod, calibrationImages, calibratedTensors, calibrationData, sha256, List.of(),
          null, null);
    }

    /** What {@link #maxDifference} was measured on, for messages: "the 32 held-apart calibration images". */
    public String judgedOn() {
      return checkImages != null ? "the " + checkImages + " held-apart calibration images" : "the calibration images";
    }

    /**
     * With 95 % confidence, the largest share of new images (from the same source as the calibration images) that
     * stray beyond {@link #bound} ({@link org.fundus4j.networks.inference.StaticQuantization.Split#exceedance95});
     * {@code null} where no image was held apart or the bound was missed on them.
     */
    public Double exceedance95() {
      return checkImages == null || maxDifference == null || missesBound() ? null
          : org.fundus4j.networks.inference.StaticQuantization.Split.exceedance95(checkImages);
    }

    /** Whether the measured difference exceeds the bound (false when either was not recorded). */
    public boolean missesBound() {
      return maxDifference != null && bound != null && maxDifference > bound;
    }
  }

  /** A card without a quantised model. */
  public ModelCard(String name, String version, String task, List<String> labels, String start, String mode,
      int inputSize, double[] mean, double[] std, boolean syntheticData, Map<String, Double> metrics,
      Training training, OperatingPoint operatingPoint) {
    this(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, metrics, training,
        operatingPoint, null);
  }

  /** A card without an operating point. */
  public ModelCard(String name, String version, String task, List<String> labels, String start, String mode,
      int inputSize, double[] mean, double[] std, boolean syntheticData, Map<String, Double> metrics,
      Training training) {
    this(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, metrics, training, null,
        null);
  }

  /** A card without a training record, for models made by code. */
  public ModelCard(String name, String version, String task, List<String> labels, String start, String mode,
      int inputSize, double[] mean, double[] std, boolean syntheticData, Map<String, Double> metrics) {
    this(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, metrics, null, null, null);
  }

  @JsonCreator
  public ModelCard {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("Model card needs a name");
    }
    if (inputSize <= 0 || inputSize % 32 != 0) {
      throw new IllegalArgumentException("Input size must be a positive multiple of 32, got " + inputSize);
    }
    if (labels == null || labels.isEmpty()) {
      throw new IllegalArgumentException("Model card needs its output labels");
    }
    labels = List.copyOf(labels);
    metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    mean = mean.clone();
    std = std.clone();
  }

  /** The mean and standard deviation the model's inputs are normalised with. */
  public Normalization normalization() {
    return new Normalization(mean, std);
  }

  /** The same card with one more metric. */
  public ModelCard withMetric(String key, double value) {
    Map<String, Double> more = new java.util.TreeMap<>(metrics);
    more.put(key, value);
    return new ModelCard(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, more,
        training, operatingPoint, quantization);
  }

  /** The same card with the given training record. */
  public ModelCard withTraining(Training record) {
    return new ModelCard(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, metrics,
        record, operatingPoint, quantization);
  }

  /** The same card with the given operating point. */
  public ModelCard withOperatingPoint(OperatingPoint point) {
    return new ModelCard(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, metrics,
        training, point, quantization);
  }

  /** The same card with the given quantisation record. */
  public ModelCard withQuantization(Quantization record) {
    return new ModelCard(name, version, task, labels, start, mode, inputSize, mean, std, syntheticData, metrics,
        training, operatingPoint, record);
  }
}

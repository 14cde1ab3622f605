package org.fundus4j.networks.inference;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Static int8 quantisation of a DL4J graph's ONNX export: activation ranges calibrated on images, then
 * an export in ONNX's QDQ form ({@link OnnxExportOptions#withInt8}).
 *
 * <pre>{@code
 * ActivationRanges ranges = StaticQuantization.calibrate(graph, calibrationBatches, 2); // >= 64 images
 * ExportSummary int8 = OnnxExporter.export(graph, Path.of("model-int8.onnx"),
 *     OnnxExportOptions.defaults().withInt8(ranges));
 * }</pre>
 *
 * <p>Calibration runs the float32 export in ONNX Runtime with every tensor that the int8 export quantises
 * ({@link OnnxExporter#quantizedTensors}) as an extra output and keeps each one's minimum and maximum
 * (ONNX Runtime's {@code CalibrationMethod.MinMax}), or clips them to a percentile ({@link Calibration}). The batches must be preprocessed exactly as the
 * model's inputs are (size, normalisation), and should come from the model's own training images.
 */
public final class StaticQuantization {
  /** Calibration method recorded in {@link ActivationRanges#method()}. */
  public static final String MINMAX = "minmax";
  private static final Logger LOG = LoggerFactory.getLogger(StaticQuantization.class);

  private StaticQuantization() {}

  /**
   * How an activation's range is chosen from its calibration values.
   *
   * <p>{@link #minMax()} keeps every value (ONNX Runtime's {@code MinMax}): one outlier sets the step of the whole
   * tensor. {@link #percentile(double)} clips {@code (100 - p) / 2} percent of the values at each end, read from a
   * {@value #BINS}-bin histogram of each tensor over its min/max range (a second pass over the batches; the lower
   * end is the lower edge of its bin and the upper end the upper edge of its, so no more than asked is clipped).
   * {@link #meanSquaredError()} picks each tensor's range from the same histogram by its own rounding and clipping
   * error. The graph input keeps its min/max range in all three: its values are pixels on a fixed grid, not
   * outliers.
   *
   * @param percentile share of each activation's values inside its range, in (50, 100]; 100 is min/max
   * @param mse whether the range is the mean-squared-error one instead (then {@code percentile} is 100)
   */
  public record Calibration(double percentile, boolean mse) {
    /** Histogram bins per tensor for {@link #percentile(double)} and {@link #meanSquaredError()}. */
    public static final int BINS = 2048;

    public Calibration {
      if (!(percentile > 50 && percentile <= 100)) {
        throw new IllegalArgumentException("Calibration percentile must be in (50, 100], got " + percentile);
      }
      if (mse && percentile != 100) {
        throw new IllegalArgumentException("A mean-squared-error range clips by its own rule, not at percentile "
            + percentile);
      }
    }

    /** {@code percentile} percent of each activation's values inside its range ({@code 100}: min/max). */
    public Calibration(double percentile) {
      this(percentile, false);
    }

    /** Every value inside the range ({@code "minmax"}). */
    public static Calibration minMax() {
      return new Calibration(100);
    }

    /** {@code p} percent of each activation's values inside its range, the rest clipped evenly at both ends. */
    public static Calibration percentile(double p) {
      return new Calibration(p);
    }

    /**
     * Per tensor, the range whose uint8 quantisation has the smallest mean squared error on the calibration
     * values ({@link #meanSquaredError(ActivationRanges.Range, long[])}): each tensor clips as much as its own
     * distribution warrants, where a percentile clips every tensor alike.
     */
    public static Calibration meanSquaredError() {
      return new Calibration(100, true);
    }

    /** Whether this rule needs the histogram pass. */
    boolean histogram() {
      return mse || percentile < 100;
    }

    /** The name recorded in {@link ActivationRanges#method()} and the model card: {@code "minmax"}, {@code "mse"} or {@code "percentile-99.99"}. */
    public String method() {
      return mse ? "mse" : percentile == 100 ? MINMAX : "percentile-" + new java.math.BigDecimal(
          Double.toString(percentile)).stripTrailingZeros().toPlainString();
    }
  }

  /**
   * The range methods {@code SavedModel.quantize} chooses from on the calibration images: min/max, five
   * percentiles from 99.9999 to 99.99 and the per-tensor mean-squared-error range. Measured
   * (benchmarks/results/int8-screening.md, 2026-12-03): on a fine-tuned ResNet-50 held-out max |dP| was 0.0430 with
   * min/max, 0.0399 at 99.9999, 0.0308 at 99.999, 0.0287 at 99.998 and 0.0694 at 99.99, so no one value is safe and
   * the choice is made per model.
   */
  public static final List<Calibration> SEARCHED = List.of(Calibration.minMax(), Calibration.percentile(99.9999),
      Calibration.percentile(99.999), Calibration.percentile(99.998), Calibration.percentile(99.995),
      Calibration.percentile(99.99), Calibration.meanSquaredError());

  /**
   * Measures the range of every tensor an int8 export of {@code graph} quantises (min/max).
   *
   * @param batches {@code [N, C, H, W]} float32 inputs, preprocessed as for the model
   * @param threads ONNX Runtime intra-op threads
   * @throws IllegalArgumentException if {@code batches} is empty or a tensor is not finite
   */
  public static ActivationRanges calibrate(ComputationGraph graph, Iterable<INDArray> batches, int threads) {
    return calibrate(graph, batches, threads, Calibration.minMax());
  }

  /** As {@link #calibrate(ComputationGraph, Iterable, int)}, with the ranges chosen by {@code calibration}. */
  public static ActivationRanges calibrate(ComputationGraph graph, Iterable<INDArray> batches, int threads,
      Calibration calibration) {
    return measure(graph, batches, threads, null, List.of(calibration)).get(0).ranges();
  }

  /** Ranges and (if asked) the float32 outputs of one calibration pass. */
  private record Measured(ActivationRanges ranges, List<float[]> outputs) {}

  /** One calibration pass (two if a percentile is asked for) and the ranges of each of {@code calibrations}. */
  private static List<Measured> measure(ComputationGraph graph, Iterable<INDArray> batches, int threads,
      List<String> networkOutputs, List<Calibration> calibrations) {
    Objects.requireNonNull(graph, "graph");
    Objects.requireNonNull(batches, "batches");
    if (calibrations.isEmpty()) {
      throw new IllegalArgumentException("At least one calibration method is needed");
    }
    boolean histogram = calibrations.stream().anyMatch(Calibration::histogram);
    Map<String, long[]> histograms = new LinkedHashMap<>();
    List<String> tensors = OnnxExporter.quantizedTensors(graph);
    List<String> inputs = graph.getConfiguration().getNetworkInputs();
    List<String> vertices = new ArrayList<>();
    for (String t : tensors) {
      if (!inputs.contains(t)) {
        vertices.add(t);
      }
    }
    Map<String, ActivationRanges.Range> ranges = new LinkedHashMap<>();
    List<float[]> outputs = new ArrayList<>();
    List<String> visited = new ArrayList<>(vertices);
    if (networkOutputs != null) {
      for (String o : networkOutputs) {
        if (!visited.contains(o)) {
          visited.add(o);
        }
      }
    }
    int images = 0;
    try (OnnxRuntimeBackend ort = OnnxRuntimeBackend.ofExport(graph,
        OnnxExportOptions.defaults().withAdditionalOutputs(vertices.toArray(String[]::new)),
        OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads))) {
      for (INDArray batch : batches) {
        for (String t : tensors) {
          if (inputs.contains(t)) {
            merge(ranges, t, batch);
          }
        }
        if (visited.isEmpty()) { // only the graph input is quantised, and no output is asked for
          images += (int) batch.size(0);
          continue;
        }
        ort.visit(batch, visited, (name, shape, values) -> {
          if (networkOutputs != null && networkOutputs.contains(name)) {
            float[] copy = new float[values.remaining()];
            values.duplicate().get(copy);
            outputs.add(copy);
          }
          if (!vertices.contains(name)) {
            return;
          }
          float min = Float.POSITIVE_INFINITY;
          float max = Float.NEGATIVE_INFINITY;
          for (int i = values.position(); i < values.limit(); i++) {
            float v = values.get(i);
            min = Math.min(min, v);
            max = Math.max(max, v);
          }
          merge(ranges, name, min, max);
        });
        images += (int) batch.size(0);
      }
      if (images > 0 && histogram && !vertices.isEmpty()) {
        for (INDArray batch : batches) {
          ort.visit(batch, vertices, (name, shape, values) -> {
            ActivationRanges.Range r = ranges.get(name);
            long[] h = histograms.computeIfAbsent(name, k -> new long[Calibration.BINS]);
            float width = r.max() - r.min();
            for (int i = values.position(); i < values.limit(); i++) {
              int bin = width > 0 ? (int) ((values.get(i) - r.min()) / width * Calibration.BINS) : 0;
              h[Math.max(0, Math.min(Calibration.BINS - 1, bin))]++;
            }
          });
        }
      }
    }
    if (images == 0) {
      throw new IllegalArgumentException("Calibration got no images");
    }
    List<Measured> measured = new ArrayList<>();
    for (Calibration calibration : calibrations) {
      LOG.info("Calibrated {} activation ranges on {} images ({})", ranges.size(), images, calibration.method());
      // Keep the topological order of the tensors.
      Map<String, ActivationRanges.Range> ordered = new LinkedHashMap<>();
      for (String t : tensors) {
        ActivationRanges.Range r = ranges.get(t);
        long[] h = histograms.get(t);
        if (calibration.mse() && h != null) {
          r = meanSquaredError(r, h);
        } else if (calibration.percentile() < 100 && h != null) {
          r = clipped(r, h, calibration.percentile());
        }
        ordered.put(t, r);
      }
      measured.add(new Measured(new ActivationRanges(ordered, images, calibration.method()), outputs));
    }
    return measured;
  }

  /**
   * The range of a histogram over {@code [full.min, full.max]} that leaves {@code (100 - percentile) / 2} percent
   * of the values out at each end: from the lower edge of the bin where the lower tail ends to the upper edge of
   * the bin where the upper tail starts.
   */
  static ActivationRanges.Range clipped(ActivationRanges.Range full, long[] histogram, double percentile) {
    long total = 0;
    for (long c : histogram) {
      total += c;
    }
    double tail = total * (100 - percentile) / 200;
    int lo = 0;
    long below = 0;
    while (lo < histogram.length - 1 && below + histogram[lo] <= tail) {
      below += histogram[lo++];
    }
    int hi = histogram.length - 1;
    long above = 0;
    while (hi > lo && above + histogram[hi] <= tail) {
      above += histogram[hi--];
    }
    double width = ((double) full.max() - full.min()) / histogram.length;
    return new ActivationRanges.Range((float) (full.min() + lo * width),
        hi == histogram.length - 1 ? full.max() : (float) (full.min() + (hi + 1) * width));
  }

  /**
   * The range, with ends on the edges of the bins of {@code histogram} (over {@code [full.min, full.max]}), whose
   * uint8 quantisation has the smallest total squared error: {@code step^2 / 12} per value inside it (rounding),
   * {@code (v - end)^2} per value outside (clipping, {@code v} the centre of its bin), and none for the values of
   * an exact 0 (a tensor whose minimum is 0, a ReLU's output: its first bin is taken as zeros, which uint8 holds
   * exactly at the zero point). The step is that of the range widened to include 0, as the export uses; so an end
   * only moves inwards as far as 0 (the export would widen it back).
   */
  static ActivationRanges.Range meanSquaredError(ActivationRanges.Range full, long[] histogram) {
    int bins = histogram.length;
    double width = ((double) full.max() - full.min()) / bins;
    if (!(width > 0)) {
      return full;
    }
    boolean zeros = full.min() == 0f;
    // prefix sums over bins of count, count * centre and count * centre^2
    double[] n = new double[bins + 1];
    double[] m1 = new double[bins + 1];
    double[] m2 = new double[bins + 1];
    for (int i = 0; i < bins; i++) {
      double c = full.min() + (i + 0.5) * width;
      double k = zeros && i == 0 ? 0 : histogram[i];
      n[i + 1] = n[i] + k;
      m1[i + 1] = m1[i] + k * c;
      m2[i + 1] = m2[i] + k * c * c;
    }
    double best = Double.POSITIVE_INFINITY;
    int bestLo = 0;
    int bestHi = bins;
    for (int lo = 0; lo < bins; lo++) {
      double a = full.min() + lo * width;
      if (lo > 0 && a > 0) {
        break; // the export widens the range to 0 again
      }
      // below the range: sum of k (c - a)^2
      double below = m2[lo] - 2 * a * m1[lo] + a * a * n[lo];
      if (below >= best) {
        break; // only grows with lo
      }
      for (int hi = lo + 1; hi <= bins; hi++) {
        double b = hi == bins ? full.max() : full.min() + hi * width;
        if (hi < bins && b < 0) {
          continue;
        }
        double step = (Math.max(0, b) - Math.min(0, a)) / 255;
        double inside = (n[hi] - n[lo]) * step * step / 12;
        double above = (m2[bins] - m2[hi]) - 2 * b * (m1[bins] - m1[hi]) + b * b * (n[bins] - n[hi]);
        double error = below + inside + above;
        if (error < best) {
          best = error;
          bestLo = lo;
          bestHi = hi;
        }
      }
    }
    return new ActivationRanges.Range(bestLo == 0 ? full.min() : (float) (full.min() + bestLo * width),
        bestHi == bins ? full.max() : (float) (full.min() + bestHi * width));
  }

  /**
   * How far an int8 model may stray from float32, how much of it may stay float32 to get there, and on which images
   * that is judged.
   *
   * <p>Judged on the images the ranges, the sensitivities and the output bias correction were fitted on, the bound
   * is optimistic: on the int8 benchmark's damped ResNet-50 (benchmarks/results/int8-screening.md, 2026-12-05) the
   * fallback met 0.03 on its 128 calibration images (0.0213) with 5 tensors in float32, and strayed by 0.0477 on 120
   * held-out ones. With {@code heldApart > 0} that share of the calibration images (the last ones, {@link Split})
   * is not fitted on: every choice (range method, correction kept, tensors in float32) is judged on them alone.
   *
   * @param bound the largest allowed {@code |p_int8 - p_fp32|} over every output value of every image it is judged on
   * @param maxFloatTensors at most this many quantised tensors ({@link OnnxExporter#quantizedTensors}) are left in
   *     float32; every one costs speed (its consumer, e.g. a convolution, runs in float32)
   * @param heldApart share of the calibration images, in {@code [0, 1)}, held apart to judge on; 0: judged on the
   *     images fitted on
   * @param order which tensors go back to float32 first ({@link Order})
   */
  public record Fallback(double bound, int maxFloatTensors, double heldApart, Order order) {
    /**
     * Which tensors the fallback keeps in float32 first.
     *
     * <p>{@link #SENSITIVITY}: the most sensitive ({@link #sensitivity}, one export per tensor to measure).
     * {@link #PREFIX}: the first ones in graph order ({@link OnnxExporter#quantizedTensors}), so that the float32 part
     * is one prefix of the network with a single switch to int8; no sensitivity is measured. In ONNX Runtime each
     * switch between float32 and int8 costs layout transposes and quantise/dequantise pairs: on the int8
     * benchmark's ResNet-50 at 512 px (benchmarks/results/int8-screening.md, 2026-12-06) the 6 most sensitive
     * tensors, all among the first 17, added 16 Transposes (81 ms of a 650 ms run); in the same interleaved rounds
     * they ran at 1.82x fp32 (held-out max |dP| 0.0387, RMS 0.0097) and the first 17 at 1.88x (0.0399, RMS 0.0082),
     * the first 8 at 2.13x (0.0445). The prefix order's gain is mostly the sensitivity exports it does not need.
     */
    public enum Order {
      SENSITIVITY, PREFIX
    }

    public Fallback {
      java.util.Objects.requireNonNull(order, "order");
      if (!(bound > 0) || maxFloatTensors < 0) {
        throw new IllegalArgumentException("Fallback needs bound > 0 and maxFloatTensors >= 0, got " + bound
            + " and " + maxFloatTensors);
      }
      if (!(heldApart >= 0 && heldApart < 1)) {
        throw new IllegalArgumentException("Fallback's held-apart share of the calibration images must be in [0, 1), "
            + "got " + heldApart);
      }
    }

    /** Judged on the images fitted on (none held apart), the most sensitive tensors first. */
    public Fallback(double bound, int maxFloatTensors) {
      this(bound, maxFloatTensors, 0);
    }

    /** The most sensitive tensors first. */
    public Fallback(double bound, int maxFloatTensors, double heldApart) {
      this(bound, maxFloatTensors, heldApart, Order.SENSITIVITY);
    }

    /** The same, with {@code order}. */
    public Fallback withOrder(Order order) {
      return new Fallback(bound, maxFloatTensors, heldApart, order);
    }

    /**
     * The bound, 0.03, with at most 8 tensors in float32 (about a sixth of ResNet-50's convolutions), judged
     * on half of the calibration images held apart.
     */
    public static Fallback standard() {
      return new Fallback(0.03, 8, 0.5);
    }
  }

  /**
   * The calibration batches split into those fitted on and those judged on: the last {@code ceil(heldApart * n)}
   * of the {@code n} images (a batch on the boundary is cut in two), or, with none held apart, the same batches for
   * both.
   */
  public record Split(List<INDArray> fit, List<INDArray> check) {
    /** {@code batches} split for {@code heldApart} ({@link Fallback#heldApart}). */
    public static Split of(List<INDArray> batches, double heldApart) {
      if (heldApart == 0 || batches.isEmpty()) {
        return new Split(batches, batches);
      }
      long total = batches.stream().mapToLong(b -> b.size(0)).sum();
      long fitted = total - (long) Math.ceil(total * heldApart);
      if (fitted < 1) {
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "Holding %s%% of the %d "
            + "calibration images apart leaves none to fit on; pass more images or hold fewer apart",
            new java.math.BigDecimal(Double.toString(100 * heldApart)).stripTrailingZeros().toPlainString(), total));
      }
      List<INDArray> fit = new ArrayList<>();
      List<INDArray> check = new ArrayList<>();
      long seen = 0;
      for (INDArray b : batches) {
        long n = b.size(0);
        if (seen + n <= fitted) {
          fit.add(b);
        } else if (seen >= fitted) {
          check.add(b);
        } else {
          long cut = fitted - seen;
          fit.add(b.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, cut)).dup());
          check.add(b.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(cut, n)).dup());
        }
        seen += n;
      }
      return new Split(List.copyOf(fit), List.copyOf(check));
    }

    /**
     * What {@code n} held-apart images within the bound say of new images from the same source: with 95 %
     * confidence, fewer than this share of them stray beyond it. The one-sided Clopper-Pearson bound for none of
     * {@code n} seen, {@code 1 - 0.05^(1/n)} (about {@code 3 / n}, the rule of three): 0.0457 for 64 images.
     * A largest difference is a sample maximum, so it grows with the number of images it is taken over; this is
     * the claim the held-apart images support.
     */
    public static double exceedance95(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("The exceedance bound needs >= 1 held-apart image, got " + n);
      }
      return 1 - Math.pow(0.05, 1.0 / n);
    }

    /** Whether any image is held apart ({@link #check} is then not {@link #fit}). */
    public boolean heldApart() {
      return fit != check;
    }

    /** Images judged on. */
    public int checkImages() {
      return (int) check.stream().mapToLong(b -> b.size(0)).sum();
    }
  }

  /**
   * What {@link #quantize} chose.
   *
   * @param ranges the calibrated activation ranges
   * @param floatTensors the tensors left in float32, for {@link OnnxExportOptions#withInt8(ActivationRanges, java.util.Collection)}
   * @param maxDifference the largest {@code |p_int8 - p_fp32|} of that choice on the images it was judged on
   * @param checkImages the images it was judged on: those held apart ({@link Fallback#heldApart}), or, with none
   *     held apart, every calibration image
   * @param fallback the bound and budget asked for
   * @param exportsTried int8 exports measured to choose (the sensitivity measurement's included)
   * @param sensitivity every quantised tensor's {@link #sensitivity} on the calibration images, most sensitive
   *     first; empty if the all-int8 model met the bound, the budget is 0 or the order is
   *     {@link Fallback.Order#PREFIX}, so none was measured
   * @param graph the graph to export with {@link #exportOptions}: the one given, or its quantisation-aware copy
   * @param training the quantisation-aware training that made {@code graph}, or {@code null} if none ran
   * @param correction the {@link BiasCorrection} measured on the chosen export ({@code floatTensors} in float32) of
   *     the model's own weights (in {@code graph} if {@link Correction#kept}); after quantisation-aware training, the
   *     all-int8 one it replaced (not kept); {@code null} where the output layer is not one it applies to
   */
  public record Choice(ActivationRanges ranges, List<String> floatTensors, double maxDifference, int checkImages,
      Fallback fallback, int exportsTried, Map<String, Double> sensitivity, ComputationGraph graph, AwareTraining training,
      Correction correction) {
    public Choice {
      floatTensors = List.copyOf(floatTensors);
      sensitivity = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sensitivity));
      Objects.requireNonNull(graph, "graph");
    }

    /** Whether {@link #maxDifference} is within the bound. */
    public boolean withinBound() {
      return maxDifference <= fallback.bound();
    }

    /** Export options for this choice. */
    public OnnxExportOptions exportOptions(OnnxExportOptions base) {
      return base.withInt8(ranges, floatTensors);
    }

    /** The {@code k} most sensitive tensors ({@link #sensitivity}), e.g. to try other budgets. */
    public List<String> mostSensitive(int k) {
      return sensitivity.keySet().stream().limit(k).toList();
    }
  }

  /**
   * The quantisation-aware training a {@link Choice} ran ({@link QuantizationAwareTraining#distill}).
   *
   * @param options epochs, learning rate and seed
   * @param images training images it saw in each epoch
   * @param before the all-int8 model's largest {@code |p_int8 - p_fp32|} on the calibration images before it
   * @param after the same for the trained copy, against the original float32 outputs
   */
  public record AwareTraining(QuantizationAwareTraining.Options options, int images, double before, double after) {}

  /**
   * The output layer's {@link BiasCorrection} a {@link Choice} measured on its export, on the calibration images:
   * the largest and RMS {@code |p_int8 - p_fp32|} without and with it, and whether the graph to export holds it
   * ({@link Choice#graph()}: its largest difference was not above the uncorrected one's, and no quantisation-aware
   * training replaced the graph).
   */
  public record Correction(BiasCorrection.Shift shift, double maxBefore, double maxAfter, double rmsBefore,
      double rmsAfter, boolean kept) {
    public Correction {
      Objects.requireNonNull(shift, "shift");
    }

    /** The same measurement, no longer in the graph to export (quantisation-aware training replaced it). */
    Correction superseded() {
      return new Correction(shift, maxBefore, maxAfter, rmsBefore, rmsAfter, false);
    }
  }

  /**
   * Calibrates, then chooses the fewest tensors to keep in float32 (accuracy-driven fallback) so that the int8
   * model's outputs stay within {@code fallback.bound()} of float32's on the calibration images, or, with
   * {@link Fallback#heldApart} {@code > 0}, on the share of them held apart: the ranges, the sensitivities and the
   * output bias correction are then fitted on the rest, and every difference below is measured on the held-apart
   * images alone.
   *
   * <p>The all-int8 model is measured first. Every export measured is measured again with its output layer's bias
   * corrected on it ({@link BiasCorrection}; kept if its largest difference is no larger; the chosen export's is
   * {@link Choice#correction()}). If the all-int8 model misses the bound, every quantised tensor's
   * {@link #sensitivity} is measured (one export per tensor, that tensor alone in int8, on up to
   * {@value #SENSITIVITY_IMAGES} of the images), then the 1, 2, 4, ... most sensitive tensors are kept in float32 until the bound holds or
   * {@code maxFloatTensors} is reached, and the last doubling is bisected to the fewest that hold. Each step is one
   * int8 export run over the calibration images in ONNX Runtime (three with the correction: the shift's pass, the
   * export and the corrected export). If even the budget misses the bound, the choice
   * with the smallest difference is returned and {@link Choice#withinBound()} says so: the caller decides (a model
   * whose float32 outputs swing under rounding-size changes of its input cannot be quantised; see the model card).
   *
   * <p>Measured, not estimated: on a fine-tuned ResNet-50 (benchmarks/results/int8-screening.md, 2026-12-03, 120
   * held-out images) a ranking by each tensor's own rounding noise (its uint8 step squared over 12, relative to its
   * variance) kept 8 tensors in float32 for a held-out max |dP| of 0.0466; the 8 most sensitive give 0.0283, and
   * the 12 this method chose 0.0236. Each float32 tensor costs speed: there 2.60x fp32 all-int8, 1.44x with 12.
   */
  public static Choice quantize(ComputationGraph graph, List<INDArray> calibration, Fallback fallback, int threads) {
    return quantize(graph, calibration, fallback, threads, Calibration.minMax());
  }

  /** As {@link #quantize(ComputationGraph, List, Fallback, int)}, with the ranges chosen by {@code method}. */
  public static Choice quantize(ComputationGraph graph, List<INDArray> calibration, Fallback fallback, int threads,
      Calibration method) {
    return quantize(graph, calibration, fallback, threads, List.of(method));
  }

  /**
   * As {@link #quantize(ComputationGraph, List, Fallback, int)}, with the range method chosen on the calibration
   * images too: one calibration pass (and one histogram pass) gives the ranges of every candidate, each candidate's
   * all-int8 model is measured, and the one with the smallest {@code |p_int8 - p_fp32|} (the first on a tie) goes
   * on to the fallback. {@link #SEARCHED} is the list {@code SavedModel.quantize} uses.
   */
  public static Choice quantize(ComputationGraph graph, List<INDArray> calibration, Fallback fallback, int threads,
      List<Calibration> candidates) {
    return quantize(graph, calibration, fallback, threads, candidates, null, List.of());
  }

  /**
   * As {@link #quantize(ComputationGraph, List, Fallback, int, List)}, with quantisation-aware training when the
   * all-int8 model misses the bound: a copy of {@code graph} is trained on {@code trainingBatches}
   * ({@link QuantizationAwareTraining#distill}, with the chosen ranges) to give {@code graph}'s outputs with its
   * tensors rounded, and the fallback then runs on that copy, still measured against {@code graph}'s float32
   * outputs. {@link Choice#graph()} is the graph to export; {@link Choice#training()} what the training did.
   *
   * <p>Measured (benchmarks/results/int8-screening.md, 2026-12-04): on a ResNet-50 whose all-int8 export strayed by
   * up to 0.0848 (RMS 0.0239) on 120 held-out images, 2 epochs over its 360 training images at Adam 1e-7 gave 0.0617
   * (RMS 0.0138) at the same speed: the typical difference nearly halves, the largest less reliably.
   *
   * @param aware training options; {@code null} or 0 epochs: no training
   */
  public static Choice quantize(ComputationGraph graph, List<INDArray> calibration, Fallback fallback, int threads,
      List<Calibration> candidates, QuantizationAwareTraining.Options aware, List<INDArray> trainingBatches) {
    Objects.requireNonNull(fallback, "fallback");
    Objects.requireNonNull(trainingBatches, "trainingBatches");
    if (aware != null && aware.enabled() && trainingBatches.isEmpty()) {
      throw new IllegalArgumentException("Quantisation-aware training asked for, but no training batches given");
    }
    List<String> outputs = graph.getConfiguration().getNetworkOutputs();
    Split split = Split.of(calibration, fallback.heldApart());
    List<Measured> all = measure(graph, split.fit(), threads, outputs, candidates);
    Judge judge = split.heldApart()
        ? new Judge(split.check(), float32Outputs(graph, split.check(), outputs, threads), "held-apart")
        : new Judge(split.check(), all.get(0).outputs(), "calibration");
    if (split.heldApart()) {
      LOG.info("int8: fitted on {} calibration images, judged on {} held apart", all.get(0).ranges().images(),
          split.checkImages());
    }
    Measured best = all.get(0);
    Difference searched = null; // the chosen ranges' all-int8 model, measured in the search
    if (all.size() > 1) {
      for (Measured candidate : all) {
        Difference d = difference(graph, candidate.ranges(), List.of(), judge.batches(), outputs, judge.reference(),
            threads);
        LOG.info("int8 with {} ranges: max |p_int8 - p_fp32| {} on the {} images", candidate.ranges().method(),
            String.format(java.util.Locale.ROOT, "%.4f", d.max()), judge.name());
        if (searched == null || d.max() < searched.max()) {
          searched = d;
          best = candidate;
        }
      }
    }
    // exports of the search besides the chosen one's, which the trial with no tensor in float32 counts
    int searchExports = all.size() > 1 ? all.size() - 1 : 0;
    Measured m = best;
    List<String> tensors = List.copyOf(m.ranges().ranges().keySet());
    int budget = Math.min(fallback.maxFloatTensors(), tensors.size());
    Trials trials = new Trials(graph, m, split.fit(), judge, outputs, threads, searched,
        fallback.order() == Fallback.Order.PREFIX);
    AwareTraining training = null;
    Correction superseded = null;
    if (aware != null && aware.enabled() && trials.difference(0).max() > fallback.bound()) {
      // what the training starts from: the model's own weights, all-int8, without the correction
      Trial own = trials.trial(0);
      double before = own.uncorrected().max();
      int images = trainingBatches.stream().mapToInt(b -> (int) b.size(0)).sum();
      LOG.info("int8: all-int8 max |p_int8 - p_fp32| {} misses the bound {}; quantisation-aware training, {} epochs "
          + "on {} images", String.format(java.util.Locale.ROOT, "%.4f", before), fallback.bound(), aware.epochs(),
          images);
      // The training starts from the model's own weights and learns the output offset itself (its output bias
      // trains too); correcting the trained copy as well made it worse on held-out images (0.0617 -> 0.0681, the
      // model of benchmarks/results/int8-screening.md, 2026-12-05), so its trials are not corrected.
      trials.measureOn(QuantizationAwareTraining.distill(graph, m.ranges(), List.of(), trainingBatches, aware, null));
      superseded = own.correction() == null ? null : own.correction().superseded();
      training = new AwareTraining(aware, images, before, trials.difference(0).max());
    }
    int lo = -1; // largest count known to miss the bound
    int hi = -1; // smallest count known to meet it
    for (int k = 0; ; k = k == 0 ? 1 : Math.min(2 * k, budget)) {
      if (trials.difference(k).max() <= fallback.bound()) {
        hi = k;
        break;
      }
      lo = k;
      if (k >= budget) {
        break;
      }
    }
    if (hi > 0) {
      while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (trials.difference(mid).max() <= fallback.bound()) {
          hi = mid;
        } else {
          lo = mid;
        }
      }
    }
    int chosen = hi >= 0 ? hi : trials.smallest();
    Trial trial = trials.trial(chosen);
    Choice choice = new Choice(m.ranges(), trials.mostSensitive(chosen), trial.difference().max(),
        split.checkImages(), fallback,
        searchExports + trials.exports(), trials.sensitivity, trial.graph(trials.graph), training,
        training != null ? superseded : trial.correction());
    LOG.info("int8 fallback: {} of {} tensors in float32, max |p_int8 - p_fp32| {} on {} {} images "
        + "(bound {}, {}), {} exports tried", chosen, tensors.size(), String.format(java.util.Locale.ROOT, "%.4f",
        choice.maxDifference()), choice.checkImages(), judge.name(), fallback.bound(),
        choice.withinBound() ? "met" : "NOT met", choice.exportsTried());
    return choice;
  }

  /**
   * Calibration images the {@link #sensitivity} of each tensor is measured on (the first whole batches holding at
   * least this many): one export per tensor, 71 for ResNet-50, so this bounds the fallback's time when more
   * calibration images are given, while its choice is still checked on all of them. Measured on the int8
   * benchmark's fine-tuned ResNet-50 (benchmarks/results/int8-screening.md, 2026-12-03): with the sensitivities
   * of 16 images the fallback kept 10 tensors, 0.0302 held-out, in 68 s; with 64, 12 tensors, 0.0236, in 123 s.
   */
  public static final int SENSITIVITY_IMAGES = 64;

  /**
   * How much each quantised tensor alone moves the outputs: for every tensor of {@code ranges}, an export with only
   * that tensor in int8 (every other one in float32) is run over the first batches of {@code batches} holding
   * {@value #SENSITIVITY_IMAGES} images, and its score is the mean of {@code (p_int8 - p_fp32)^2} over every output
   * value. Such errors add about as variances: on a fine-tuned ResNet-50 the root of the sum of the 71
   * single-tensor scores (in logits) was 0.0968 against 0.0946 measured with all 71 in int8, so keeping the highest
   * scores in float32 removes the most error.
   *
   * @return tensor to score, highest first (ties in topological order)
   */
  static Map<String, Double> sensitivity(ComputationGraph graph, ActivationRanges ranges, List<INDArray> batches,
      List<String> outputs, List<float[]> reference, int threads) {
    int used = 0;
    for (int images = 0; used < batches.size() && images < SENSITIVITY_IMAGES; used++) {
      images += (int) batches.get(used).size(0);
    }
    batches = batches.subList(0, used);
    reference = reference.subList(0, used * outputs.size());
    List<String> tensors = List.copyOf(ranges.ranges().keySet());
    Map<String, Double> score = new LinkedHashMap<>();
    for (int i = 0; i < tensors.size(); i++) {
      String t = tensors.get(i);
      List<String> others = new ArrayList<>(tensors);
      others.remove(t);
      score.put(t, difference(graph, ranges, others, batches, outputs, reference, threads).meanSquare());
      LOG.info("int8 sensitivity {}/{}: {} {}", i + 1, tensors.size(), t,
          String.format(java.util.Locale.ROOT, "%.3g", score.get(t)));
    }
    List<String> ranked = new ArrayList<>(tensors);
    ranked.sort((a, b) -> Double.compare(score.get(b), score.get(a)));
    Map<String, Double> out = new LinkedHashMap<>();
    ranked.forEach(t -> out.put(t, score.get(t)));
    return out;
  }

  /**
   * One export the fallback measured: its difference with the output layer's bias as it is, and, where the
   * {@link BiasCorrection} was measured on that export, the shift and the difference with it.
   */
  private record Trial(Difference uncorrected, BiasCorrection.Shift shift, Difference corrected) {
    /** Whether the graph to export holds the shift: its largest difference is not above the uncorrected one's. */
    boolean kept() {
      return shift != null && corrected.max() <= uncorrected.max();
    }

    Difference difference() {
      return kept() ? corrected : uncorrected;
    }

    /** {@code measured}, its output bias shifted if {@link #kept}. */
    ComputationGraph graph(ComputationGraph measured) {
      return kept() ? shift.apply(measured) : measured;
    }

    Correction correction() {
      return shift == null ? null : new Correction(shift, uncorrected.max(), corrected.max(),
          Math.sqrt(uncorrected.meanSquare()), Math.sqrt(corrected.meanSquare()), kept());
    }

    int exports() {
      return shift == null ? 1 : 3; // the shift's pass, the export, the corrected export
    }
  }

  /**
   * The fallback's measurements of one graph: for each {@code k}, measured once, the int8 export with the {@code k}
   * most sensitive tensors in float32, and the same with the output layer's bias corrected on that export
   * ({@link BiasCorrection}: the rounding of each export leaves its own offset, so a shift measured with every
   * tensor in int8 over-corrects once tensors are float32 again); the sensitivities are measured on the first call
   * with {@code k > 0}. {@link #measureOn} starts again on another graph (the quantisation-aware copy, whose trials
   * are not corrected).
   */
  private static final class Trials {
    private final Measured measured;
    private final List<INDArray> fit;
    private final Judge judge;
    private final List<String> outputs;
    private final int threads;
    private final Map<Integer, Trial> tried = new LinkedHashMap<>(); // float32 tensor count -> trial
    private Difference searched; // the all-int8 export's difference, already measured by the range search
    private boolean correcting;
    final Map<String, Double> sensitivity = new LinkedHashMap<>();
    private final List<String> ranked = new ArrayList<>();
    private final boolean prefix; // graph order instead of the sensitivities
    ComputationGraph graph;
    private int forgotten; // exports measured on graphs replaced since

    Trials(ComputationGraph graph, Measured measured, List<INDArray> fit, Judge judge, List<String> outputs,
        int threads, Difference searched, boolean prefix) {
      this.prefix = prefix;
      this.graph = graph;
      this.measured = measured;
      this.fit = fit;
      this.judge = judge;
      this.outputs = outputs;
      this.threads = threads;
      this.searched = searched;
      this.correcting = BiasCorrection.applies(graph);
    }

    Difference difference(int k) {
      return trial(k).difference();
    }

    Trial trial(int k) {
      Trial known = tried.get(k);
      if (known != null) {
        return known;
      }
      if (k > 0 && ranked.isEmpty()) {
        if (prefix) {
          ranked.addAll(measured.ranges().ranges().keySet()); // graph order
        } else {
          sensitivity.putAll(sensitivity(graph, measured.ranges(), fit, outputs, measured.outputs(), threads));
          ranked.addAll(sensitivity.keySet());
        }
      }
      List<String> keepFloat = ranked.isEmpty() ? List.of() : ranked.subList(0, k);
      Difference d = k == 0 && searched != null ? searched : StaticQuantization.difference(graph, measured.ranges(),
          keepFloat, judge.batches(), outputs, judge.reference(), threads);
      Trial t = new Trial(d, null, null);
      if (correcting) {
        BiasCorrection.Shift shift = BiasCorrection.measure(graph, measured.ranges(), keepFloat, fit, threads);
        Difference after = StaticQuantization.difference(shift.apply(graph), measured.ranges(), keepFloat,
            judge.batches(), outputs, judge.reference(), threads);
        t = new Trial(d, shift, after);
        LOG.info("int8 with {} tensors in float32, bias correction of '{}' (largest shift {}): max |p_int8 - p_fp32| "
            + "{} -> {}, RMS {} -> {}; {}", k, shift.layer(), String.format(java.util.Locale.ROOT, "%.4f",
            shift.largest()), String.format(java.util.Locale.ROOT, "%.4f", d.max()),
            String.format(java.util.Locale.ROOT, "%.4f", after.max()),
            String.format(java.util.Locale.ROOT, "%.4f", Math.sqrt(d.meanSquare())),
            String.format(java.util.Locale.ROOT, "%.4f", Math.sqrt(after.meanSquare())),
            t.kept() ? "kept" : "not kept");
      } else {
        LOG.info("int8 with the {} {} tensors in float32: max |p_int8 - p_fp32| {}", k,
            prefix ? "first" : "most sensitive",
            String.format(java.util.Locale.ROOT, "%.4f", d.max()));
      }
      tried.put(k, t);
      return t;
    }

    /** The tensor count of the trial with the smallest difference (the fewest on a tie). */
    int smallest() {
      return tried.entrySet().stream().min(java.util.Comparator.<Map.Entry<Integer, Trial>>comparingDouble(
          e -> e.getValue().difference().max()).thenComparing(Map.Entry::getKey)).orElseThrow().getKey();
    }

    /** Int8 exports measured, on this graph and the ones before it, the sensitivities' included. */
    int exports() {
      return forgotten + sensitivity.size() + tried.values().stream().mapToInt(Trial::exports).sum();
    }

    /** Measures {@code trained} from now on, uncorrected; what was measured on the graph before is forgotten. */
    void measureOn(ComputationGraph trained) {
      forgotten = exports();
      graph = trained;
      searched = null;
      correcting = false;
      tried.clear();
      sensitivity.clear();
      ranked.clear();
    }

    List<String> mostSensitive(int k) {
      return ranked.isEmpty() ? List.of() : ranked.subList(0, k);
    }
  }

  /** Largest and mean squared {@code |int8 - fp32|} over every output value of the images judged on. */
  private record Difference(double max, double meanSquare) {}

  /**
   * The images every choice is judged on ({@link Split#check}), their float32 outputs (one array per batch and
   * network output, in order) and what the log calls them.
   */
  private record Judge(List<INDArray> batches, List<float[]> reference, String name) {}

  /** The float32 export's outputs on {@code batches}: one array per batch and network output, in order. */
  private static List<float[]> float32Outputs(ComputationGraph graph, List<INDArray> batches, List<String> outputs,
      int threads) {
    List<float[]> out = new ArrayList<>();
    try (OnnxRuntimeBackend ort = OnnxRuntimeBackend.ofExport(graph, OnnxExportOptions.defaults(),
        OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads))) {
      for (INDArray batch : batches) {
        ort.visit(batch, outputs, (name, shape, values) -> {
          float[] copy = new float[values.remaining()];
          values.duplicate().get(copy);
          out.add(copy);
        });
      }
    }
    return out;
  }

  /** {@link Difference} of an int8 export with {@code keepFloat} left in float32 from {@code reference}. */
  private static Difference difference(ComputationGraph graph, ActivationRanges ranges, List<String> keepFloat,
      List<INDArray> batches, List<String> outputs, List<float[]> reference, int threads) {
    double[] max = {0};
    double[] squares = {0};
    long[] n = {0};
    int[] k = {0};
    try (OnnxRuntimeBackend ort = OnnxRuntimeBackend.ofExport(graph,
        OnnxExportOptions.defaults().withInt8(ranges, keepFloat),
        OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads))) {
      for (INDArray batch : batches) {
        ort.visit(batch, outputs, (name, shape, values) -> {
          float[] ref = reference.get(k[0]++);
          for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(values.get(values.position() + i) - ref[i]);
            max[0] = Math.max(max[0], d);
            squares[0] += d * d;
          }
          n[0] += ref.length;
        });
      }
    }
    LOG.debug("int8 with {} tensors in float32: max |p_int8 - p_fp32| {}", keepFloat.size(),
        String.format(java.util.Locale.ROOT, "%.4f", max[0]));
    return new Difference(max[0], squares[0] / Math.max(1, n[0]));
  }

  private static void merge(Map<String, ActivationRanges.Range> ranges, String name, INDArray values) {
    merge(ranges, name, values.minNumber().floatValue(), values.maxNumber().floatValue());
  }

  private static void merge(Map<String, ActivationRanges.Range> ranges, String name, float min, float max) {
    if (!Float.isFinite(min) || !Float.isFinite(max)) {
      throw new IllegalArgumentException("Tensor '" + name + "' is not finite on a calibration batch (min "
          + min + ", max " + max + "); re-estimate BatchNorm statistics or check the inputs");
    }
    ranges.merge(name, new ActivationRanges.Range(min, max), ActivationRanges.Range::union);
  }
}

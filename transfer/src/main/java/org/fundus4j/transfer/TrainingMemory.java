package org.fundus4j.transfer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What one step of a network needs in memory, known before the step runs, against what ND4J may use.
 *
 * <p>The estimate is DL4J's own memory report of the graph at the input size
 * ({@link ComputationGraphConfiguration#getMemoryReport(InputType...)}, float32, no cache), times
 * {@link #SAFETY_FACTOR}, a factor measured on real steps: the peak RSS a training step of ResNet-50 + the
 * paper's head adds to the process (VmHWM after the steps minus RSS before them) was 0.87-1.09x the report's
 * total at 224 px batch 2, 4 and 8, 320 px batch 4 and 512 px batch 2, over one to three steps
 * (benchmarks/results/training-memory.md, {@code TrainingMemoryBenchmark}): the report is close, and the factor
 * leaves room for what it does not count (im2col buffers, helper copies, workspace growth after the first step)
 * and for the JVM heap around the step.
 *
 * <p>The limit is the smaller of the machine's {@code MemAvailable} ({@code /proc/meminfo}) and what JavaCPP
 * still lets ND4J allocate ({@link Pointer#maxPhysicalBytes()} minus {@link Pointer#physicalBytes()}; set with
 * {@code -Dorg.bytedeco.javacpp.maxphysicalbytes}).
 *
 * <pre>{@code
 * long need = TrainingMemory.stepBytes(net.getConfiguration(), 512, 32, true);
 * TrainingMemory.requireFits(net.getConfiguration(), 512, 32, true, TrainingMemory.availableBytes());
 * }</pre>
 */
public final class TrainingMemory {

  /**
   * The estimate over DL4J's memory report: the largest measured ratio of a step's peak RSS to the report (1.09,
   * 224 px batch 4, three steps) with 15 % to spare; see the class comment.
   */
  public static final double SAFETY_FACTOR = 1.25;

  private TrainingMemory() {}

  /**
   * Bytes one step of {@code conf} at {@code size} x {@code size} x 3 and {@code batch} images is expected to add
   * to the process: DL4J's memory report (parameters, gradients, updater state, activations kept for
   * backpropagation and working memory; float32) times {@link #SAFETY_FACTOR}.
   *
   * @param training a training step (forward and backward); false for inference only (featurisation)
   */
  public static long stepBytes(ComputationGraphConfiguration conf, int size, int batch, boolean training) {
    if (size < 1 || batch < 1) {
      throw new IllegalArgumentException("size and batch must be >= 1, got " + size + " and " + batch);
    }
    return (long) Math.ceil(SAFETY_FACTOR * reportBytes(conf, size, batch, training));
  }

  /** DL4J's memory report's total for one step, in bytes, without the safety factor. */
  public static long reportBytes(ComputationGraphConfiguration conf, int size, int batch, boolean training) {
    MemoryReport report = conf.getMemoryReport(InputType.convolutional(size, size, 3));
    return report.getTotalMemoryBytes(batch, training ? MemoryUseMode.TRAINING : MemoryUseMode.INFERENCE,
        CacheMode.NONE, DataType.FLOAT);
  }

  /**
   * The largest batch of at most {@code atMost} images whose step fits in {@code limitBytes}; 0 when not even
   * one image fits.
   */
  public static int largestBatch(ComputationGraphConfiguration conf, int size, boolean training, long limitBytes,
      int atMost) {
    int lo = 0;
    int hi = atMost;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (stepBytes(conf, size, mid, training) <= limitBytes) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /**
   * The micro-batch a training step of {@code batch} images runs in within {@code limitBytes}: {@code batch} when
   * its step fits, else the most even split of {@code batch} into the fewest micro-batches that fit (e.g. 32 images
   * with room for 12: three micro-batches of at most 11, so BatchNorm sees 11, 11 and 10 rather than 12, 12 and 8).
   *
   * @throws IllegalArgumentException when not even a step of one image fits ({@link #requireFits})
   */
  public static int microBatch(ComputationGraphConfiguration conf, int size, int batch, long limitBytes) {
    int fits = largestBatch(conf, size, true, limitBytes, batch);
    if (fits == 0) {
      requireFits(conf, size, 1, true, limitBytes);
    }
    if (fits >= batch) {
      return batch;
    }
    int passes = (batch + fits - 1) / fits;
    return (batch + passes - 1) / passes;
  }

  /**
   * Refuses a step that cannot fit: throws {@link IllegalArgumentException} with one line naming the batch asked
   * for, the estimate, the limit and the largest batch that fits (and {@code --batch N} to ask for it).
   */
  public static void requireFits(ComputationGraphConfiguration conf, int size, int batch, boolean training,
      long limitBytes) {
    requireFits(conf, size, batch, training, limitBytes, "--batch");
  }

  /** As {@link #requireFits(ComputationGraphConfiguration, int, int, boolean, long)}, naming {@code option}. */
  public static void requireFits(ComputationGraphConfiguration conf, int size, int batch, boolean training,
      long limitBytes, String option) {
    long need = stepBytes(conf, size, batch, training);
    if (need <= limitBytes) {
      return;
    }
    int fits = largestBatch(conf, size, training, limitBytes, batch);
    String what = training ? "A training step" : "A forward pass";
    throw new IllegalArgumentException(String.format(Locale.ROOT,
        "%s of batch %d at %d px needs about %s (DL4J's memory report x %.2f) but ND4J may use %s; %s",
        what, batch, size, gib(need), SAFETY_FACTOR, gib(limitBytes),
        fits > 0 ? "the largest batch that fits is " + fits + ": ask for it with " + option + " " + fits
            : "not even batch 1 fits: use a smaller --size or a machine with more memory"));
  }

  /**
   * What ND4J may still allocate now: the smaller of {@code MemAvailable} and
   * {@code maxPhysicalBytes - physicalBytes} (when JavaCPP has a limit).
   */
  public static long availableBytes() {
    long available = memAvailable();
    long max = Pointer.maxPhysicalBytes();
    if (max > 0) {
      long left = Math.max(0, max - Pointer.physicalBytes());
      available = available < 0 ? left : Math.min(available, left);
    }
    return available < 0 ? Long.MAX_VALUE : available;
  }

  /** {@code MemAvailable} of {@code /proc/meminfo} in bytes; -1 where there is none. */
  static long memAvailable() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemAvailable:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** Bytes as GiB with one decimal ("14.6 GiB"); MiB below 1 GiB. */
  static String gib(long bytes) {
    return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
        : String.format(Locale.ROOT, "%.0f MiB", bytes / (double) (1L << 20));
  }
}

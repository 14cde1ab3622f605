package org.fundus4j.samples.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fundus4j.transfer.Start;

/**
 * An experiment grid as written in a JSON grid file: the paper's protocol as start x resolution x mode x
 * data fraction x fold.
 *
 * <p>See {@code samples/grids/paper.json} (the paper's full grid) and {@code samples/grids/demo.json}
 * (a small one that runs in minutes on a CPU); the README documents every field.
 *
 * @param name grid name, shown in the report
 * @param data the downstream data set
 * @param starts backbone starts: {@code scratch}, {@code imagenet}, {@code fundus}, {@code imagenet+fundus}
 * @param weights per start, a PyTorch {@code .pth} (torchvision ImageNet or the paper's released weights),
 *     relative to the grid file; a Fundus start without weights is trained upstream by this run
 * @param upstream how to train missing Fundus starts (null when every start has weights or is Scratch)
 * @param resolutions input sides in pixels (the paper: 256, 512, 1024)
 * @param modes {@code LP} and/or {@code FT}
 * @param fractions training-data fractions for the stress test (the paper: 0.01 .. 1.0)
 * @param folds patient-level cross-validation folds (the paper: 5)
 * @param training epochs, learning rates and batch size
 * @param baseline the configuration DeLong's test compares against, e.g. {@code "scratch/FT"}
 * @param seed seeds data, splits and weights
 */
public record GridSpec(String name, DataSpec data, List<String> starts, Map<String, String> weights,
    UpstreamSpec upstream, List<Integer> resolutions, List<String> modes, List<Double> fractions, int folds,
    TrainingSpec training, String baseline, long seed) {

  /**
   * The downstream data: either a labels CSV of a DICOM folder ({@code file,sop_instance_uid,label,
   * patient_id}) or a synthetic set this run generates.
   *
   * @param labels path of the labels CSV, relative to the grid file; null for synthetic data
   * @param syntheticImages images to generate when {@code labels} is null
   */
  public record DataSpec(String labels, int syntheticImages) {
    public DataSpec {
      if (labels == null && syntheticImages < 8) {
        throw new IllegalArgumentException("Grid data needs 'labels' or 'syntheticImages' >= 8");
      }
    }

    public boolean synthetic() {
      return labels == null;
    }
  }

  /**
   * Upstream pretraining of Fundus starts on a separate synthetic normal/abnormal set.
   *
   * @param syntheticImages images in the upstream set (the paper: over 100,000 real photographs)
   * @param epochs training epochs
   * @param learningRate Adam learning rate (the paper: 1e-5)
   */
  public record UpstreamSpec(int syntheticImages, int epochs, double learningRate) {}

  /**
   * Downstream training settings.
   *
   * @param lpEpochs epochs of head training on cached features
   * @param ftEpochs epochs of full fine-tuning
   * @param lpLearningRate Adam learning rate of the LP head
   * @param ftLearningRate Adam learning rate of FT (the paper: 1e-5)
   * @param batchSize mini-batch size (the paper: 32)
   */
  public record TrainingSpec(int lpEpochs, int ftEpochs, double lpLearningRate, double ftLearningRate,
      int batchSize) {}

  public GridSpec {
    if (starts == null || starts.isEmpty() || resolutions == null || resolutions.isEmpty() || modes == null
        || modes.isEmpty()) {
      throw new IllegalArgumentException("Grid '" + name + "' needs non-empty starts, resolutions and modes");
    }
    starts = starts.stream().map(s -> Start.parse(s).name()).toList();
    modes = modes.stream().map(m -> m.toUpperCase(Locale.ROOT)).toList();
    for (String mode : modes) {
      if (!mode.equals("LP") && !mode.equals("FT")) {
        throw new IllegalArgumentException("Grid mode must be LP or FT, got '" + mode + "'");
      }
    }
    for (int r : resolutions) {
      if (r < 64 || r % 32 != 0) {
        throw new IllegalArgumentException("Grid resolution must be a multiple of 32 and >= 64, got " + r);
      }
    }
    fractions = fractions == null || fractions.isEmpty() ? List.of(1.0) : List.copyOf(fractions);
    for (double f : fractions) {
      if (!(f > 0 && f <= 1)) {
        throw new IllegalArgumentException("Grid fraction must be in (0, 1], got " + f);
      }
    }
    if (folds < 2) {
      throw new IllegalArgumentException("Grid needs at least 2 folds, got " + folds);
    }
    weights = weights == null ? Map.of() : Map.copyOf(weights);
    resolutions = List.copyOf(resolutions);
  }

  /** The start's weights file, or null when this run must make it (Scratch, or upstream training). */
  public Path weightsFor(Start start, Path gridDir) {
    for (Map.Entry<String, String> e : weights.entrySet()) {
      if (Start.parse(e.getKey()) == start) {
        return gridDir.resolve(e.getValue());
      }
    }
    return null;
  }

  /** Reads a grid file. */
  public static GridSpec read(Path file) throws IOException {
    try {
      return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
          .readValue(file.toFile(), GridSpec.class);
    } catch (IOException e) {
      throw new IOException("Cannot read grid file " + file + ": " + e.getMessage(), e);
    }
  }
}

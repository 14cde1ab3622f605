package org.fundus4j.screening;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.Task;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a model card's head turns network outputs into findings: which output columns are reported, under which
 * codes, and where each probability becomes a call.
 *
 * <ul>
 *   <li>binary ({@code [normal, abnormal]}, softmax): one finding, the {@code abnormal} column (the last column
 *       when no label is called {@code abnormal});</li>
 *   <li>multi-label (one sigmoid per label): one finding per label, in the card's order;</li>
 *   <li>segmentation: no findings; a {@link VesselMap} from the {@code [N, 1, H, W]} output at the card's
 *       threshold for its label (0.5 when it has none).</li>
 * </ul>
 * Labels map to codes with {@link Findings#forLabel}; a label without a threshold in the card's
 * {@link ModelCard.OperatingPoint} gets a probability and no call.
 */
public final class ModelOutputs {

  private final Task task;
  private final List<String> labels;
  private final int[] columns;
  private final List<CodedConcept> concepts;
  private final double[] thresholds;

  private ModelOutputs(Task task, List<String> labels, int[] columns, double[] thresholds) {
    this.task = task;
    this.labels = List.copyOf(labels);
    this.columns = columns;
    this.thresholds = thresholds;
    List<CodedConcept> c = new ArrayList<>();
    for (String label : labels) {
      c.add(Findings.forLabel(label));
    }
    this.concepts = List.copyOf(c);
  }

  /**
   * Reads the head from {@code card}.
   *
   * @throws IllegalArgumentException when the task is unknown or a binary card does not have two labels
   */
  public static ModelOutputs of(ModelCard card) {
    Task task = Task.ofCardName(card.task());
    Map<String, Double> points = card.operatingPoint() == null ? Map.of() : card.operatingPoint().thresholds();
    List<String> all = card.labels();
    int[] columns;
    switch (task) {
      case BINARY -> {
        if (all.size() != 2) {
          throw new IllegalArgumentException("A binary model has 2 output labels, got " + all + " in model card of '"
              + card.name() + "'");
        }
        int abnormal = all.indexOf("abnormal");
        columns = new int[] {abnormal >= 0 ? abnormal : 1};
      }
      case MULTILABEL, SEGMENTATION -> {
        columns = new int[task == Task.SEGMENTATION ? 1 : all.size()];
        for (int i = 0; i < columns.length; i++) {
          columns[i] = i;
        }
      }
      default -> throw new IllegalArgumentException("Cannot screen task " + task);
    }
    List<String> reported = new ArrayList<>();
    double[] thresholds = new double[columns.length];
    for (int i = 0; i < columns.length; i++) {
      String label = all.get(columns[i]);
      reported.add(label);
      Double t = points.get(label);
      thresholds[i] = t != null ? t : task == Task.SEGMENTATION ? 0.5 : Double.NaN;
    }
    return new ModelOutputs(task, reported, columns, thresholds);
  }

  /** The model's task. */
  public Task task() {
    return task;
  }

  /** The reported labels, in output order: the summary's probability/call column pairs. */
  public List<String> labels() {
    return labels;
  }

  /** The code of each reported label. */
  public List<CodedConcept> concepts() {
    return concepts;
  }

  /** The output column of each reported label. */
  int[] columns() {
    return columns.clone();
  }

  /** The findings of row {@code row} of a classifier's output {@code [N, labels]}. */
  List<Finding> findings(INDArray output, int row) {
    List<Finding> out = new ArrayList<>(columns.length);
    for (int i = 0; i < columns.length; i++) {
      double p = Math.min(1, Math.max(0, output.getDouble(row, columns[i])));
      out.add(Double.isNaN(thresholds[i]) ? new Finding(concepts.get(i), p)
          : Finding.called(concepts.get(i), p, thresholds[i]));
    }
    return out;
  }

  /** The result for row {@code row} of the network output. */
  ScreeningResult result(String sopInstanceUid, INDArray output, int row) {
    if (task != Task.SEGMENTATION) {
      return new ScreeningResult(sopInstanceUid, findings(output, row), null);
    }
    long[] shape = output.shape();
    if (shape.length != 4 || shape[1] != 1 || shape[2] != shape[3]) {
      throw new IllegalArgumentException("A vessel segmentation model outputs [N, 1, H, H], got "
          + java.util.Arrays.toString(shape));
    }
    float[] p = output.get(org.nd4j.linalg.indexing.NDArrayIndex.point(row)).dup('c').data().asFloat();
    return new ScreeningResult(sopInstanceUid, List.of(), VesselMap.of(p, (int) shape[2], thresholds[0]));
  }
}

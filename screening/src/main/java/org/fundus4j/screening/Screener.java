package org.fundus4j.samples.screening;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.dicom.node.ImageScreener;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.transfer.SavedModel;

/**
 * An {@link ImageScreener} backed by a saved binary normal/abnormal model, for {@code fundus serve}.
 *
 * <p>Each image goes through the same per-image step as {@link BatchScreening} (the model card's
 * evaluation pipeline and input size) and yields one {@link Findings#ABNORMAL_FUNDUS} finding. The
 * algorithm written into the SRs, and used by the node as its "one SR per image and model version"
 * key, is the model card's name and version.
 * <pre>{@code
 * ImageScreener screener = new ModelScreener(SavedModel.load(Path.of("models/fundus-ft")));
 * NodeConfig config = NodeConfig.of(AeTitle.of("FUNDUSNODE"), 11112, allowed, workDir, screener, destination);
 * }</pre>
 *
 * <p>Not thread-safe; the node calls it from its single worker thread.
 */
public final class ModelScreener implements ImageScreener {

  private final BatchScreening model;

  /**
   * A screener for {@code model}.
   *
   * @throws IllegalArgumentException when the model is not a binary model with an "abnormal" label
   * @throws IOException when the model cannot be exported for ONNX Runtime
   */
  public ModelScreener(SavedModel model) throws IOException {
    this(model, InferenceEngine.ONNX);
  }

  /** A screener for {@code model} running on {@code engine} (one image at a time, 2 threads). */
  public ModelScreener(SavedModel model, InferenceEngine engine) throws IOException {
    // the node writes the SRs itself; BatchScreening's UID generator is never used here
    this.model = new BatchScreening(model, UidGenerator.uuidDerived(), engine, 2, 1);
  }

  @Override
  public AlgorithmId algorithm() {
    return model.algorithm();
  }

  @Override
  public List<Finding> screen(Path dicomFile) throws Exception {
    return List.of(new Finding(Findings.ABNORMAL_FUNDUS, model.abnormalProbability(dicomFile)));
  }
}

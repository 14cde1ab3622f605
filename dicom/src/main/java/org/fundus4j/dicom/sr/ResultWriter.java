package org.fundus4j.dicom.sr;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes one screened image's result in a second format beside its SR, e.g. a FHIR Bundle (module
 * {@code fhir}'s {@code FhirBundleWriter}); the one per-image call of batch screening ({@code fundus screen
 * --fhir DIR}) and of the node ({@code org.fundus4j.dicom.node.ResultPublisher}).
 *
 * <pre>{@code
 * ResultWriter fhir = new FhirBundleWriter();
 * fhir.write(image, findings, sr.sopInstanceUid(), algorithm, Map.of(), dir.resolve(name + fhir.fileSuffix()));
 * }</pre>
 */
public interface ResultWriter {

  /** File name suffix of what {@link #write} writes, e.g. {@code ".json"}. */
  String fileSuffix();

  /**
   * Writes the result of one screened image to {@code out}, atomically.
   *
   * @param image the screened DICOM image
   * @param findings the model's findings, as written into the SR
   * @param srSopInstanceUid the SOP Instance UID of the image's SR
   * @param algorithm the model's name and version
   * @param calls the model's call per finding concept (true = present); concepts without a call are absent
   * @param out file to write; its parent exists
   */
  void write(Path image, List<Finding> findings, String srSopInstanceUid, AlgorithmId algorithm,
      Map<CodedConcept, Boolean> calls, Path out) throws IOException;
}

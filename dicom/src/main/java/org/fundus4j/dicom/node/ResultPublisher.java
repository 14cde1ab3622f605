package org.fundus4j.dicom.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;

/**
 * A second destination for each screened image's result besides the SR, e.g. a FHIR server
 * (module {@code fhir}'s {@code FhirPublisher}).
 *
 * <p>The node keeps this destination to the same promise as its SRs ({@link SrLedger}, channel
 * {@link SrLedger.Channel#RESULT}): the file is written once, journalled, then sent and retried until
 * accepted; after a restart the same file is sent again, never a second, different one.
 * <pre>{@code
 * NodeConfig config = NodeConfig.of(...).withPublisher(new FhirPublisher(URI.create("https://ehr/fhir"), token));
 * }</pre>
 */
public interface ResultPublisher {

  /** What and where, for logs and the status page, e.g. {@code "FHIR to https://ehr/fhir"}; no credentials. */
  String describe();

  /** File name suffix of what {@link #write} writes, e.g. {@code ".json"}. */
  String fileSuffix();

  /**
   * Writes the result of one screened image to {@code out}, atomically.
   *
   * @param image the screened DICOM image
   * @param findings the model's findings, as written into the SR
   * @param srSopInstanceUid the SOP Instance UID of the image's SR
   * @param algorithm the model's name and version
   * @param calls the model's call per finding concept ({@link ImageScreener#call}); concepts without one absent
   * @param out file to write; its parent exists
   */
  void write(Path image, List<Finding> findings, String srSopInstanceUid, AlgorithmId algorithm,
      Map<CodedConcept, Boolean> calls, Path out) throws IOException;

  /**
   * Sends a file {@link #write} wrote. Sending the same file twice must not create a second result at the
   * destination (e.g. FHIR conditional creates).
   *
   * @throws IOException when the destination is unreachable or refused it; the node retries later
   */
  void send(Path file) throws IOException;
}

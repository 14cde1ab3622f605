package org.fundus4j.dicom.node;

import java.io.IOException;
import java.nio.file.Path;
import org.fundus4j.dicom.sr.ResultWriter;

/**
 * A second destination for each screened image's result besides the SR, e.g. a FHIR server
 * (module {@code fhir}'s {@code FhirPublisher}): a {@link ResultWriter} that can also send what it wrote.
 *
 * <p>The node keeps this destination to the same promise as its SRs ({@link SrLedger}, channel
 * {@link SrLedger.Channel#RESULT}): the file is written once, journalled, then sent and retried until
 * accepted; after a restart the same file is sent again, never a second, different one.
 * <pre>{@code
 * NodeConfig config = NodeConfig.of(...).withPublisher(new FhirPublisher(URI.create("https://ehr/fhir"), token));
 * }</pre>
 */
public interface ResultPublisher extends ResultWriter {

  /** What and where, for logs and the status page, e.g. {@code "FHIR to https://ehr/fhir"}; no credentials. */
  String describe();

  /**
   * Sends a file {@link #write} wrote. Sending the same file twice must not create a second result at the
   * destination (e.g. FHIR conditional creates).
   *
   * @throws IOException when the destination is unreachable or refused it; the node retries later
   */
  void send(Path file) throws IOException;
}

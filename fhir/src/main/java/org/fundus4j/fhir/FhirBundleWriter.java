package org.fundus4j.fhir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.ResultWriter;

/**
 * Writes each screened image's FHIR R4 transaction Bundle ({@link ScreeningBundle}) as a JSON file: the
 * per-image hook of {@code fundus screen --fhir DIR}, and the writing half of {@link FhirPublisher}.
 *
 * <pre>{@code
 * screening.writeResults(new FhirBundleWriter(), Path.of("out/fhir"));
 * }</pre>
 */
public final class FhirBundleWriter implements ResultWriter {

  @Override
  public String fileSuffix() {
    return ".json";
  }

  @Override
  public void write(Path image, List<Finding> findings, String srSopInstanceUid, AlgorithmId algorithm,
      Map<CodedConcept, Boolean> calls, Path out) throws IOException {
    ScreeningResult result = ScreeningResult.read(image, findings, srSopInstanceUid, algorithm, calls,
        Instant.now());
    ScreeningBundle.write(ScreeningBundle.build(result), out);
  }
}

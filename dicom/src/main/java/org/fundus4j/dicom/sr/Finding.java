package org.fundus4j.dicom.sr;

import java.util.Objects;

/**
 * One screening result: a finding and the model's probability that it is present.
 *
 * <pre>{@code
 * Finding f = new Finding(Findings.ABNORMAL_FUNDUS, 0.87);
 * }</pre>
 *
 * @param concept the finding, e.g. {@link Findings#ABNORMAL_FUNDUS}
 * @param probability probability in [0, 1]
 */
public record Finding(CodedConcept concept, double probability) {

  /** Checks that the concept is present and the probability lies in [0, 1]. */
  public Finding {
    Objects.requireNonNull(concept, "concept");
    if (!(probability >= 0.0 && probability <= 1.0)) {
      throw new IllegalArgumentException("Probability must be in [0, 1], got " + probability + " for "
          + concept.meaning());
    }
  }
}

package org.fundus4j.dicom.sr;

import java.util.Objects;

/**
 * One screening result: a finding, the model's probability that it is present and, when the model has an
 * operating point, the call made from it.
 *
 * <pre>{@code
 * Finding f = new Finding(Findings.ABNORMAL_FUNDUS, 0.87);                 // probability only
 * Finding g = Finding.called(Findings.GLAUCOMA, 0.87, 0.42);               // present: 0.87 >= 0.42
 * }</pre>
 *
 * @param concept the finding, e.g. {@link Findings#ABNORMAL_FUNDUS}
 * @param probability probability in [0, 1]
 * @param call present or absent at the model's operating point; null when the model has none
 */
public record Finding(CodedConcept concept, double probability, Call call) {

  /** The qualitative result at an operating point (written as CID 241 Present/Absent in the SR). */
  public enum Call { PRESENT, ABSENT }

  /** Checks that the concept is present and the probability lies in [0, 1]. */
  public Finding {
    Objects.requireNonNull(concept, "concept");
    if (!(probability >= 0.0 && probability <= 1.0)) {
      throw new IllegalArgumentException("Probability must be in [0, 1], got " + probability + " for "
          + concept.meaning());
    }
  }

  /** A finding with a probability and no call. */
  public Finding(CodedConcept concept, double probability) {
    this(concept, probability, null);
  }

  /** A finding called present when {@code probability >= threshold}, absent otherwise. */
  public static Finding called(CodedConcept concept, double probability, double threshold) {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("Threshold must be in [0, 1], got " + threshold + " for "
          + concept.meaning());
    }
    return new Finding(concept, probability, probability >= threshold ? Call.PRESENT : Call.ABSENT);
  }
}

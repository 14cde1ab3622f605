package org.fundus4j.screening;

import java.util.List;
import org.fundus4j.dicom.sr.Finding;

/**
 * What a model says about one image: for a classifier one {@link Finding} per reported label (probability and,
 * with an operating point, present/absent); for a segmentation model the vessel map.
 *
 * <p>A plain value for whoever turns results into reports (DICOM SR here; FHIR, monitoring elsewhere).
 *
 * <pre>{@code
 * ScreeningResult r = screener.screenImage(Path.of("eye.dcm"));
 * for (Finding f : r.findings()) System.out.println(f.concept().meaning() + " " + f.probability() + " " + f.call());
 * }</pre>
 *
 * @param sopInstanceUid the image's SOP Instance UID
 * @param findings one finding per reported label in the model card's order; empty for segmentation
 * @param vessels the vessel map of a segmentation model; null for classifiers
 */
public record ScreeningResult(String sopInstanceUid, List<Finding> findings, VesselMap vessels) {
  public ScreeningResult {
    findings = List.copyOf(findings);
    if (findings.isEmpty() && vessels == null) {
      throw new IllegalArgumentException("A screening result needs findings or a vessel map: " + sopInstanceUid);
    }
  }
}

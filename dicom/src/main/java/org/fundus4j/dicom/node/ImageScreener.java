package org.fundus4j.dicom.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fundus4j.dicom.DerivedImage;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.UidGenerator;

/**
 * The model behind {@code fundus serve}: turns one received DICOM image into findings.
 *
 * <p>The cli module plugs a trained network in; {@code dicom} itself never sees a tensor. The
 * {@link #algorithm()} version is part of the node's "one SR per image and model version" key:
 * a new version screens every image again, the same version never does.
 */
public interface ImageScreener {

  /** Name and version written into the SR (TID 4019) and used as the de-duplication key. */
  AlgorithmId algorithm();

  /**
   * Screens one image.
   *
   * @param dicomFile a Part 10 file as received
   * @return one or more findings with probabilities
   * @throws Exception when the image cannot be screened; the node records the instance FAILED with the message
   */
  List<Finding> screen(Path dicomFile) throws Exception;

  /**
   * One image screened: its findings and the DICOM images derived from it that its SR references and the node
   * sends with the SR (e.g. Grad-CAM overlays, one per finding), or none.
   */
  record Screening(List<Finding> findings, List<DerivedImage> derived) {
    /** Copies both lists; at least one finding. */
    public Screening {
      findings = List.copyOf(findings);
      derived = List.copyOf(derived);
      if (findings.isEmpty()) {
        throw new IllegalArgumentException("a screening needs at least one finding");
      }
    }
  }

  /**
   * Screens one image and writes the images derived from it into {@code derivedDir} (which the node empties
   * first), taking their UIDs from {@code uids}. The default derives nothing and returns {@link #screen(Path)}'s
   * findings; a screener with Grad-CAM writes one overlay per finding there.
   *
   * @throws Exception when the image cannot be screened or a derived image cannot be written
   */
  default Screening screen(Path dicomFile, Path derivedDir, UidGenerator uids) throws Exception {
    return new Screening(screen(dicomFile), List.of());
  }

  /**
   * The model's call on {@code finding} at its operating point: present (true), absent (false), or empty
   * when the model has no operating point. Shown on the node's status page and written as the FHIR
   * Observation's interpretation.
   */
  default Optional<Boolean> call(Finding finding) {
    return Optional.empty();
  }
}

package org.fundus4j.dicom.node;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;

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
   * The model's call on {@code finding} at its operating point: present (true), absent (false), or empty
   * when the model has no operating point. Shown on the node's status page and written as the FHIR
   * Observation's interpretation.
   */
  default Optional<Boolean> call(Finding finding) {
    return Optional.empty();
  }
}

package org.fundus4j.dicom.sr;

import java.util.Objects;

/**
 * Name and version of the algorithm that produced a report (DICOM TID 4019 Algorithm Identification).
 *
 * <pre>{@code
 * AlgorithmId id = new AlgorithmId("fundus4j ResNet-50 abnormal fundus", "0.1.0");
 * }</pre>
 *
 * @param name Algorithm Name (111001, DCM), 1-64 characters
 * @param version Algorithm Version (111003, DCM), 1-64 characters
 */
public record AlgorithmId(String name, String version) {

  /** Checks that name and version are present and at most 64 characters (they are also written as LO). */
  public AlgorithmId {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    if (name.isBlank() || name.length() > 64 || name.contains("\\")) {
      throw new IllegalArgumentException("Algorithm name must be 1-64 characters without '\\', got '" + name + "'");
    }
    if (version.isBlank() || version.length() > 64 || version.contains("\\")) {
      throw new IllegalArgumentException("Algorithm version must be 1-64 characters without '\\', got '"
          + version + "'");
    }
  }
}

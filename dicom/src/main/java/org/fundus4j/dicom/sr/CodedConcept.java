package org.fundus4j.dicom.sr;

import java.util.Objects;

/**
 * A coded concept as DICOM writes it: Code Value, Coding Scheme Designator, Code Meaning.
 *
 * <pre>{@code
 * CodedConcept glaucoma = new CodedConcept("23986001", "SCT", "Glaucoma");
 * }</pre>
 *
 * @param value Code Value (0008,0100), 1-16 characters (SH)
 * @param scheme Coding Scheme Designator (0008,0102), 1-16 characters (SH), e.g. {@code SCT},
 *     {@code DCM}, {@code LN}, or a private scheme starting with {@code 99}
 * @param meaning Code Meaning (0008,0104), 1-64 characters (LO)
 */
public record CodedConcept(String value, String scheme, String meaning) {

  /** Checks that the three parts are present and fit their value representations. */
  public CodedConcept {
    check("Code Value (0008,0100)", value, 16);
    check("Coding Scheme Designator (0008,0102)", scheme, 16);
    check("Code Meaning (0008,0104)", meaning, 64);
  }

  /** Returns whether the coding scheme is private (designator starting with {@code 99}, PS3.16 8.2). */
  public boolean isPrivateScheme() {
    return scheme.startsWith("99");
  }

  private static void check(String field, String v, int max) {
    Objects.requireNonNull(v, field);
    if (v.isBlank() || v.length() > max || v.contains("\\")) {
      throw new IllegalArgumentException(field + " must be 1-" + max + " characters without '\\', got '"
          + v + "'");
    }
  }

  @Override
  public String toString() {
    return "(" + value + ", " + scheme + ", \"" + meaning + "\")";
  }
}

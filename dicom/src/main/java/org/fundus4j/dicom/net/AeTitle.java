package org.fundus4j.dicom.net;

/**
 * A DICOM Application Entity title: 1-16 printable ASCII characters, no backslash.
 *
 * <p>PS3.5 section 6.2 (VR "AE"): leading and trailing spaces are not significant, so this record
 * refuses them instead of silently trimming a title that a PACS administrator typed by hand.
 * <pre>{@code
 * AeTitle ours = new AeTitle("FUNDUS4J");
 * }</pre>
 *
 * @param value the title exactly as sent on the wire
 */
public record AeTitle(String value) {

  /** Checks the PS3.5 AE rules; throws {@link IllegalArgumentException} naming the offending title. */
  public AeTitle {
    if (value == null) {
      throw new IllegalArgumentException("AE title must not be null");
    }
    if (value.isBlank() || value.length() > 16) {
      throw new IllegalArgumentException("AE title must be 1-16 characters, not blank: '" + value + "'");
    }
    if (!value.equals(value.strip())) {
      throw new IllegalArgumentException(
          "AE title must not start or end with spaces (they are not significant in DICOM): '" + value + "'");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '\\') {
        throw new IllegalArgumentException(
            "AE title must be printable ASCII without backslash; character " + (i + 1) + " is not: '" + value + "'");
      }
    }
  }

  /** Same as {@code new AeTitle(value)}, reads well in call chains. */
  public static AeTitle of(String value) {
    return new AeTitle(value);
  }

  @Override
  public String toString() {
    return value;
  }
}

package org.fundus4j.dicom;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Thrown when a file cannot be read as a DICOM image; the message names the file and the reason.
 *
 * <p>Typical reasons: the file is empty, truncated or not DICOM Part 10, a required attribute
 * such as SOP Instance UID (0008,0018) is missing, the instance has no Pixel Data (7FE0,0010)
 * (for example a structured report), or its transfer syntax or photometric interpretation
 * cannot be decoded.
 */
public class DicomReadException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Path file;

  /**
   * Creates an exception for {@code file} with a reason such as
   * {@code "no Pixel Data (7FE0,0010): not an image"}.
   *
   * @param file the file that could not be read
   * @param reason what is wrong, naming the tag or field
   */
  public DicomReadException(Path file, String reason) {
    super(file + ": " + reason);
    this.file = file;
  }

  /**
   * Creates an exception for {@code file} with a reason and the underlying cause.
   *
   * @param file the file that could not be read
   * @param reason what is wrong, naming the tag or field
   * @param cause the library or I/O error behind it
   */
  public DicomReadException(Path file, String reason, Throwable cause) {
    super(file + ": " + reason, cause);
    this.file = file;
  }

  /** Returns the file that could not be read. */
  public Path file() {
    return file;
  }

  /** Returns the reason without the file name prefix. */
  public String reason() {
    String prefix = file + ": ";
    String message = getMessage();
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }
}

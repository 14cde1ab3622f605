package org.fundus4j.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Checks whether a file is a decodable DICOM image, without ever throwing for a bad file.
 *
 * <pre>{@code
 * CheckResult r = DicomCheck.check(Path.of("eye.dcm"));
 * System.out.println(r.ok() ? r.info().transferSyntaxUid() : r.reason());
 * }</pre>
 */
public final class DicomCheck {
  private DicomCheck() {}

  /**
   * Reads the header and decodes the pixels of {@code file}.
   *
   * @param file any path
   * @return ok with the header, or not ok with the reason and, when the header could be read
   *     (for example for a structured report), the header
   */
  public static CheckResult check(Path file) {
    Objects.requireNonNull(file, "file");
    long size;
    try {
      size = Files.isRegularFile(file) ? Files.size(file) : 0;
    } catch (IOException e) {
      size = 0;
    }
    try {
      FundusImage image = DicomImages.read(file);
      return new CheckResult(file, size, true, image.info(), null);
    } catch (DicomReadException e) {
      InstanceInfo info = null;
      try {
        info = DicomImages.readInfo(file);
      } catch (DicomReadException | RuntimeException headerAlsoBad) {
        // keep info null: the header itself is unreadable
      }
      return new CheckResult(file, size, false, info, e.reason());
    } catch (RuntimeException | OutOfMemoryError e) {
      return new CheckResult(file, size, false, null, "cannot be decoded: " + DicomFiles.describe(e));
    }
  }
}

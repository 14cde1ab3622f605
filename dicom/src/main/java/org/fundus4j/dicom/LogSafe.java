package org.fundus4j.dicom;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Values that may appear in log lines in place of identifiers.
 *
 * <p>Log lines must never carry patient names, patient IDs, birth dates or accession numbers;
 * UIDs are shown only as a short hash so that two lines about one instance can be matched:
 * <pre>{@code
 * log.info("decoded {}", LogSafe.shortHash(info.sopInstanceUid()));   // "decoded uid#3f2a9c1b"
 * }</pre>
 */
public final class LogSafe {
  private LogSafe() {}

  /**
   * Returns {@code "uid#"} and the first 8 hex digits of the SHA-256 of {@code value}.
   *
   * @param value a UID or other identifier; {@code null} gives {@code "uid#null"}
   * @return a short, non-reversible tag for log lines
   */
  public static String shortHash(String value) {
    if (value == null) {
      return "uid#null";
    }
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest(value.getBytes(StandardCharsets.UTF_8));
      return "uid#" + HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  private static final java.util.regex.Pattern UID_LIKE =
      java.util.regex.Pattern.compile("(?<![0-9.])[0-9]+(?:\\.[0-9]+){3,}(?![0-9])");

  /**
   * Returns {@code text} (typically an exception message that names a store file such as
   * {@code instances/1.2.3/1.2.3.4/1.2.3.4.5.dcm}) with every UID-like token (four or more dot-separated
   * numbers) replaced by its {@link #shortHash}.
   *
   * @param text a message; {@code null} gives {@code "null"}
   * @return e.g. {@code "cannot read instances/uid#1a2b3c4d/uid#5e6f7a8b/uid#9c0d1e2f.dcm"}
   */
  public static String withoutUids(String text) {
    if (text == null) {
      return "null";
    }
    java.util.regex.Matcher m = UID_LIKE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, shortHash(m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }
}

package org.fundus4j.dicom;

import java.util.Optional;

/**
 * The DICOM UID rules of PS3.5 section 9.1, checked before a UID from the wire or a file names a file or
 * enters a journal: one or more components of digits separated by dots, at most 64 characters.
 *
 * <p>Leading zeros in a component, which PS3.5 also forbids, are accepted: cameras in the field write
 * them, and they cannot split a journal line or escape a folder. The reason never quotes the UID itself
 * (it may hold control characters); it names the problem and {@link LogSafe#shortHash(String) a short
 * hash}.
 * <pre>{@code
 * Uids.problem("1.2.3\n4");                       // Optional["contains the control character 0x0a at position 6 ..."]
 * Uids.require("1.2.840.10008.1.2", "Transfer Syntax UID");   // returns the UID
 * }</pre>
 */
public final class Uids {
  /** Longest UID PS3.5 allows. */
  public static final int MAX_LENGTH = 64;

  private Uids() {}

  /** True when {@code uid} follows the rules above. */
  public static boolean isValid(String uid) {
    return problem(uid).isEmpty();
  }

  /**
   * Why {@code uid} is not a valid UID, or empty when it is.
   *
   * @param uid a UID as received; {@code null} is "missing"
   * @return e.g. {@code "contains the control character 0x0a at position 6"}
   */
  public static Optional<String> problem(String uid) {
    if (uid == null || uid.isEmpty()) {
      return Optional.of("is missing");
    }
    for (int i = 0; i < uid.length(); i++) {
      char c = uid.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return Optional.of(String.format(java.util.Locale.ROOT, "contains the control character 0x%02x at position %d",
            (int) c, i + 1));
      }
      if (c != '.' && (c < '0' || c > '9')) {
        return Optional.of(String.format(java.util.Locale.ROOT, "contains '%s' at position %d (only digits and dots)",
            c < 0x80 ? String.valueOf(c) : String.format("\\u%04x", (int) c), i + 1));
      }
    }
    if (uid.length() > MAX_LENGTH) {
      return Optional.of("is " + uid.length() + " characters long (at most " + MAX_LENGTH + ")");
    }
    if (uid.startsWith(".") || uid.endsWith(".") || uid.contains("..")) {
      return Optional.of("has an empty component");
    }
    return Optional.empty();
  }

  /**
   * Returns {@code uid} if valid, else throws naming the attribute and the problem.
   *
   * @param uid the value
   * @param what the attribute, e.g. {@code "SOP Instance UID"}
   * @throws IllegalArgumentException e.g. "SOP Instance UID uid#1a2b3c4d is not a valid DICOM UID: contains ..."
   */
  public static String require(String uid, String what) {
    Optional<String> problem = problem(uid);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(reason(uid, what, problem.get()));
    }
    return uid;
  }

  /** Like {@link #require} but an empty string (an unknown, optional UID) passes. */
  public static String requireOptional(String uid, String what) {
    return uid == null || uid.isEmpty() ? "" : require(uid, what);
  }

  private static String reason(String uid, String what, String problem) {
    return what + " " + LogSafe.shortHash(uid) + " is not a valid DICOM UID (PS3.5 9.1: digits and dots, at most "
        + MAX_LENGTH + " characters): it " + problem;
  }
}

package org.fundus4j.dicom.net;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A short, stable hash of a UID for logs: lets operators correlate lines without writing the UID
 * (which may be traced back to a patient) into log files.
 */
public final class UidHash {

  private UidHash() {
  }

  /** First 8 hex digits of SHA-256 of the UID, e.g. {@code "uid#3f2a9c01"}. */
  public static String of(String uid) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(String.valueOf(uid).getBytes(StandardCharsets.US_ASCII));
      return "uid#" + HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }
}

package org.fundus4j.dicom.sr;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Makes new DICOM UIDs, either UUID-derived under {@code 2.25} (the default) or under an
 * organisation's own root.
 *
 * <p>{@code 2.25.<integer>} is the UUID-derived form of ISO/IEC 9834-8 that DICOM PS3.5 B.2
 * allows without a registered root. With {@link #withRoot(String)}, each UID is the root, a dot,
 * and the decimal value of 128 random bits cut to the space left in 64 characters (at least 20
 * digits, so roots may be at most 43 characters). PixelMed's own root is never used.
 *
 * <pre>{@code
 * UidGenerator uids = UidGenerator.uuidDerived();
 * String series = uids.next();   // e.g. "2.25.2417962...."
 * UidGenerator hospital = UidGenerator.withRoot("1.2.826.0.1.3680043.10.999");
 * }</pre>
 */
public final class UidGenerator {
  private static final Pattern UID = Pattern.compile("(0|[1-9][0-9]*)(\\.(0|[1-9][0-9]*))*");
  private static final int MIN_RANDOM_DIGITS = 20;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String root;

  private UidGenerator(String root) {
    this.root = root;
  }

  /** Returns a generator of {@code 2.25.<UUID as integer>} UIDs from random (version 4) UUIDs. */
  public static UidGenerator uuidDerived() {
    return new UidGenerator(null);
  }

  /**
   * Returns a generator of UIDs under {@code orgRoot}.
   *
   * @param orgRoot the organisation's UID root, e.g. {@code "1.2.826.0.1.3680043.10.999"}
   * @throws IllegalArgumentException if the root is not a valid UID or longer than 43 characters
   */
  public static UidGenerator withRoot(String orgRoot) {
    Objects.requireNonNull(orgRoot, "orgRoot");
    if (!isValid(orgRoot)) {
      throw new IllegalArgumentException("UID root must be digits and dots without leading zeros: '"
          + orgRoot + "'");
    }
    if (orgRoot.length() > 64 - 1 - MIN_RANDOM_DIGITS) {
      throw new IllegalArgumentException("UID root is " + orgRoot.length() + " characters; at most "
          + (64 - 1 - MIN_RANDOM_DIGITS) + " leave room for " + MIN_RANDOM_DIGITS + " unique digits: '"
          + orgRoot + "'");
    }
    return new UidGenerator(orgRoot);
  }

  /** Returns a new UID, different from every other one with overwhelming probability. */
  public String next() {
    if (root == null) {
      return fromUuid(UUID.randomUUID());
    }
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    String digits = new BigInteger(1, bytes).toString();
    int room = 64 - root.length() - 1;
    if (digits.length() > room) {
      digits = digits.substring(0, room);
    }
    if (digits.startsWith("0")) { // only possible for the single value 0
      digits = "1" + digits.substring(1);
    }
    return root + "." + digits;
  }

  /** Returns the root of this generator, {@code "2.25"} for UUID-derived UIDs. */
  public String root() {
    return root == null ? "2.25" : root;
  }

  /**
   * Returns the UUID-derived UID {@code 2.25.<uuid as unsigned 128-bit integer>} of {@code uuid}.
   *
   * @param uuid any UUID
   * @return a UID of at most 44 characters
   */
  public static String fromUuid(UUID uuid) {
    ByteBuffer buffer = ByteBuffer.allocate(16);
    buffer.putLong(uuid.getMostSignificantBits());
    buffer.putLong(uuid.getLeastSignificantBits());
    return "2.25." + new BigInteger(1, buffer.array());
  }

  /**
   * Returns whether {@code uid} is a syntactically valid DICOM UID (PS3.5 9.1): 1-64 characters,
   * digits and dots, components without leading zeros.
   *
   * @param uid any string, may be {@code null}
   * @return true for a valid UID
   */
  public static boolean isValid(String uid) {
    return uid != null && !uid.isEmpty() && uid.length() <= 64 && UID.matcher(uid).matches();
  }
}

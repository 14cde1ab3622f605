package org.fundus4j.dicom.net;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * How a {@link DicomWebClient} authenticates: nothing, HTTP basic or an OAuth bearer token.
 *
 * <pre>{@code
 * DicomWebAuth.basic("user", "secret");
 * DicomWebAuth.bearer(System.getenv("PACS_TOKEN"));
 * }</pre>
 * {@code toString()} never prints the secret.
 */
public sealed interface DicomWebAuth {

  /** The value of the {@code Authorization} header, if any. */
  Optional<String> authorizationHeader();

  /** No authentication. */
  static DicomWebAuth none() {
    return new None();
  }

  /** HTTP basic authentication (RFC 7617); use HTTPS outside a loopback test. */
  static DicomWebAuth basic(String user, String password) {
    return new Basic(user, password);
  }

  /** A bearer token (RFC 6750). */
  static DicomWebAuth bearer(String token) {
    return new Bearer(token);
  }

  /** No authentication. */
  record None() implements DicomWebAuth {
    @Override
    public Optional<String> authorizationHeader() {
      return Optional.empty();
    }
  }

  /**
   * HTTP basic.
   *
   * @param user user name, no colon
   * @param password password
   */
  record Basic(String user, String password) implements DicomWebAuth {
    /** Checks that user and password are given and the user has no colon. */
    public Basic {
      if (user == null || user.isEmpty() || user.contains(":")) {
        throw new IllegalArgumentException("Basic auth user must be non-empty without ':'");
      }
      if (password == null) {
        throw new IllegalArgumentException("Basic auth password must not be null for user " + user);
      }
    }

    @Override
    public Optional<String> authorizationHeader() {
      return Optional.of("Basic " + Base64.getEncoder().encodeToString(
          (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public String toString() {
      return "Basic[user=" + user + ", password=***]";
    }
  }

  /**
   * Bearer token.
   *
   * @param token the token
   */
  record Bearer(String token) implements DicomWebAuth {
    /** Checks that the token is not blank. */
    public Bearer {
      if (token == null || token.isBlank()) {
        throw new IllegalArgumentException("Bearer token must not be blank");
      }
    }

    @Override
    public Optional<String> authorizationHeader() {
      return Optional.of("Bearer " + token);
    }

    @Override
    public String toString() {
      return "Bearer[***]";
    }
  }
}

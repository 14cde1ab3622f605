package org.fundus4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The SHA-256 of a file, streamed (a model's weights need not fit in memory twice), as lower-case hex.
 *
 * <pre>{@code
 * String hex = FileHashes.sha256(Path.of("model-int8.onnx"));   // what `sha256sum` prints
 * }</pre>
 */
public final class FileHashes {
  private FileHashes() {}

  /**
   * SHA-256 of the bytes of {@code file}, 64 lower-case hex digits.
   *
   * @throws IOException naming the file and the cause if it cannot be read
   */
  public static String sha256(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": "
          + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()), e);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}

package org.fundus4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SHA-256 against {@code sha256sum} (GNU coreutils): {@code printf 'abc' | sha256sum} and the empty input. */
class FileHashesTests {
  @TempDir
  Path dir;

  @Test
  void theDigestIsSha256sumsOutput() throws IOException {
    Path abc = Files.writeString(dir.resolve("abc.txt"), "abc");
    assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", FileHashes.sha256(abc));
    Path empty = Files.write(dir.resolve("empty"), new byte[0]);
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FileHashes.sha256(empty));
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("missing.onnx");
    IOException e = assertThrows(IOException.class, () -> FileHashes.sha256(missing));
    assertEquals("cannot read " + missing + ": no such file", e.getMessage());
  }
}

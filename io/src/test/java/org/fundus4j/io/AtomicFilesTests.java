package org.fundus4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTests {

  @TempDir
  Path dir;

  @Test
  void writeReplacesTheTargetAndLeavesNoTemporaryFile() throws IOException {
    Path target = dir.resolve("summary.csv");
    AtomicFiles.writeString(target, "old\n");
    AtomicFiles.write(target, out -> {
      out.write("new\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.close(); // a writer closing the stream must not break the fsync
    });
    assertEquals("new\n", Files.readString(target));
    try (var files = Files.list(dir)) {
      assertEquals(List.of(target), files.toList());
    }
  }

  @Test
  void aFailedWriteKeepsTheOldTargetAndNamesIt() throws IOException {
    Path target = dir.resolve("sub").resolve("model-card.json");
    AtomicFiles.writeString(target, "{\"ok\": true}");
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
      out.write("{\"half".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      throw new IOException("No space left on device");
    }));
    assertEquals("Cannot write " + target + ": No space left on device", e.getMessage());
    assertEquals("{\"ok\": true}", Files.readString(target));
    try (var files = Files.list(target.getParent())) {
      assertEquals(List.of(target), files.toList(), "the temporary file is removed");
    }
  }

  @Test
  void aTargetInAFolderThatIsAFileNamesTheTarget() throws IOException {
    Path file = Files.writeString(dir.resolve("out"), "x");
    IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(file.resolve("summary.csv"), "a"));
    assertEquals("Cannot write " + file.resolve("summary.csv") + ": " + file.toAbsolutePath()
        + " exists and is not a folder", e.getMessage());
  }
}

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

  @Test
  void moveAllMovesEveryFileAndNamesTheTargetWhoseSourceIsMissing() throws IOException {
    Path a = Files.writeString(dir.resolve("rx-a"), "a");
    Path b = Files.writeString(dir.resolve("rx-b"), "b");
    Path ta = dir.resolve("store/s1/a.dcm");
    Path tb = dir.resolve("store/s2/b.dcm");
    Files.createDirectories(tb.getParent());
    Files.writeString(tb, "old b");
    java.util.Map<Path, Path> moves = new java.util.LinkedHashMap<>();
    moves.put(a, ta);
    moves.put(b, tb);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      AtomicFiles.moveAll(moves, pool);
      assertEquals("a", Files.readString(ta));
      assertEquals("b", Files.readString(tb), "an existing target is replaced");
      assertEquals(false, Files.exists(a) || Files.exists(b));
      Path missing = dir.resolve("rx-gone");
      Path target = dir.resolve("store/s1/gone.dcm");
      IOException e = assertThrows(IOException.class, () -> AtomicFiles.moveAll(java.util.Map.of(missing, target),
          pool));
      assertEquals("Cannot write " + target + ": " + missing + " does not exist", e.getMessage());
      assertEquals(false, Files.exists(target));
    } finally {
      pool.shutdownNow();
    }
  }
}

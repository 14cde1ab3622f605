package org.fundus4j.dicom.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Crash-safe file operations: fsync of files and directories, atomic replace. */
public final class Durable {

  private Durable() {
  }

  /** Forces a file's content to the disk. */
  public static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Forces directory entries (creations, renames) to the disk; a no-op where directories cannot be opened. */
  public static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Windows cannot open a directory; renames are atomic there anyway.
    }
  }

  /** Fsyncs {@code source}, renames it atomically onto {@code target} (replacing it) and fsyncs the directory. */
  public static void move(Path source, Path target) throws IOException {
    fsync(source);
    Files.createDirectories(target.getParent());
    Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    fsyncDirectory(target.getParent());
  }
}

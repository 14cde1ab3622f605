package org.fundus4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Outputs that are either complete or absent: every file fundus4j writes for someone else to read (summaries,
 * manifests, reports, model files, SRs) goes through here.
 *
 * <p>{@link #write} writes into a hidden temporary file in the target's own folder, forces it to the disk,
 * renames it onto the target in one step and forces the folder entry; a crash or a full disk leaves the
 * previous target (or none) and at most a {@code .<name>.*.tmp} file, never a truncated target. Every
 * {@link IOException} names the file and the cause, e.g. {@code "Cannot write /out/summary.csv: No space left
 * on device"}.
 * <pre>{@code
 * AtomicFiles.writeString(out.resolve("summary.csv"), csv);
 * AtomicFiles.write(out.resolve("model.onnx"), stream -> model.writeTo(stream));
 * AtomicFiles.move(incoming, store.resolve("1.2.3.dcm"));   // a finished file into place, durably
 * }</pre>
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /** What writes a file's content. */
  @FunctionalInterface
  public interface Content {
    /** Writes everything to {@code out} (buffer it yourself if you write small pieces; do not close it). */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Replaces {@code target} with what {@code content} writes, atomically and durably.
   *
   * @throws IOException naming {@code target} and the cause; {@code target} is then unchanged
   */
  public static void write(Path target, Content content) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
           OutputStream out = Channels.newOutputStream(ch)) {
        OutputStream buffered = new java.io.BufferedOutputStream(out, 1 << 16) {
          @Override
          public void close() throws IOException {
            flush(); // a caller's try-with-resources must not close the channel before the fsync
          }
        };
        content.writeTo(buffered);
        buffered.flush();
        ch.force(true);
      }
      rename(tmp, absolute);
      tmp = null;
    } catch (IOException e) {
      throw named(target, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the original failure is what matters; a stray .tmp file is harmless
        }
      }
    }
  }

  /** {@link #write} of a UTF-8 string. */
  public static void writeString(Path target, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    write(target, out -> out.write(bytes));
  }

  /** {@link #write} of bytes. */
  public static void writeBytes(Path target, byte[] bytes) throws IOException {
    write(target, out -> out.write(bytes));
  }

  /**
   * Moves a finished file onto {@code target} durably: forces {@code source}, renames it atomically
   * (replacing {@code target}) and forces the folder entry. Both must be on one file system.
   */
  public static void move(Path source, Path target) throws IOException {
    try {
      fsync(source);
      Path dir = target.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      rename(source, target.toAbsolutePath());
    } catch (IOException e) {
      throw named(target, e);
    }
  }

  /**
   * {@link #move} for several finished files at once, with fewer disk flushes: forces every source
   * concurrently on {@code fsyncs} (a journaling file system such as ext4 then commits concurrent forces
   * together instead of one journal commit each), renames each onto its
   * target, then forces each target folder once. When it returns every target is durable, exactly as after
   * one {@link #move} per file; when it throws, the targets renamed so far may or may not survive a crash.
   *
   * @param moves source file to target file, in the order to rename them
   * @param fsyncs runs the forces; {@code Runnable::run} forces one after the other
   * @throws IOException naming the target whose source could not be forced or renamed
   */
  public static void moveAll(Map<Path, Path> moves, Executor fsyncs) throws IOException {
    Map<Path, CompletableFuture<Void>> forced = new LinkedHashMap<>();
    for (Map.Entry<Path, Path> m : moves.entrySet()) {
      forced.put(m.getValue(), CompletableFuture.runAsync(() -> {
        try {
          fsync(m.getKey());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }, fsyncs));
    }
    for (Map.Entry<Path, CompletableFuture<Void>> f : forced.entrySet()) {
      try {
        f.getValue().join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof UncheckedIOException u) {
          throw named(f.getKey(), u.getCause());
        }
        throw e;
      }
    }
    Set<Path> folders = new LinkedHashSet<>();
    for (Map.Entry<Path, Path> m : moves.entrySet()) {
      Path target = m.getValue().toAbsolutePath();
      try {
        Files.createDirectories(target.getParent());
        renameWithoutFolderFsync(m.getKey(), target);
      } catch (IOException e) {
        throw named(m.getValue(), e);
      }
      folders.add(target.getParent());
    }
    for (Path folder : folders) {
      fsyncDirectory(folder);
    }
  }

  /** Forces a file's content to the disk. */
  public static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /** Forces folder entries (creations, renames) to the disk; a no-op where folders cannot be opened. */
  public static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Windows cannot open a folder; renames are atomic there anyway.
    }
  }

  private static void rename(Path source, Path target) throws IOException {
    renameWithoutFolderFsync(source, target);
    fsyncDirectory(target.getParent());
  }

  private static void renameWithoutFolderFsync(Path source, Path target) throws IOException {
    try {
      Files.move(source, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + source + " onto it atomically (another file system?)", e);
    }
  }

  private static IOException named(Path target, IOException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (message.startsWith("Cannot write " + target)) {
      return e;
    }
    String cause = message;
    if (e instanceof java.nio.file.FileSystemException fse) {
      String file = fse.getFile() == null || fse.getFile().equals(target.toString())
          || fse.getFile().equals(target.toAbsolutePath().toString()) ? "" : fse.getFile() + " ";
      cause = e instanceof java.nio.file.FileAlreadyExistsException ? file + "exists and is not a folder"
          : e instanceof java.nio.file.NoSuchFileException ? file + "does not exist"
          : e instanceof java.nio.file.AccessDeniedException ? file + "permission denied"
          : fse.getReason() != null ? (file.isEmpty() ? "" : file.strip() + ": ") + fse.getReason() : message;
    }
    return new IOException("Cannot write " + target + ": " + cause, e);
  }
}

package org.fundus4j.dicom.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.fundus4j.io.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only, fsynced journal of tab-separated lines whose fields are escaped, so no value can split
 * a line or a field: backslash, tab, newline and carriage return are written as {@code \\}, {@code \t},
 * {@code \n} and {@code \r}.
 *
 * <p>On open, a torn last line (a process killed while appending) is cut off, and every line that cannot
 * be read (wrong number of fields, or refused by the caller's parser) is moved to {@code <file>.quarantine}
 * with a warning naming the line and the reason; the journal then holds only readable lines. A journal is
 * never a reason to refuse to start. Thread-safe. {@link Manifest} and the node's SR ledger are journals.
 * <pre>{@code
 * try (Journal j = Journal.open(Path.of("manifest.tsv"), 8, fields -> replay(fields))) {
 *   j.append(List.of(new String[] {"2024-01-01T00:00:00Z", "FOUND", "1.2.3", ...}));
 * }
 * }</pre>
 */
public final class Journal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

  private final Path file;
  private final int fields;
  private final FileChannel channel;
  private final int quarantined;

  private Journal(Path file, int fields, FileChannel channel, int quarantined) {
    this.file = file;
    this.fields = fields;
    this.channel = channel;
    this.quarantined = quarantined;
  }

  /**
   * Opens or creates the journal and replays it.
   *
   * @param file the journal
   * @param fields fields per line
   * @param replay called with each readable line's unescaped fields, in file order; a
   *     {@link RuntimeException} it throws quarantines that line, its message being the reason
   * @throws IOException when the file cannot be read or written (the message names it)
   */
  public static Journal open(Path file, int fields, Consumer<String[]> replay) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    byte[] all = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
    int end = all.length;
    while (end > 0 && all[end - 1] != '\n') {
      end--;
    }
    if (end < all.length) {
      LOG.warn("Journal {}: cutting a torn last line of {} bytes (interrupted write)", file, all.length - end);
    }
    List<String> good = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    int lineNo = 0;
    for (String line : new String(all, 0, end, StandardCharsets.UTF_8).split("\n")) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      String reason;
      try {
        String[] f = split(line);
        if (f.length != fields) {
          throw new IllegalArgumentException("it has " + f.length + " fields, expected " + fields);
        }
        replay.accept(f);
        good.add(line);
        continue;
      } catch (RuntimeException e) {
        reason = e.getMessage();
      }
      bad.add(line);
      LOG.warn("Journal {} line {} cannot be read ({}); moved to {}", file, lineNo, reason, quarantineOf(file));
    }
    if (!bad.isEmpty() || end < all.length) {
      if (!bad.isEmpty()) {
        Path q = quarantineOf(file);
        try (FileChannel qc = FileChannel.open(q, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
          write(qc, String.join("\n", bad) + "\n");
          qc.force(true);
        } catch (IOException e) {
          throw new IOException("Cannot write quarantine file " + q + ": " + e.getMessage(), e);
        }
      }
      StringBuilder kept = new StringBuilder();
      good.forEach(l -> kept.append(l).append('\n'));
      AtomicFiles.writeString(file, kept.toString());
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IOException("Cannot open journal " + file + ": " + e.getMessage(), e);
    }
    return new Journal(file, fields, ch, bad.size());
  }

  /** Appends lines (each {@code fields} values, escaped here) with one fsync before returning. */
  public synchronized void append(List<String[]> lines) throws IOException {
    StringBuilder text = new StringBuilder();
    for (String[] line : lines) {
      text.append(join(line)).append('\n');
    }
    try {
      write(channel, text.toString());
      channel.force(false);
    } catch (IOException e) {
      throw new IOException("Cannot append to journal " + file + ": " + e.getMessage(), e);
    }
  }

  private String join(String[] line) {
    if (line.length != fields) {
      throw new IllegalArgumentException("Journal " + file + " lines have " + fields + " fields, got " + line.length);
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < line.length; i++) {
      if (i > 0) {
        out.append('\t');
      }
      escape(line[i] == null ? "" : line[i], out);
    }
    return out.toString();
  }

  private static void write(FileChannel ch, String text) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  static void escape(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        default -> out.append(c);
      }
    }
  }

  /** Splits a line at tabs and unescapes each field; a dangling or unknown escape is an error. */
  static String[] split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\t') {
        out.add(field.toString());
        field.setLength(0);
      } else if (c == '\\') {
        if (++i == line.length()) {
          throw new IllegalArgumentException("it ends in a lone backslash");
        }
        switch (line.charAt(i)) {
          case '\\' -> field.append('\\');
          case 't' -> field.append('\t');
          case 'n' -> field.append('\n');
          case 'r' -> field.append('\r');
          default -> throw new IllegalArgumentException("it has an unknown escape \\" + line.charAt(i));
        }
      } else if (c == '\r') {
        throw new IllegalArgumentException("it holds a raw carriage return");
      } else {
        field.append(c);
      }
    }
    out.add(field.toString());
    return out.toArray(new String[0]);
  }

  private static Path quarantineOf(Path file) {
    return file.resolveSibling(file.getFileName() + ".quarantine");
  }

  /** Lines moved to {@code <file>.quarantine} when this journal was opened. */
  public int quarantinedLines() {
    return quarantined;
  }

  /** The journal file. */
  public Path file() {
    return file;
  }

  @Override
  public synchronized void close() throws IOException {
    channel.close();
  }
}

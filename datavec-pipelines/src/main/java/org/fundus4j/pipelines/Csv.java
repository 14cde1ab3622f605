package org.fundus4j.pipelines;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.io.AtomicFiles;

/**
 * Minimal RFC 4180 CSV reading and writing (quoted fields, doubled quotes, CRLF or LF) for label files.
 */
public final class Csv {

  /** A parsed CSV file: its header and data rows, with 1-based line numbers for error messages. */
  public record Table(Path file, List<String> header, List<List<String>> rows, List<Integer> lines) {

    /** Copies the lists. */
    public Table {
      header = List.copyOf(header);
      rows = List.copyOf(rows);
      lines = List.copyOf(lines);
    }

    /** Returns the index of column {@code name} (case-insensitive), or -1. */
    public int column(String name) {
      for (int i = 0; i < header.size(); i++) {
        if (header.get(i).trim().equalsIgnoreCase(name)) {
          return i;
        }
      }
      return -1;
    }

    /** Returns the index of column {@code name}, failing with a message naming the file and its header. */
    public int requireColumn(String name) {
      int i = column(name);
      if (i < 0) {
        throw new IllegalArgumentException(file + ": missing column '" + name + "' (header: " + header + ")");
      }
      return i;
    }
  }

  private Csv() {}

  /** Reads a CSV file with a header line; blank lines are skipped; rows must have the header's width. */
  public static Table read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read CSV file " + file + ": " + e.getMessage(), e);
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    List<List<String>> all = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    parse(text, all, lines);
    if (all.isEmpty()) {
      throw new IllegalArgumentException(file + ": empty CSV file, expected a header line");
    }
    List<String> header = all.get(0);
    for (int r = 1; r < all.size(); r++) {
      if (all.get(r).size() != header.size()) {
        throw new IllegalArgumentException(file + " line " + lines.get(r) + ": expected " + header.size()
            + " fields as in the header " + header + ", got " + all.get(r).size());
      }
    }
    return new Table(file, header, all.subList(1, all.size()), lines.subList(1, lines.size()));
  }

  private static void parse(String text, List<List<String>> rows, List<Integer> lines) {
    List<String> row = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    int line = 1;
    int rowLine = 1;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') {
            line++;
          }
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
        any = true;
      } else if (c == ',') {
        row.add(field.toString());
        field.setLength(0);
        any = true;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          i++;
        }
        if (any || field.length() > 0) {
          row.add(field.toString());
          rows.add(row);
          lines.add(rowLine);
        }
        row = new ArrayList<>();
        field.setLength(0);
        any = false;
        line++;
        rowLine = line;
      } else {
        field.append(c);
        any = true;
      }
    }
    if (any || field.length() > 0) {
      row.add(field.toString());
      rows.add(row);
      lines.add(rowLine);
    }
  }

  /** Returns {@code value} quoted if it contains a comma, quote or line break. */
  public static String quote(String value) {
    if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\n') < 0 && value.indexOf('\r') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }

  /** Returns one CSV line (without line break) of the quoted values. */
  public static String line(List<String> values) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(quote(values.get(i)));
    }
    return sb.toString();
  }

  /** Writes a header and rows with LF line endings, creating parent folders. */
  public static void write(Path file, List<String> header, List<List<String>> rows) {
    StringBuilder sb = new StringBuilder(line(header)).append('\n');
    for (List<String> r : rows) {
      sb.append(line(r)).append('\n');
    }
    try {
      AtomicFiles.writeString(file, sb.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    }
  }

  /** Parses an integer field, failing with a message that names the file, line and column. */
  public static int parseInt(Table t, int row, int col) {
    String v = t.rows().get(row).get(col).trim();
    try {
      return v.contains(".") ? (int) Math.round(Double.parseDouble(v)) : Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(t.file() + " line " + t.lines().get(row) + ", column '"
          + t.header().get(col) + "': expected an integer label, got '" + v + "'");
    }
  }

  /** Returns {@code path} relative to {@code dir} when it lies below it, else absolute; '/' separators. */
  public static String relativize(Path dir, Path path) {
    Path absDir = dir.toAbsolutePath().normalize();
    Path abs = path.toAbsolutePath().normalize();
    Path p = abs.startsWith(absDir) ? absDir.relativize(abs) : abs;
    return p.toString().replace('\\', '/');
  }
}

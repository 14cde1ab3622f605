package org.fundus4j.dicom.net;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Streaming reader of {@code multipart/related} bodies (RFC 2387) as sent by WADO-RS; parts go to files. */
final class Multipart {

  /** Receives each part's file. */
  @FunctionalInterface
  interface PartHandler {
    void part(Path file, String contentType) throws IOException;
  }

  private Multipart() {
  }

  /** The {@code boundary} parameter of a multipart Content-Type header. */
  static String boundary(String contentType) throws IOException {
    for (String param : contentType.split(";")) {
      String p = param.strip();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = p.substring(9).strip();
        if (b.startsWith("\"") && b.endsWith("\"") && b.length() >= 2) {
          b = b.substring(1, b.length() - 1);
        }
        if (!b.isEmpty()) {
          return b;
        }
      }
    }
    throw new IOException("No boundary in Content-Type '" + contentType + "'");
  }

  /** Splits {@code body} into parts written as {@code part-N.tmp} files under {@code dir}; returns the count. */
  static int read(InputStream body, String boundary, Path dir, PartHandler handler) throws IOException {
    InputStream in = new BufferedInputStream(body, 1 << 16);
    byte[] first = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
    if (!skipPast(in, first)) {
      return 0;
    }
    byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
    int[] failure = kmpFailure(delimiter);
    int count = 0;
    while (true) {
      String afterBoundary = readLine(in);
      if (afterBoundary == null || afterBoundary.startsWith("--")) {
        return count; // close delimiter
      }
      String contentType = "";
      String line;
      while ((line = readLine(in)) != null && !line.isEmpty()) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).strip().equalsIgnoreCase("Content-Type")) {
          contentType = line.substring(colon + 1).strip();
        }
      }
      if (line == null) {
        throw new IOException("Multipart body ended inside the headers of part " + (count + 1));
      }
      Path file = Files.createTempFile(dir, "part-", ".tmp");
      boolean closed;
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        closed = copyUntil(in, out, delimiter, failure);
      }
      if (!closed) {
        Files.deleteIfExists(file);
        throw new IOException("Multipart body ended inside part " + (count + 1) + " (connection lost?)");
      }
      count++;
      handler.part(file, contentType);
    }
  }

  private static boolean skipPast(InputStream in, byte[] pattern) throws IOException {
    int[] failure = kmpFailure(pattern);
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      while (matched > 0 && pattern[matched] != (byte) b) {
        matched = failure[matched - 1];
      }
      if (pattern[matched] == (byte) b) {
        matched++;
      }
      if (matched == pattern.length) {
        return true;
      }
    }
    return false;
  }

  /** Copies bytes to {@code out} until {@code delimiter}; false if the stream ended first. */
  private static boolean copyUntil(InputStream in, OutputStream out, byte[] delimiter, int[] failure)
      throws IOException {
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      while (matched > 0 && delimiter[matched] != (byte) b) {
        int keep = failure[matched - 1];
        out.write(delimiter, 0, matched - keep); // bytes that can no longer be part of the delimiter
        matched = keep;
      }
      if (delimiter[matched] == (byte) b) {
        matched++;
        if (matched == delimiter.length) {
          return true;
        }
      } else {
        out.write(b);
      }
    }
    return false;
  }

  private static int[] kmpFailure(byte[] p) {
    int[] f = new int[p.length];
    int k = 0;
    for (int i = 1; i < p.length; i++) {
      while (k > 0 && p[i] != p[k]) {
        k = f[k - 1];
      }
      if (p[i] == p[k]) {
        k++;
      }
      f[i] = k;
    }
    return f;
  }

  /** A CRLF- (or LF-) terminated ASCII line without its terminator; null at end of stream. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
      if (line.size() > 8192) {
        throw new IOException("Multipart header line longer than 8192 bytes");
      }
    }
    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }
}

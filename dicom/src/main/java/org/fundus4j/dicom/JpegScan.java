package org.fundus4j.dicom;

import java.util.Locale;
import java.util.Optional;

/**
 * Walks the entropy-coded data of an 8-bit Huffman sequential JPEG (baseline SOF0, extended SOF1) without
 * decoding pixels, and says what IJG libjpeg would warn about: data ending before the last MCU ("premature
 * end of data segment"), a Huffman code no table holds, a coefficient run past the block, a restart marker
 * missing or out of order, and extraneous bytes before the next marker (ISO/IEC 10918-1 F.2, B.2.4).
 *
 * <p>libjpeg decodes such a stream anyway (filling the missing MCUs with grey or black) and only prints a
 * warning, and OpenCV passes the pixels on; a screening tool must not score them.
 * <pre>{@code
 * JpegScan.problem(frame);   // Optional["the entropy-coded data ends in MCU 1,204 of 46,875 (truncated)"]
 * }</pre>
 */
final class JpegScan {
  private final byte[] b;
  private int pos;
  private long bitBuffer;
  private int bitCount;
  private boolean stopped;
  private boolean ended;
  private static final int LOOKAHEAD = 9;
  /** Per table: for each 9-bit prefix, (code length << 8 | symbol) + 1 of the code it starts with, else 0. */
  private final int[][] fast = new int[8][];

  private final int[][] maxCode = new int[8][];
  private final int[][] valPtr = new int[8][];
  private final int[][] minCode = new int[8][];
  private final byte[][] values = new byte[8][];

  private JpegScan(byte[] jpeg) {
    this.b = jpeg;
  }

  /** Why libjpeg would warn about {@code jpeg}, or empty when its scans are complete and well formed. */
  static Optional<String> problem(byte[] jpeg) {
    try {
      return Optional.ofNullable(new JpegScan(jpeg).walk());
    } catch (ArrayIndexOutOfBoundsException e) {
      return Optional.of("a marker segment runs past the end of the frame (truncated)");
    }
  }

  private String walk() {
    if (b.length < 4 || u8(0) != 0xFF || u8(1) != 0xD8) {
      return "it does not start with an SOI marker";
    }
    pos = 2;
    int width = 0;
    int height = 0;
    int[] ids = null;
    int[] h = null;
    int[] v = null;
    int restartInterval = 0;
    boolean frame = false;
    while (true) {
      while (pos < b.length && u8(pos) == 0xFF && pos + 1 < b.length && u8(pos + 1) == 0xFF) {
        pos++; // fill bytes
      }
      if (pos + 2 > b.length) {
        return "it ends without an EOI marker (truncated)";
      }
      if (u8(pos) != 0xFF) {
        return String.format(Locale.ROOT, "expected a marker at byte %d, found 0x%02x (corrupt)", pos, u8(pos));
      }
      int marker = u8(pos + 1);
      pos += 2;
      if (marker == 0xD9) {
        return frame ? null : "it has no frame header";
      }
      if (marker >= 0xD0 && marker <= 0xD7) {
        continue;
      }
      if (pos + 2 > b.length) {
        return "it ends inside a marker segment (truncated)";
      }
      int length = u16(pos);
      int start = pos + 2;
      int end = pos + length;
      if (length < 2 || end > b.length) {
        return String.format(Locale.ROOT, "marker 0x%02x has a segment length running past the end (truncated)", marker);
      }
      switch (marker) {
        case 0xC4 -> {
          String bad = readHuffmanTables(start, end);
          if (bad != null) {
            return bad;
          }
        }
        case 0xDD -> restartInterval = u16(start);
        case 0xC0, 0xC1 -> {
          height = u16(start + 1);
          width = u16(start + 3);
          int n = u8(start + 5);
          ids = new int[n];
          h = new int[n];
          v = new int[n];
          for (int c = 0; c < n; c++) {
            ids[c] = u8(start + 6 + 3 * c);
            h[c] = u8(start + 7 + 3 * c) >> 4;
            v[c] = u8(start + 7 + 3 * c) & 15;
            if (h[c] < 1 || h[c] > 4 || v[c] < 1 || v[c] > 4) {
              return "a component has sampling factors outside 1-4 (corrupt)";
            }
          }
          if (width == 0 || height == 0 || n == 0) {
            return "its frame header declares " + width + "x" + height + " with " + n + " components";
          }
          frame = true;
        }
        case 0xDA -> {
          if (!frame) {
            return "a scan starts before the frame header";
          }
          pos = end;
          String bad = scan(start, width, height, ids, h, v, restartInterval);
          if (bad != null) {
            return bad;
          }
          continue;
        }
        default -> {
          if (marker >= 0xC2 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            return null; // not a sequential Huffman frame: not walked here
          }
        }
      }
      pos = end;
    }
  }

  private String readHuffmanTables(int p, int end) {
    while (p < end) {
      int tc = u8(p) >> 4;
      int th = u8(p) & 15;
      if (tc > 1 || th > 3) {
        return "a Huffman table has class " + tc + " and id " + th + " (corrupt)";
      }
      int[] counts = new int[17];
      int total = 0;
      for (int l = 1; l <= 16; l++) {
        counts[l] = u8(p + l);
        total += counts[l];
      }
      if (total > 256 || p + 17 + total > end) {
        return "a Huffman table holds more symbols than its segment (corrupt)";
      }
      int slot = tc * 4 + th;
      int[] max = new int[18];
      int[] min = new int[17];
      int[] ptr = new int[17];
      int code = 0;
      int k = 0;
      for (int l = 1; l <= 16; l++) {
        ptr[l] = k;
        min[l] = code;
        code += counts[l];
        k += counts[l];
        max[l] = counts[l] == 0 ? -1 : code - 1;
        code <<= 1;
      }
      max[17] = Integer.MAX_VALUE;
      byte[] vals = new byte[total];
      System.arraycopy(b, p + 17, vals, 0, total);
      maxCode[slot] = max;
      minCode[slot] = min;
      valPtr[slot] = ptr;
      values[slot] = vals;
      int[] table = new int[1 << LOOKAHEAD];
      int c = 0;
      int v = 0;
      for (int l = 1; l <= LOOKAHEAD; l++) {
        for (int i = 0; i < counts[l]; i++, c++, v++) {
          int from = c << (LOOKAHEAD - l);
          int to = (c + 1) << (LOOKAHEAD - l);
          for (int x = from; x < to && x < table.length; x++) {
            table[x] = ((l << 8) | (vals[v] & 0xFF)) + 1;
          }
        }
        c <<= 1;
      }
      fast[slot] = table;
      p += 17 + total;
    }
    return null;
  }

  private String scan(int p, int width, int height, int[] ids, int[] h, int[] v, int restartInterval) {
    int ns = u8(p);
    if (ns < 1 || ns > 4) {
      return "a scan has " + ns + " components (corrupt)";
    }
    int hmax = 1;
    int vmax = 1;
    for (int c = 0; c < ids.length; c++) {
      hmax = Math.max(hmax, h[c]);
      vmax = Math.max(vmax, v[c]);
    }
    int[] comp = new int[ns];
    int[] dc = new int[ns];
    int[] ac = new int[ns];
    for (int i = 0; i < ns; i++) {
      int id = u8(p + 1 + 2 * i);
      comp[i] = -1;
      for (int c = 0; c < ids.length; c++) {
        if (ids[c] == id) {
          comp[i] = c;
        }
      }
      if (comp[i] < 0) {
        return "a scan names component " + id + ", which the frame does not have (corrupt)";
      }
      dc[i] = u8(p + 2 + 2 * i) >> 4;
      ac[i] = 4 + (u8(p + 2 + 2 * i) & 15);
      if ((dc[i] & 15) > 3 || ac[i] > 7 || values[dc[i]] == null || values[ac[i]] == null) {
        return "a scan uses a Huffman table that was never defined (corrupt)";
      }
    }
    long mcus;
    int[] blocksPerMcu = new int[ns];
    if (ns == 1) {
      int c = comp[0];
      long cw = (width * (long) h[c] + hmax - 1) / hmax;
      long ch = (height * (long) v[c] + vmax - 1) / vmax;
      mcus = ((cw + 7) / 8) * ((ch + 7) / 8);
      blocksPerMcu[0] = 1;
    } else {
      mcus = ((width + 8L * hmax - 1) / (8L * hmax)) * ((height + 8L * vmax - 1) / (8L * vmax));
      for (int i = 0; i < ns; i++) {
        blocksPerMcu[i] = h[comp[i]] * v[comp[i]];
      }
    }
    bitBuffer = 0;
    bitCount = 0;
    stopped = false;
    ended = false;
    int expectedRst = 0;
    for (long m = 0; m < mcus; m++) {
      if (restartInterval > 0 && m > 0 && m % restartInterval == 0) {
        if (bitCount >= 8) {
          return String.format(Locale.ROOT, "%d extraneous bytes before restart marker RST%d, MCU %,d of %,d "
              + "(corrupt)", bitCount / 8, expectedRst, m + 1, mcus);
        }
        bitBuffer = 0;
        bitCount = 0;
        if (pos + 1 >= b.length || u8(pos) != 0xFF || u8(pos + 1) != 0xD0 + expectedRst) {
          return String.format(Locale.ROOT, "restart marker RST%d is missing before MCU %,d of %,d (corrupt)",
              expectedRst, m + 1, mcus);
        }
        pos += 2;
        stopped = false;
        expectedRst = (expectedRst + 1) & 7;
      }
      for (int i = 0; i < ns; i++) {
        for (int k = 0; k < blocksPerMcu[i]; k++) {
          String bad = block(dc[i], ac[i]);
          if (bad != null) {
            return String.format(Locale.ROOT, "%s in MCU %,d of %,d", bad, m + 1, mcus);
          }
        }
      }
    }
    // the rest of the last byte is padding; whole bytes left in the buffer, or before the next marker, are not
    int extra = bitCount / 8;
    bitCount = 0;
    if (extra > 0 || pos < b.length && !(u8(pos) == 0xFF && pos + 1 < b.length && u8(pos + 1) != 0x00)) {
      while (pos < b.length && !(u8(pos) == 0xFF && pos + 1 < b.length && u8(pos + 1) != 0x00)) {
        pos++;
        extra++;
      }
      return String.format(Locale.ROOT, "%,d extraneous bytes follow the last MCU (corrupt)", extra);
    }
    return null;
  }

  private String block(int dcSlot, int acSlot) {
    int s = decode(dcSlot);
    if (s < 0) {
      return ended ? "the entropy-coded data ends (truncated)" : "a DC Huffman code no table holds (corrupt)";
    }
    if (s > 11 || !skip(s)) {
      return s > 11 ? "a DC difference of " + s + " bits (corrupt)" : "the entropy-coded data ends (truncated)";
    }
    for (int k = 1; k < 64; k++) {
      int rs = decode(acSlot);
      if (rs < 0) {
        return ended ? "the entropy-coded data ends (truncated)" : "an AC Huffman code no table holds (corrupt)";
      }
      int r = rs >> 4;
      int size = rs & 15;
      if (size == 0) {
        if (r != 15) {
          return null; // EOB
        }
        k += 15;
        continue;
      }
      k += r;
      if (k > 63) {
        return "coefficients run past the end of a block (corrupt)";
      }
      if (!skip(size)) {
        return "the entropy-coded data ends (truncated)";
      }
    }
    return null;
  }

  /** The next Huffman symbol, or -1 for an invalid code or the end of the data. */
  private int decode(int slot) {
    fill();
    if (bitCount == 0) {
      ended = true;
      return -1;
    }
    int look = peek(LOOKAHEAD);
    int entry = fast[slot][look];
    if (entry != 0) {
      int length = (entry - 1) >> 8;
      if (length > bitCount) {
        ended = true;
        return -1;
      }
      bitCount -= length;
      return (entry - 1) & 0xFF;
    }
    int[] max = maxCode[slot];
    int code = peek(16);
    for (int l = LOOKAHEAD + 1; l <= 16; l++) {
      int prefix = code >>> (16 - l);
      if (prefix <= max[l]) {
        if (l > bitCount) {
          ended = true;
          return -1;
        }
        bitCount -= l;
        return values[slot][valPtr[slot][l] + prefix - minCode[slot][l]] & 0xFF;
      }
    }
    if (bitCount < 16) {
      ended = true; // the zeros past the end of the data form no code: the data ended
    }
    return -1;
  }

  private boolean skip(int n) {
    fill();
    if (n > bitCount) {
      ended = true;
      return false;
    }
    bitCount -= n;
    return true;
  }

  /** The next {@code n} bits (n <= 16), zeros past the end of the data. */
  private int peek(int n) {
    long value = bitCount >= n ? bitBuffer >>> (bitCount - n) : bitBuffer << (n - bitCount);
    return (int) (value & ((1L << n) - 1));
  }

  /** Tops the buffer up to at least 48 bits while entropy-coded bytes remain before the next marker. */
  private void fill() {
    while (bitCount <= 48 && !stopped) {
      if (pos >= b.length) {
        stopped = true;
        return;
      }
      int next = b[pos] & 0xFF;
      if (next == 0xFF) {
        int after = pos + 1 < b.length ? b[pos + 1] & 0xFF : -1;
        if (after != 0x00) {
          stopped = true; // a marker (or the end): libjpeg would insert zeros and warn if data is still needed
          return;
        }
        pos += 2;
      } else {
        pos++;
      }
      bitBuffer = (bitBuffer << 8) | next;
      bitCount += 8;
    }
  }

  private int u8(int i) {
    return b[i] & 0xFF;
  }

  private int u16(int i) {
    return (u8(i) << 8) | u8(i + 1);
  }
}

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
 * warning, and OpenCV passes the pixels on; a screening tool must not score them. Takes about a third of
 * the time of a full decode.
 * <pre>{@code
 * JpegScan.problem(frame);   // Optional["the entropy-coded data ends in MCU 1,204 of 46,875 (truncated)"]
 * }</pre>
 */
final class JpegScan {
  private final byte[] b;
  private int pos;
  private long bitBuffer;
  private int bitCount;
  private boolean hitMarker;

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
    hitMarker = false;
    int expectedRst = 0;
    for (long m = 0; m < mcus; m++) {
      if (restartInterval > 0 && m > 0 && m % restartInterval == 0) {
        bitBuffer = 0;
        bitCount = 0;
        if (pos + 1 >= b.length || u8(pos) != 0xFF || u8(pos + 1) != 0xD0 + expectedRst) {
          return String.format(Locale.ROOT, "restart marker RST%d is missing before MCU %,d of %,d (corrupt)",
              expectedRst, m + 1, mcus);
        }
        pos += 2;
        hitMarker = false;
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
    // the rest of the last byte is padding; the next thing must be a marker
    if (pos < b.length && !(u8(pos) == 0xFF && pos + 1 < b.length && u8(pos + 1) != 0x00)) {
      int extra = 0;
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
      return hitMarker ? "the entropy-coded data ends (truncated)" : "a DC Huffman code no table holds (corrupt)";
    }
    if (s > 11 || !skip(s)) {
      return s > 11 ? "a DC difference of " + s + " bits (corrupt)" : "the entropy-coded data ends (truncated)";
    }
    for (int k = 1; k < 64; k++) {
      int rs = decode(acSlot);
      if (rs < 0) {
        return hitMarker ? "the entropy-coded data ends (truncated)" : "an AC Huffman code no table holds (corrupt)";
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
    int[] max = maxCode[slot];
    int code = 0;
    for (int l = 1; l <= 16; l++) {
      int bit = bit();
      if (bit < 0) {
        return -1;
      }
      code = (code << 1) | bit;
      if (code <= max[l]) {
        return values[slot][valPtr[slot][l] + code - minCode[slot][l]] & 0xFF;
      }
    }
    return -1;
  }

  private boolean skip(int n) {
    for (int i = 0; i < n; i++) {
      if (bit() < 0) {
        return false;
      }
    }
    return true;
  }

  private int bit() {
    if (bitCount == 0) {
      if (hitMarker || pos >= b.length) {
        hitMarker = true;
        return -1;
      }
      int next = u8(pos);
      if (next == 0xFF) {
        int after = pos + 1 < b.length ? u8(pos + 1) : -1;
        if (after != 0x00) {
          hitMarker = true; // a marker (or the end): libjpeg would insert zeros and warn
          return -1;
        }
        pos += 2;
      } else {
        pos++;
      }
      bitBuffer = next;
      bitCount = 8;
    }
    bitCount--;
    return (int) (bitBuffer >> bitCount) & 1;
  }

  private int u8(int i) {
    return b[i] & 0xFF;
  }

  private int u16(int i) {
    return (u8(i) << 8) | u8(i + 1);
  }
}

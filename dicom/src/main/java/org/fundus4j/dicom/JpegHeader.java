package org.fundus4j.dicom;

import java.util.Arrays;

/**
 * The frame header of a JPEG bitstream and the markers that decide its colour space (ISO/IEC 10918-1).
 *
 * <p>Read by scanning the marker segments from SOI up to the first SOF or SOS; entropy-coded data is not
 * looked at. Used to decide whether any JPEG decoder (IJG libjpeg and libjpeg-turbo, the JDK's ImageIO
 * reader) turns the bitstream into the same RGB pixels.
 *
 * @param sofMarker the start-of-frame marker's second byte: 0xC0 baseline, 0xC1 extended, 0xC2 progressive...
 * @param precision sample precision in bits (8 or 12 for DCT processes)
 * @param width samples per line
 * @param height number of lines
 * @param componentIds component identifiers in frame order
 * @param chromaSubsampled whether a component other than the first has smaller sampling factors than the first
 * @param jfif whether an APP0 JFIF segment is present
 * @param adobeTransform the transform flag of an APP14 Adobe segment, -1 when there is none
 */
record JpegHeader(int sofMarker, int precision, int width, int height, int[] componentIds,
    boolean chromaSubsampled, boolean jfif, int adobeTransform) {

  private static final int SOI = 0xD8;
  private static final int SOS = 0xDA;
  private static final int APP0 = 0xE0;
  private static final int APP14 = 0xEE;

  JpegHeader {
    componentIds = componentIds.clone();
  }

  /** Returns the header of {@code jpeg}, or null when it does not start with SOI or has no frame header. */
  static JpegHeader parse(byte[] jpeg) {
    if (jpeg.length < 4 || (jpeg[0] & 0xFF) != 0xFF || (jpeg[1] & 0xFF) != SOI) {
      return null;
    }
    boolean jfif = false;
    int adobeTransform = -1;
    int p = 2;
    while (p + 4 <= jpeg.length) {
      if ((jpeg[p] & 0xFF) != 0xFF) {
        return null;
      }
      int marker = jpeg[p + 1] & 0xFF;
      if (marker == 0xFF) {          // fill byte
        p++;
        continue;
      }
      if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {   // TEM, RSTn: no length
        p += 2;
        continue;
      }
      int length = u16(jpeg, p + 2);
      int start = p + 4;
      int end = p + 2 + length;
      if (length < 2 || end > jpeg.length || marker == SOS) {
        return null;
      }
      if (marker == APP0 && length >= 7 && matches(jpeg, start, "JFIF\0")) {
        jfif = true;
      } else if (marker == APP14 && length >= 14 && matches(jpeg, start, "Adobe")) {
        adobeTransform = jpeg[start + 11] & 0xFF;
      } else if (isStartOfFrame(marker)) {
        if (length < 8) {
          return null;
        }
        int components = jpeg[start + 5] & 0xFF;
        if (length < 8 + 3 * components) {
          return null;
        }
        int[] ids = new int[components];
        boolean subsampled = false;
        int firstSampling = jpeg[start + 7] & 0xFF;
        for (int c = 0; c < components; c++) {
          ids[c] = jpeg[start + 6 + 3 * c] & 0xFF;
          int sampling = jpeg[start + 7 + 3 * c] & 0xFF;
          if (c > 0 && ((sampling >> 4) < (firstSampling >> 4) || (sampling & 0xF) < (firstSampling & 0xF))) {
            subsampled = true;
          }
        }
        return new JpegHeader(marker, jpeg[start] & 0xFF, u16(jpeg, start + 3), u16(jpeg, start + 1), ids,
            subsampled, jfif, adobeTransform);
      }
      p = end;
    }
    return null;
  }

  /** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
  private static boolean isStartOfFrame(int marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }

  /** Returns whether this is an 8-bit Huffman sequential DCT frame (baseline SOF0 or extended SOF1). */
  boolean isEightBitSequential() {
    return (sofMarker == 0xC0 || sofMarker == 0xC1) && precision == 8;
  }

  /**
   * Returns whether libjpeg and the JDK's ImageIO reader choose the same colour space for a 3-component
   * frame: a JFIF segment (YCbCr), an Adobe segment with transform 0 (RGB) or 1 (YCbCr) and no JFIF, or
   * neither segment with component ids 1, 2, 3 (YCbCr) or 'R', 'G', 'B' (RGB). Other frames are guessed
   * differently: libjpeg assumes YCbCr, ImageIO assumes RGB unless the chroma is subsampled.
   */
  boolean colourSpaceIsUnambiguous() {
    if (componentIds.length != 3) {
      return componentIds.length == 1;
    }
    if (jfif) {
      return adobeTransform < 0;
    }
    if (adobeTransform >= 0) {
      return adobeTransform == 0 || adobeTransform == 1;
    }
    return Arrays.equals(componentIds, new int[] {1, 2, 3}) || Arrays.equals(componentIds, new int[] {'R', 'G', 'B'});
  }

  @Override
  public int[] componentIds() {
    return componentIds.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JpegHeader h && sofMarker == h.sofMarker && precision == h.precision && width == h.width
        && height == h.height && Arrays.equals(componentIds, h.componentIds) && chromaSubsampled == h.chromaSubsampled
        && jfif == h.jfif && adobeTransform == h.adobeTransform;
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(componentIds) + java.util.Objects.hash(sofMarker, precision, width, height,
        chromaSubsampled, jfif, adobeTransform);
  }

  @Override
  public String toString() {
    return String.format(java.util.Locale.ROOT, "JpegHeader[SOF%d, %d-bit, %dx%d, ids %s%s%s]", sofMarker - 0xC0,
        precision, width, height, Arrays.toString(componentIds), jfif ? ", JFIF" : "",
        adobeTransform >= 0 ? ", Adobe transform " + adobeTransform : "");
  }

  private static int u16(byte[] b, int i) {
    return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
  }

  private static boolean matches(byte[] b, int at, String ascii) {
    if (at + ascii.length() > b.length) {
      return false;
    }
    for (int i = 0; i < ascii.length(); i++) {
      if (b[at + i] != (byte) ascii.charAt(i)) {
        return false;
      }
    }
    return true;
  }
}

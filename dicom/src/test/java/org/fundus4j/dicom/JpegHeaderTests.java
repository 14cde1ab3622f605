package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The marker scan that decides whether a JPEG frame can be handed to any JPEG decoder. */
class JpegHeaderTests {

  @Test
  void readsTheFrameHeaderOfTheCc0Photograph() throws Exception {
    JpegHeader h = JpegHeader.parse(Files.readAllBytes(Fixtures.CC0_JPEG));

    // Pillow: 1411x1411, layer (id, h, v) = (1, 2, 2), (2, 1, 1), (3, 1, 1), JFIF
    assertEquals(0xC0, h.sofMarker());
    assertEquals(8, h.precision());
    assertEquals(1411, h.width());
    assertEquals(1411, h.height());
    assertArrayEquals(new int[] {1, 2, 3}, h.componentIds());
    assertTrue(h.chromaSubsampled());
    assertTrue(h.jfif());
    assertEquals(-1, h.adobeTransform());
    assertTrue(h.isEightBitSequential());
    assertTrue(h.colourSpaceIsUnambiguous());
  }

  @Test
  void colourSpaceIsUnambiguousOnlyWhenMarkersOrIdsSayIt() {
    assertTrue(header(0xC0, 8, new int[] {1, 2, 3}, null, -1).colourSpaceIsUnambiguous());      // ids: YCbCr
    assertTrue(header(0xC0, 8, new int[] {'R', 'G', 'B'}, null, -1).colourSpaceIsUnambiguous()); // ids: RGB
    assertTrue(header(0xC0, 8, new int[] {0, 1, 2}, "JFIF", -1).colourSpaceIsUnambiguous());
    assertTrue(header(0xC0, 8, new int[] {0, 1, 2}, null, 0).colourSpaceIsUnambiguous());        // Adobe RGB
    assertTrue(header(0xC0, 8, new int[] {0, 1, 2}, null, 1).colourSpaceIsUnambiguous());        // Adobe YCbCr
    assertTrue(header(0xC0, 8, new int[] {1}, null, -1).colourSpaceIsUnambiguous());             // grey
    // libjpeg guesses YCbCr, ImageIO RGB (not subsampled): they would disagree
    assertFalse(header(0xC0, 8, new int[] {0, 1, 2}, null, -1).colourSpaceIsUnambiguous());
    assertFalse(header(0xC0, 8, new int[] {1, 2, 3}, null, 2).colourSpaceIsUnambiguous());      // Adobe YCCK flag
    assertFalse(header(0xC0, 8, new int[] {1, 2, 3, 4}, null, -1).colourSpaceIsUnambiguous());  // CMYK
  }

  @Test
  void onlyEightBitHuffmanSequentialFramesQualify() {
    assertTrue(header(0xC1, 8, new int[] {1, 2, 3}, "JFIF", -1).isEightBitSequential());
    assertFalse(header(0xC1, 12, new int[] {1, 2, 3}, "JFIF", -1).isEightBitSequential());
    assertFalse(header(0xC2, 8, new int[] {1, 2, 3}, "JFIF", -1).isEightBitSequential());   // progressive
    assertFalse(header(0xC3, 8, new int[] {1, 2, 3}, "JFIF", -1).isEightBitSequential());   // lossless
  }

  @Test
  void returnsNullWithoutSoiOrFrameHeader() {
    assertNull(JpegHeader.parse(new byte[] {0, 1, 2, 3, 4, 5}));
    assertNull(JpegHeader.parse(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xDA, 0, 2}));  // SOS first
    assertNull(JpegHeader.parse(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0x40, 0}));  // cut
  }

  /** SOI, optional APP0 JFIF / APP14 Adobe, a DQT stand-in (APP15), and a SOF of 64x48 with 2x1 luma sampling. */
  private static JpegHeader header(int sof, int precision, int[] ids, String app0, int adobeTransform) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0xFF);
    b.write(0xD8);
    if (app0 != null) {
      segment(b, 0xE0, new byte[] {'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0});
    }
    if (adobeTransform >= 0) {
      segment(b, 0xEE, new byte[] {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) adobeTransform});
    }
    segment(b, 0xEF, new byte[] {1, 2, 3});
    byte[] frame = new byte[6 + 3 * ids.length];
    frame[0] = (byte) precision;
    frame[2] = 48;
    frame[4] = 64;
    frame[5] = (byte) ids.length;
    for (int c = 0; c < ids.length; c++) {
      frame[6 + 3 * c] = (byte) ids[c];
      frame[7 + 3 * c] = (byte) (c == 0 ? 0x21 : 0x11);
    }
    segment(b, sof, frame);
    JpegHeader h = JpegHeader.parse(b.toByteArray());
    assertEquals(64, h.width());
    assertEquals(48, h.height());
    return h;
  }

  private static void segment(ByteArrayOutputStream b, int marker, byte[] data) {
    b.write(0xFF);
    b.write(marker);
    b.write((data.length + 2) >> 8);
    b.write(data.length + 2);
    b.writeBytes(data);
  }
}

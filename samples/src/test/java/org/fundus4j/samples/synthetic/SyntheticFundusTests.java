package org.fundus4j.samples.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SyntheticFundusTests {

  private static byte[] bytes(BufferedImage img) {
    return ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
  }

  private static int white(BufferedImage mask) {
    int n = 0;
    for (byte b : bytes(mask)) {
      n += (b & 0xff) > 127 ? 1 : 0;
    }
    return n;
  }

  @Test
  void sameSeedGivesTheSamePixels() {
    SyntheticFundus.Rendered a = SyntheticFundus.renderWithMask(new Random(5), 128, true, true);
    SyntheticFundus.Rendered b = SyntheticFundus.renderWithMask(new Random(5), 128, true, true);
    assertArrayEquals(bytes(a.image()), bytes(b.image()));
    assertArrayEquals(bytes(a.vesselMask()), bytes(b.vesselMask()));
    assertArrayEquals(bytes(a.lesionMask()), bytes(b.lesionMask()));
  }

  @Test
  void cornersAreBlackAndVesselsAreDarkerThanTheFundus() {
    SyntheticFundus.Rendered r = SyntheticFundus.renderWithMask(new Random(1), 256, false, false);
    assertEquals(0, r.image().getRGB(0, 0) & 0xffffff);
    assertEquals(0, r.image().getRGB(255, 255) & 0xffffff);
    double vesselGreen = 0;
    double fundusGreen = 0;
    int nv = 0;
    int nf = 0;
    for (int y = 0; y < 256; y++) {
      for (int x = 0; x < 256; x++) {
        int g = (r.image().getRGB(x, y) >> 8) & 0xff;
        boolean vessel = (r.vesselMask().getRaster().getSample(x, y, 0)) > 127;
        if (vessel) {
          vesselGreen += g;
          nv++;
        } else if (Math.hypot(x - 128, y - 128) < 90) {
          fundusGreen += g;
          nf++;
        }
      }
    }
    assertTrue(nv > 1500, "vessel pixels " + nv);
    assertTrue(vesselGreen / nv < fundusGreen / nf - 20, "vessel green " + vesselGreen / nv + " vs " + fundusGreen / nf);
  }

  @Test
  void abnormalImagesCarryVisibleLesionsAndNormalOnesNone() {
    for (int i = 0; i < 20; i++) {
      SyntheticFundus.Rendered normal = SyntheticFundus.renderWithMask(new Random(i), 128, false, i % 2 == 0);
      SyntheticFundus.Rendered abnormal = SyntheticFundus.renderWithMask(new Random(i), 128, true, i % 2 == 0);
      assertEquals(0, white(normal.lesionMask()));
      assertArrayEquals(new int[] {0}, normal.labels());
      assertArrayEquals(new int[] {1}, abnormal.labels());
      // At 128 px every abnormal image has at least 40 lesion pixels (0.25 % of the image).
      int lesion = white(abnormal.lesionMask());
      assertTrue(lesion >= 40, "image " + i + ": lesion pixels " + lesion);
      // Lesions differ from the normal fundus colour by more than 60 grey levels in some channel on average.
      double diff = 0;
      for (int y = 0; y < 128; y++) {
        for (int x = 0; x < 128; x++) {
          if (abnormal.lesionMask().getRaster().getSample(x, y, 0) > 127) {
            int a = abnormal.image().getRGB(x, y);
            int n = normal.image().getRGB(x, y);
            int d = 0;
            for (int shift = 0; shift <= 16; shift += 8) {
              d = Math.max(d, Math.abs(((a >> shift) & 0xff) - ((n >> shift) & 0xff)));
            }
            diff += d;
          }
        }
      }
      assertTrue(diff / lesion > 60, "image " + i + ": mean lesion contrast " + diff / lesion);
    }
  }

  @Test
  void multiLabelChecksItsLabels() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SyntheticFundus.renderMultiLabel(new Random(1), 64, new int[] {0, 1, 1, 0, 0, 0, 0}, true));
    assertEquals("Glaucoma and glaucoma suspect exclude each other: [0, 1, 1, 0, 0, 0, 0]", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SyntheticFundus.renderMultiLabel(new Random(1), 64, new int[3], true));
    assertTrue(e.getMessage().startsWith("Expected 7 labels"));
  }

  @Test
  void amdAndDrImagesCarryLesionsGlaucomaAndMyopiaChangeTheImage() {
    int[] none = new int[7];
    BufferedImage normal = SyntheticFundus.renderMultiLabel(new Random(3), 128, none, true).image();
    for (int label = 0; label < 7; label++) {
      int[] l = new int[7];
      l[label] = 1;
      SyntheticFundus.Rendered r = SyntheticFundus.renderMultiLabel(new Random(3), 128, l, true);
      int changed = 0;
      for (int y = 0; y < 128; y++) {
        for (int x = 0; x < 128; x++) {
          changed += r.image().getRGB(x, y) != normal.getRGB(x, y) ? 1 : 0;
        }
      }
      assertTrue(changed > 60, SyntheticFundus.PAPER_LABELS.get(label) + " changed only " + changed + " pixels");
      if (label == SyntheticFundus.AMD || label == SyntheticFundus.DR || label == SyntheticFundus.RVO) {
        assertTrue(white(r.lesionMask()) > 40, SyntheticFundus.PAPER_LABELS.get(label) + " lesions");
      }
    }
  }
}

package org.fundus4j.pipelines.sources;

import java.util.Locale;

/** How a data set lies on disk: the words of {@code --layout} and of grid files. */
public enum Layout {
  DICOM, CSV, RFMID, JSIEC, IMAGES, FIVES;

  /** Parses {@code dicom}, {@code csv}, {@code rfmid}, {@code jsiec}, {@code images} or {@code fives}. */
  public static Layout parse(String text) {
    for (Layout l : values()) {
      if (l.word().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return l;
      }
    }
    throw new IllegalArgumentException("layout must be dicom, csv, rfmid, jsiec, images or fives, got '" + text + "'");
  }

  /** The layout's word, e.g. {@code rfmid}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package org.fundus4j.pipelines.sources;

import java.util.Locale;

/**
 * How a data set is laid out on disk: the words of {@code --layout} and of a grid file's {@code data.layout}.
 *
 * <pre>{@code Layout l = Layout.parse("RFMiD");   // l == Layout.RFMID, l.word() == "rfmid"}</pre>
 */
public enum Layout {
  /** A DICOM folder with {@code labels.csv} ({@link DicomFolder}); the path is the CSV or its folder. */
  DICOM,
  /** A generic labels CSV ({@link GenericCsv}); the path is the CSV. */
  CSV,
  /** One RFMiD split's labels CSV ({@link Rfmid}); its image folder is found beside it. */
  RFMID,
  /** JSIEC's class folders ({@link Jsiec}); the path is the folder that holds them. */
  JSIEC,
  /** One sub-folder of images per class ({@link ImageFolder}). */
  IMAGES,
  /** FIVES ({@link Fives}): a split folder ({@code train/}, {@code test/}) or the folder holding both. */
  FIVES;

  /** The lower-case word, e.g. {@code rfmid}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a layout word, ignoring case and surrounding blanks. */
  public static Layout parse(String text) {
    String key = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (Layout l : values()) {
      if (l.word().equals(key)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        "--layout must be dicom, csv, rfmid, jsiec, images or fives, got '" + text + "'");
  }
}

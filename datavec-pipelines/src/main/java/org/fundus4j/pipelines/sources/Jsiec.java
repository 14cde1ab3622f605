package org.fundus4j.pipelines.sources;

import java.nio.file.Path;

/**
 * The JSIEC data set layout (Cen et al. 2021, "1000 fundus images with 39 categories"): one folder per
 * class such as {@code 0.0.Normal}, {@code 0.3.DR1}, {@code 10.0.Possible glaucoma}, JPEG images inside.
 *
 * <p>Class indices follow the lexicographic order of the folder names (so {@code 10.0...} sorts before
 * {@code 2...}); the class names are the folder names. JSIEC publishes no patient ids: each image is its
 * own patient.
 */
public final class Jsiec {

  private Jsiec() {}

  /** Reads the folder that holds the class folders (e.g. {@code 1000images/}). */
  public static LabelledSet read(Path root) {
    return ImageFolder.read(root, "JSIEC");
  }
}

package org.fundus4j.pipelines.sources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * The FIVES vessel segmentation data set layout (Jin et al. 2022): {@code Original/<n>_<D>.png} images and
 * {@code Ground truth/<n>_<D>.png} vessel masks of the same name, where the letter {@code D} is the
 * disease: {@code A} AMD, {@code D} diabetic retinopathy, {@code G} glaucoma, {@code N} normal.
 *
 * <p>Each sample carries its mask and, as its one label, the disease index in {@link #CLASSES}. FIVES
 * publishes no patient ids: each image is its own patient, {@code "FIVES-<n>_<D>"}.
 */
public final class Fives {

  /** Disease classes in the order of their file-name letters A, D, G, N. */
  public static final List<String> CLASSES = List.of("AMD", "DR", "Glaucoma", "Normal");
  private static final String LETTERS = "ADGN";

  private Fives() {}

  /** Reads a FIVES split folder (e.g. {@code train/}) containing {@code Original} and {@code Ground truth}. */
  public static LabelledSet read(Path splitDir) {
    Path originals = splitDir.resolve("Original");
    Path truths = splitDir.resolve("Ground truth");
    if (!Files.isDirectory(originals) || !Files.isDirectory(truths)) {
      throw new IllegalArgumentException("FIVES: expected folders 'Original' and 'Ground truth' in " + splitDir);
    }
    List<Sample> samples = new ArrayList<>();
    for (Path img : ImageFolder.images(originals)) {
      String stem = ImageFiles.stem(img);
      int us = stem.lastIndexOf('_');
      int cls = us < 0 || us != stem.length() - 2 ? -1 : LETTERS.indexOf(Character.toUpperCase(stem.charAt(us + 1)));
      if (cls < 0) {
        throw new IllegalArgumentException("FIVES: file name " + img.getFileName()
            + " does not end in _A, _D, _G or _N (the disease letter)");
      }
      Path mask = truths.resolve(img.getFileName().toString());
      if (!Files.isRegularFile(mask)) {
        throw new IllegalArgumentException("FIVES: no vessel mask " + mask + " for " + img);
      }
      samples.add(new Sample(img.toAbsolutePath().normalize(), "FIVES-" + stem, new int[] {cls},
          mask.toAbsolutePath().normalize()));
    }
    return new LabelledSet("FIVES", samples, CLASSES, LabelKind.SEGMENTATION);
  }
}

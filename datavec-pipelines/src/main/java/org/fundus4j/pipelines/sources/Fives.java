package org.fundus4j.pipelines.sources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * The FIVES vessel segmentation data set (Jin et al., Sci Data 2022) as published: {@code train/} and
 * {@code test/}, each with {@code Original/<n>_<D>.png} images and {@code Ground truth/<n>_<D>.png} vessel
 * masks of the same name, where the letter {@code D} is the disease: {@code A} AMD, {@code D} diabetic
 * retinopathy, {@code G} glaucoma, {@code N} normal.
 *
 * <p>{@link #read} takes a split folder (one that holds {@code Original} and {@code Ground truth}) or the top
 * folder holding the split folders (any names, e.g. {@code train} and {@code test}), or a folder whose only
 * sub-folder is such a top folder (the archive's wrapper). Every image is listed once, with its mask; an image
 * without a mask, or a mask without an image, is an error naming the file. Files that are not images (the
 * archive carries a {@code Thumbs.db}) are ignored.
 *
 * <p>Each sample carries its mask and, as its one label, the disease index in {@link #CLASSES}. FIVES
 * publishes no patient ids: each image is its own patient, {@code "FIVES-<split>-<n>_<D>"} (e.g.
 * {@code FIVES-test-3_G}), so the splits' names never collide. Sources of the layout:
 * {@code datavec-pipelines/docs/public-layouts.md}.
 *
 * <pre>{@code LabelledSet all = Fives.read(Path.of("FIVES"));   // train/ and test/, 800 images with masks}</pre>
 */
public final class Fives {

  /** Disease classes in the order of their file-name letters A, D, G, N. */
  public static final List<String> CLASSES = List.of("AMD", "DR", "Glaucoma", "Normal");
  private static final String LETTERS = "ADGN";
  private static final String ORIGINAL = "Original";
  private static final String GROUND_TRUTH = "Ground truth";

  private Fives() {}

  /** Reads a FIVES split folder, or the folder holding the split folders (see the class comment). */
  public static LabelledSet read(Path dir) {
    if (isSplit(dir)) {
      return new LabelledSet("FIVES", readSplit(dir), CLASSES, LabelKind.SEGMENTATION);
    }
    List<Path> subs = ImageFolder.subfolders(dir);
    List<Path> splits = subs.stream().filter(Fives::isSplit).toList();
    if (splits.isEmpty() && subs.size() == 1) {
      return read(subs.get(0));
    }
    if (splits.isEmpty()) {
      throw new IllegalArgumentException("FIVES: expected folders '" + ORIGINAL + "' and '" + GROUND_TRUTH
          + "' in " + dir + ", or split folders (train/, test/) holding them; found " + names(subs));
    }
    List<Sample> samples = new ArrayList<>();
    for (Path split : splits) {
      samples.addAll(readSplit(split));
    }
    return new LabelledSet("FIVES", samples, CLASSES, LabelKind.SEGMENTATION);
  }

  private static boolean isSplit(Path dir) {
    return Files.isDirectory(dir.resolve(ORIGINAL)) && Files.isDirectory(dir.resolve(GROUND_TRUTH));
  }

  private static List<Sample> readSplit(Path splitDir) {
    Path originals = splitDir.resolve(ORIGINAL);
    Path truths = splitDir.resolve(GROUND_TRUTH);
    String split = splitDir.toAbsolutePath().normalize().getFileName().toString().toLowerCase(Locale.ROOT);
    List<Sample> samples = new ArrayList<>();
    Set<Path> masks = new HashSet<>();
    for (Path img : ImageFolder.images(originals)) {
      String stem = ImageFiles.stem(img);
      int us = stem.lastIndexOf('_');
      int cls = us < 0 || us != stem.length() - 2 ? -1 : LETTERS.indexOf(Character.toUpperCase(stem.charAt(us + 1)));
      if (cls < 0) {
        throw new IllegalArgumentException("FIVES: file name " + img.getFileName()
            + " does not end in _A, _D, _G or _N (the disease letter)");
      }
      Path mask = truths.resolve(originals.relativize(img).toString());
      if (!Files.isRegularFile(mask)) {
        throw new IllegalArgumentException("FIVES: no vessel mask " + mask + " for " + img);
      }
      masks.add(mask.toAbsolutePath().normalize());
      samples.add(new Sample(img.toAbsolutePath().normalize(), "FIVES-" + split + "-" + stem, new int[] {cls},
          mask.toAbsolutePath().normalize()));
    }
    for (Path mask : ImageFolder.images(truths)) {
      if (!masks.contains(mask.toAbsolutePath().normalize())) {
        throw new IllegalArgumentException("FIVES: vessel mask " + mask + " has no image in " + originals);
      }
    }
    return samples;
  }

  private static List<String> names(List<Path> dirs) {
    return dirs.stream().map(d -> d.getFileName().toString()).toList();
  }
}

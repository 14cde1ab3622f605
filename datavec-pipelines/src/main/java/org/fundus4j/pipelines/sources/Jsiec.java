package org.fundus4j.pipelines.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JSIEC data set (Cen et al. 2021, "1000 fundus images with 39 categories") as distributed: one folder per
 * class such as {@code 0.0.Normal}, {@code 1.0.DR2}, {@code 10.0.Possible glaucoma}, JPEG images inside.
 *
 * <p>The widely used archive holds its class folders twice: beside the 39 class folders sits a nested copy of
 * the whole top folder ({@code 1000images/1000images/...}). Pointed at the top folder, a sub-folder whose own
 * sub-folders carry class names of the top folder is taken for such a copy: it is skipped when it holds
 * exactly the same class folders with byte-identical files (logged once), and anything else (a partial
 * copy, other files, other classes) is an error naming the folder and the difference. A top folder holding
 * nothing but one such copy is read through it. So every image is listed once and the copy is never a
 * 40th class.
 *
 * <p>Class indices follow the lexicographic order of the folder names (so {@code 10.0...} sorts before
 * {@code 2...}); the class names are the folder names. JSIEC publishes no patient ids: each image is its
 * own patient (its path below the top folder). Sources: {@code datavec-pipelines/docs/public-layouts.md}.
 *
 * <pre>{@code LabelledSet jsiec = Jsiec.read(Path.of("1000images"));   // 39 classes, 1000 images}</pre>
 */
public final class Jsiec {

  private static final Logger LOG = LoggerFactory.getLogger(Jsiec.class);

  private Jsiec() {}

  /** Reads the folder that holds the class folders (e.g. {@code 1000images/}). */
  public static LabelledSet read(Path root) {
    List<Path> dirs = ImageFolder.subfolders(root);
    if (dirs.size() == 1 && ImageFolder.subfolders(dirs.get(0)).size() > 1 && !hasImagesDirectly(dirs.get(0))) {
      // a wrapper folder: 1000images/ holding only 1000images/<classes>
      return read(dirs.get(0));
    }
    Set<String> names = new TreeSet<>();
    dirs.forEach(d -> names.add(d.getFileName().toString()));
    List<Path> classes = new ArrayList<>();
    for (Path dir : dirs) {
      if (isCopyOfTop(root, dir, names)) {
        LOG.info("JSIEC: skipped {}, an identical nested copy of the class folders of {}", dir.getFileName(), root);
      } else {
        classes.add(dir);
      }
    }
    return ImageFolder.read(root, classes, "JSIEC");
  }

  /**
   * Whether {@code dir} is a copy of the top folder's classes; true only for an exact copy, an error for a
   * folder that looks like one but differs.
   */
  private static boolean isCopyOfTop(Path root, Path dir, Set<String> topNames) {
    List<Path> inner = ImageFolder.subfolders(dir);
    Set<String> innerNames = new TreeSet<>();
    inner.forEach(d -> innerNames.add(d.getFileName().toString()));
    Set<String> shared = new TreeSet<>(innerNames);
    shared.retainAll(topNames);
    if (shared.isEmpty()) {
      return false;
    }
    Set<String> others = new TreeSet<>(topNames);
    others.remove(dir.getFileName().toString());
    String where = "JSIEC: " + dir + " repeats class folders of " + root;
    if (!innerNames.equals(others)) {
      Set<String> onlyTop = new TreeSet<>(others);
      onlyTop.removeAll(innerNames);
      Set<String> onlyInner = new TreeSet<>(innerNames);
      onlyInner.removeAll(others);
      throw new IllegalArgumentException(where + " but not the same set (only in the top folder: " + onlyTop
          + "; only in the copy: " + onlyInner + "); point at the one folder that holds every class once");
    }
    if (hasImagesDirectly(dir)) {
      throw new IllegalArgumentException(where + " and also holds images of its own; point at the one folder "
          + "that holds every class once");
    }
    for (Path copy : inner) {
      Path original = root.resolve(copy.getFileName().toString());
      List<Path> a = ImageFolder.images(original);
      List<Path> b = ImageFolder.images(copy);
      List<Path> ra = a.stream().map(original::relativize).toList();
      List<Path> rb = b.stream().map(copy::relativize).toList();
      if (!ra.equals(rb)) {
        throw new IllegalArgumentException(where + " but " + copy.getFileName() + " holds other files ("
            + a.size() + " in the top folder, " + b.size() + " in the copy); point at the one folder that holds "
            + "every class once");
      }
      for (int i = 0; i < a.size(); i++) {
        if (!sameBytes(a.get(i), b.get(i))) {
          throw new IllegalArgumentException(where + " but " + root.relativize(b.get(i)) + " differs from "
              + root.relativize(a.get(i)) + "; point at the one folder that holds every class once");
        }
      }
    }
    return true;
  }

  private static boolean hasImagesDirectly(Path dir) {
    try (var s = Files.list(dir)) {
      return s.anyMatch(p -> Files.isRegularFile(p) && ImageFiles.isPlainImage(p));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
    }
  }

  private static boolean sameBytes(Path a, Path b) {
    try {
      return Files.mismatch(a, b) == -1L;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot compare " + a + " with " + b + ": " + e.getMessage(), e);
    }
  }
}

package org.fundus4j.pipelines.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * A folder with one sub-folder per class holding plain images (JPEG/PNG/TIFF/BMP), as torchvision's
 * {@code ImageFolder} reads it.
 *
 * <p>Classes are the sub-folder names in lexicographic order; the label of an image is its class index.
 * Two classes give {@link LabelKind#BINARY} (e.g. {@code 0_normal}, {@code 1_abnormal}), more
 * {@link LabelKind#MULTI_CLASS}. Without patient ids, each image is its own patient (its path relative to
 * the folder). Images are searched recursively below each class folder.
 */
public final class ImageFolder {

  private ImageFolder() {}

  /** Reads the layout below {@code root}. */
  public static LabelledSet read(Path root) {
    return read(root, "image folder " + root.getFileName());
  }

  static LabelledSet read(Path root, String layout) {
    return read(root, subfolders(root), layout);
  }

  /** Reads the given class folders of {@code root}, in that order; patient ids are paths relative to {@code root}. */
  static LabelledSet read(Path root, List<Path> classDirs, String layout) {
    if (classDirs.isEmpty()) {
      throw new IllegalArgumentException(layout + ": expected one sub-folder per class in " + root
          + ", found none");
    }
    List<String> names = new ArrayList<>();
    List<Sample> samples = new ArrayList<>();
    for (int c = 0; c < classDirs.size(); c++) {
      Path dir = classDirs.get(c);
      names.add(dir.getFileName().toString());
      for (Path img : images(dir)) {
        String id = root.relativize(img).toString().replace('\\', '/');
        samples.add(new Sample(img.toAbsolutePath().normalize(), id, new int[] {c}, null));
      }
    }
    return new LabelledSet(layout, samples, names, names.size() == 2 ? LabelKind.BINARY : LabelKind.MULTI_CLASS);
  }

  static List<Path> subfolders(Path root) {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException("Not a folder: " + root);
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + root + ": " + e.getMessage(), e);
    }
  }

  /** Returns the plain images below {@code dir}, recursively, sorted by path. */
  static List<Path> images(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).filter(ImageFiles::isPlainImage).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + dir + ": " + e.getMessage(), e);
    }
  }
}

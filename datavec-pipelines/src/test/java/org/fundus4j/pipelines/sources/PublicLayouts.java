package org.fundus4j.pipelines.sources;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Builds tiny copies of the public data sets' published folder structures at test time (sources of each
 * structure: {@code datavec-pipelines/docs/public-layouts.md}); every image is a distinct 8x8 PNG or JPEG.
 */
final class PublicLayouts {

  /** RFMiD's 47 CSV columns, in the published order (ID, Disease_Risk, then the 45 conditions). */
  static final List<String> RFMID_HEADER = List.of("ID", "Disease_Risk", "DR", "ARMD", "MH", "DN", "MYA", "BRVO",
      "TSLN", "ERM", "LS", "MS", "CSR", "ODC", "CRVO", "TV", "AH", "ODP", "ODE", "ST", "AION", "PT", "RT", "RS",
      "CRS", "EDN", "RPEC", "MHL", "RP", "CWS", "CB", "ODPM", "PRH", "MNF", "HR", "CRAO", "TD", "CME", "PTCR", "CF",
      "VH", "MCA", "VS", "BRAO", "PLQ", "HPED", "CL");

  private static int counter;

  private PublicLayouts() {}

  /** Writes a distinct tiny image (PNG, or JPEG for a {@code .jpg} name). */
  static Path image(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
    int n = ++counter;
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        img.setRGB(x, y, ((n * 37) & 0xff) << 16 | ((n * 11 + x) & 0xff) << 8 | ((n + y) & 0xff));
      }
    }
    String name = file.getFileName().toString();
    ImageIO.write(img, name.endsWith(".jpg") ? "jpg" : "png", file.toFile());
    return file;
  }

  /**
   * Writes one RFMiD split: {@code csv} with the real header and rows for IDs 1..n (IDs restart at 1 in each
   * split), and {@code <ID>.png} in {@code imageDir}; row {@code i} has the columns in {@code set[i]} at 1.
   */
  static Path rfmidSplit(Path csv, Path imageDir, List<List<String>> set) throws IOException {
    StringBuilder sb = new StringBuilder(String.join(",", RFMID_HEADER)).append('\n');
    for (int i = 0; i < set.size(); i++) {
      List<String> row = new ArrayList<>();
      row.add(Integer.toString(i + 1));
      for (String c : RFMID_HEADER.subList(1, RFMID_HEADER.size())) {
        boolean on = set.get(i).contains(c) || (c.equals("Disease_Risk") && !set.get(i).isEmpty());
        row.add(on ? "1" : "0");
      }
      sb.append(String.join(",", row)).append('\n');
      image(imageDir.resolve((i + 1) + ".png"));
    }
    Files.createDirectories(csv.getParent());
    Files.writeString(csv, sb);
    return csv;
  }

  /** Writes JSIEC class folders with {@code perClass} JPEGs each into {@code root}. */
  static void jsiecClasses(Path root, List<String> classes, int perClass) throws IOException {
    for (String c : classes) {
      for (int i = 0; i < perClass; i++) {
        image(root.resolve(c).resolve(c.replace(' ', '_') + "-" + i + ".jpg"));
      }
    }
  }

  /** Copies {@code from}'s class folders byte for byte into {@code to} (the archive's nested copy). */
  static void copyTree(Path from, Path to) throws IOException {
    try (var s = Files.walk(from)) {
      for (Path p : s.sorted().toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          if (!p.equals(to) && !p.startsWith(to)) {
            Files.createDirectories(target);
          }
        } else if (!p.startsWith(to)) {
          Files.copy(p, target);
        }
      }
    }
  }

  /** Writes a FIVES split folder with images {@code names} in {@code Original} and their masks. */
  static void fivesSplit(Path split, List<String> names) throws IOException {
    for (String n : names) {
      image(split.resolve("Original").resolve(n));
      image(split.resolve("Ground truth").resolve(n));
    }
  }
}

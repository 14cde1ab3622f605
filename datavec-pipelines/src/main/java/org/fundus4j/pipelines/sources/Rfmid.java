package org.fundus4j.pipelines.sources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.pipelines.Csv;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * The RFMiD data set layout (Pachade et al. 2021): an image folder ({@code 1.png}, {@code 2.png}, ...)
 * and a CSV with column {@code ID} and one 0/1 column per disease ({@code Disease_Risk,DR,ARMD,MH,...}).
 *
 * <p>The image of row {@code ID} is {@code <imageDir>/<ID>.png} (or {@code .jpg}/{@code .tif}). RFMiD
 * publishes no patient ids: each image is its own patient, {@code "RFMiD-<ID>"}. Choosing one column
 * (e.g. {@code Disease_Risk}) gives binary labels; several give multi-label.
 */
public final class Rfmid {

  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff");

  private Rfmid() {}

  /** Reads every disease column (all columns after {@code ID}) as multi-label. */
  public static LabelledSet read(Path labelsCsv, Path imageDir) {
    Csv.Table t = Csv.read(labelsCsv);
    int id = t.requireColumn("ID");
    List<String> columns = new ArrayList<>();
    for (int c = 0; c < t.header().size(); c++) {
      if (c != id) {
        columns.add(t.header().get(c).trim());
      }
    }
    return read(t, imageDir, columns);
  }

  /** Reads only the given disease columns, in that order. */
  public static LabelledSet read(Path labelsCsv, Path imageDir, List<String> columns) {
    return read(Csv.read(labelsCsv), imageDir, columns);
  }

  private static LabelledSet read(Csv.Table t, Path imageDir, List<String> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException(t.file() + ": no disease columns selected");
    }
    int id = t.requireColumn("ID");
    int[] cols = columns.stream().mapToInt(t::requireColumn).toArray();
    List<Sample> samples = new ArrayList<>();
    for (int r = 0; r < t.rows().size(); r++) {
      String key = t.rows().get(r).get(id).trim();
      Path image = find(imageDir, key);
      if (image == null) {
        throw new IllegalArgumentException(t.file() + " line " + t.lines().get(r) + ": no image " + key
            + ".png/.jpg/.tif in " + imageDir);
      }
      int[] labels = new int[cols.length];
      for (int i = 0; i < cols.length; i++) {
        labels[i] = Csv.parseInt(t, r, cols[i]);
      }
      samples.add(new Sample(image, "RFMiD-" + key, labels, null));
    }
    if (cols.length == 1) {
      return new LabelledSet("RFMiD", samples, List.of(columns.get(0) + "=0", columns.get(0) + "=1"),
          LabelKind.BINARY);
    }
    return new LabelledSet("RFMiD", samples, columns, LabelKind.MULTI_LABEL);
  }

  private static Path find(Path dir, String id) {
    for (String ext : EXTENSIONS) {
      Path p = dir.resolve(id + ext);
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    return null;
  }
}

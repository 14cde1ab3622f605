package org.fundus4j.pipelines.sources;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to read for a task: a layout, the path a user points at, and the optional choices of labels.
 *
 * <pre>{@code
 * DataRequest r = new DataRequest(Layout.RFMID, Path.of("RFMiD/Test_Set/RFMiD_Testing_Labels.csv"), null, null,
 *     LabelMap.paperSeven(Layout.RFMID));
 * LabelledSet test = TaskData.read(r, LabelKind.MULTI_LABEL);
 * }</pre>
 *
 * @param layout how {@code path} is laid out
 * @param path the labels CSV or folder, as {@link Layout} says
 * @param images nullable; RFMiD only: the image folder, when it cannot be found beside the CSV
 * @param columns nullable; RFMiD only: the label columns to read, in order (instead of a label map)
 * @param labelMap nullable; source columns or classes OR-merged into target labels
 */
public record DataRequest(Layout layout, Path path, Path images, List<String> columns, LabelMap labelMap) {

  /** Checks the combination and copies {@code columns}. */
  public DataRequest {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(path, "path");
    if (images != null && layout != Layout.RFMID) {
      throw new IllegalArgumentException("--images is for layout rfmid only, got layout " + layout.word());
    }
    if (columns != null) {
      if (layout != Layout.RFMID) {
        throw new IllegalArgumentException("--columns is for layout rfmid only, got layout " + layout.word()
            + "; use --label-map to select or merge labels");
      }
      if (columns.isEmpty()) {
        throw new IllegalArgumentException("--columns: no columns given");
      }
      columns = List.copyOf(columns);
      if (labelMap != null) {
        throw new IllegalArgumentException("give --columns or --label-map, not both (a label map selects columns too)");
      }
    }
  }

  /** A request with only a layout and a path. */
  public static DataRequest of(Layout layout, Path path) {
    return new DataRequest(layout, path, null, null, null);
  }

  /**
   * What defines the data, for {@code run.json} and reports: {@code layout}, {@code data} (absolute path) and,
   * when given, {@code images}, {@code columns} and {@code labelMap} (its text form), in that order.
   */
  public Map<String, String> describe() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("layout", layout.word());
    d.put("data", path.toAbsolutePath().normalize().toString());
    if (images != null) {
      d.put("images", images.toAbsolutePath().normalize().toString());
    }
    if (columns != null) {
      d.put("columns", String.join(",", columns));
    }
    if (labelMap != null) {
      d.put("labelMap", labelMap.text());
    }
    return d;
  }
}

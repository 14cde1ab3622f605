package org.fundus4j.pipelines.sources;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which data set to read and how: a layout, the path a user points at, and the optional RFMiD image folder,
 * column choice and label map.
 *
 * @param layout how the data lie on disk
 * @param path the labels CSV or folder
 * @param images RFMiD's image folder; null to find it beside the CSV
 * @param columns label columns to keep; null for the layout's default
 * @param labelMap target labels merged from source columns; null for none
 */
public record DataRequest(Layout layout, Path path, Path images, List<String> columns, LabelMap labelMap) {
  public DataRequest {
    Objects.requireNonNull(layout, "layout");
    Objects.requireNonNull(path, "path");
    columns = columns == null ? null : List.copyOf(columns);
  }

  /** What defines the data, for {@code run.json} and reports. */
  public Map<String, String> describe() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("data", path.toAbsolutePath().normalize().toString());
    d.put("layout", layout.word());
    if (images != null) {
      d.put("images", images.toAbsolutePath().normalize().toString());
    }
    if (columns != null) {
      d.put("columns", String.join(",", columns));
    }
    if (labelMap != null) {
      d.put("label-map", labelMap.targets().toString());
    }
    return d;
  }
}

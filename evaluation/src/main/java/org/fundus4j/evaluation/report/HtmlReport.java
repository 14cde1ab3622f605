package org.fundus4j.evaluation.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fundus4j.evaluation.stats.Table1;
import org.fundus4j.io.AtomicFiles;

/**
 * A self-contained HTML report of a run: tables, plots, a Grad-CAM gallery and the t-SNE picture
 * in one folder ({@code index.html} plus {@code images/}) that opens in any browser without a
 * network connection (no scripts, no external resources).
 *
 * <pre>{@code
 * Path index = HtmlReport.builder("Glaucoma, 5-fold CV")
 *     .syntheticData(true)
 *     .addTable(table1)
 *     .addImage("ROC curves", rocPng)
 *     .addGradCam("Case 17, glaucoma", overlayPng)
 *     .tsne("Backbone embeddings", tsnePng)
 *     .build()
 *     .write(Path.of("report"));
 * }</pre>
 */
public final class HtmlReport {
  private sealed interface Section permits Text, Table, Image, GradCam, TsneImage {}

  private record Text(String heading, String body) implements Section {}

  private record Table(String caption, List<String> header, List<List<String>> rows) implements Section {}

  private record Image(String caption, Path file) implements Section {}

  private record GradCam(String caption, Path file) implements Section {}

  private record TsneImage(String caption, Path file) implements Section {}

  private final String title;
  private final boolean syntheticData;
  private final List<Section> sections;

  private HtmlReport(Builder b) {
    this.title = b.title;
    this.syntheticData = b.syntheticData;
    this.sections = List.copyOf(b.sections);
  }

  /** Starts a report with its title. */
  public static Builder builder(String title) {
    return new Builder(title);
  }

  /** Collects the sections of a report in the order they are added. */
  public static final class Builder {
    private final String title;
    private boolean syntheticData;
    private final List<Section> sections = new ArrayList<>();

    private Builder(String title) {
      if (title == null || title.isBlank()) {
        throw new IllegalArgumentException("report title must not be blank");
      }
      this.title = title;
    }

    /** When true, a banner says the numbers come from synthetic data, not patients. */
    public Builder syntheticData(boolean synthetic) {
      this.syntheticData = synthetic;
      return this;
    }

    /** Adds a heading and a paragraph of plain text. */
    public Builder addText(String heading, String body) {
      sections.add(new Text(heading, body));
      return this;
    }

    /** Adds a table; every row must have as many cells as the header. */
    public Builder addTable(String caption, List<String> header, List<List<String>> rows) {
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i).size() != header.size()) {
          throw new IllegalArgumentException("table '" + caption + "' row " + i + " has "
              + rows.get(i).size() + " cells, header has " + header.size());
        }
      }
      List<List<String>> copy = rows.stream().map(List::copyOf).toList();
      sections.add(new Table(caption, List.copyOf(header), copy));
      return this;
    }

    /** Adds a {@link Table1} with its baseline named in the caption. */
    public Builder addTable(Table1 table) {
      Table1.Key b = table.baseline();
      return addTable("AUC by pretraining start, resolution and protocol (DeLong p vs "
          + b.start() + " " + b.resolution() + " " + b.protocol().abbreviation() + ")",
          table.header(), table.rows());
    }

    /** Adds a picture (e.g. a plot); the PNG/JPEG is copied into the report folder. */
    public Builder addImage(String caption, Path file) {
      sections.add(new Image(caption, existing(file)));
      return this;
    }

    /** Adds one Grad-CAM overlay to the gallery. */
    public Builder addGradCam(String caption, Path file) {
      sections.add(new GradCam(caption, existing(file)));
      return this;
    }

    /** Adds the t-SNE picture. */
    public Builder tsne(String caption, Path file) {
      sections.add(new TsneImage(caption, existing(file)));
      return this;
    }

    /** Returns the report. */
    public HtmlReport build() {
      return new HtmlReport(this);
    }

    private static Path existing(Path file) {
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("image not found: " + file.toAbsolutePath());
      }
      return file;
    }
  }

  /**
   * Writes {@code dir/index.html} and copies the images to {@code dir/images/}; creates the
   * folder, overwrites a previous report there.
   *
   * @return the path of index.html
   */
  public Path write(Path dir) throws IOException {
    Path images = dir.resolve("images");
    Files.createDirectories(images);
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(esc(title)).append("</title>\n<style>\n").append(CSS)
        .append("</style>\n</head>\n<body>\n<h1>").append(esc(title)).append("</h1>\n");
    if (syntheticData) {
      html.append("<p class=\"banner\" id=\"synthetic-banner\">Synthetic data: these numbers and pictures "
          + "come from generated data, not from patients. Research use only, not a medical device.</p>\n");
    }
    int n = 0;
    boolean inGallery = false;
    for (Section s : sections) {
      if (inGallery && !(s instanceof GradCam)) {
        html.append("</div>\n</section>\n");
        inGallery = false;
      }
      if (s instanceof Text t) {
        html.append("<section>\n<h2>").append(esc(t.heading())).append("</h2>\n<p>")
            .append(esc(t.body())).append("</p>\n</section>\n");
      } else if (s instanceof Table t) {
        html.append("<section>\n<table>\n<caption>").append(esc(t.caption())).append("</caption>\n<thead><tr>");
        for (String h : t.header()) {
          html.append("<th>").append(esc(h)).append("</th>");
        }
        html.append("</tr></thead>\n<tbody>\n");
        for (List<String> r : t.rows()) {
          html.append("<tr>");
          for (String c : r) {
            html.append("<td>").append(esc(c)).append("</td>");
          }
          html.append("</tr>\n");
        }
        html.append("</tbody>\n</table>\n</section>\n");
      } else if (s instanceof Image i) {
        String src = copy(i.file(), images, ++n);
        html.append("<section>\n<figure><img src=\"").append(src).append("\" alt=\"")
            .append(esc(i.caption())).append("\"><figcaption>").append(esc(i.caption()))
            .append("</figcaption></figure>\n</section>\n");
      } else if (s instanceof GradCam g) {
        if (!inGallery) {
          html.append("<section>\n<h2>Grad-CAM</h2>\n<div class=\"gallery\">\n");
          inGallery = true;
        }
        String src = copy(g.file(), images, ++n);
        html.append("<figure><img src=\"").append(src).append("\" alt=\"").append(esc(g.caption()))
            .append("\"><figcaption>").append(esc(g.caption())).append("</figcaption></figure>\n");
      } else if (s instanceof TsneImage t) {
        String src = copy(t.file(), images, ++n);
        html.append("<section>\n<h2>t-SNE</h2>\n<figure><img src=\"").append(src).append("\" alt=\"")
            .append(esc(t.caption())).append("\"><figcaption>").append(esc(t.caption()))
            .append("</figcaption></figure>\n</section>\n");
      }
    }
    if (inGallery) {
      html.append("</div>\n</section>\n");
    }
    html.append("<footer>Made by fundus4j. Research use only, not a medical device.</footer>\n")
        .append("</body>\n</html>\n");
    Path index = dir.resolve("index.html");
    AtomicFiles.writeString(index, html.toString());
    return index;
  }

  private static String copy(Path file, Path images, int n) throws IOException {
    String name = file.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
    String target = String.format(Locale.ROOT, "%02d-%s", n, name);
    Files.copy(file, images.resolve(target), StandardCopyOption.REPLACE_EXISTING);
    return "images/" + target;
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  private static final String CSS = """
      body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
      h1 { font-size: 1.6em; }
      .banner { background: #fff3cd; border: 1px solid #e0b000; padding: .6em 1em; font-weight: bold; }
      table { border-collapse: collapse; margin: 1em 0; }
      caption { text-align: left; font-weight: bold; padding-bottom: .4em; }
      th, td { border: 1px solid #bbb; padding: .3em .7em; text-align: right; }
      th:first-child, td:first-child { text-align: left; }
      thead { background: #eef; }
      figure { margin: 1em 0; }
      figure img { max-width: 100%; border: 1px solid #ddd; }
      figcaption { font-size: .9em; color: #555; }
      .gallery { display: flex; flex-wrap: wrap; gap: 1em; }
      .gallery figure { width: 320px; margin: 0; }
      footer { margin-top: 3em; font-size: .8em; color: #777; }
      """;
}

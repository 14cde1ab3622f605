package org.fundus4j.pipelines.sources;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * Target label -> source columns/classes OR-merged into it, in order; e.g. RVO = BRVO | CRVO.
 *
 * <p>Applied to a multi-label source (RFMiD's disease columns, a generic CSV's label columns), a target is 1
 * when any of its source columns is 1. Applied to a multi-class or binary source (JSIEC's class folders, an
 * image folder), a target is 1 when the image's class is one of its sources; images of classes no target
 * names get all zeros (for JSIEC: normal fundi and the diseases outside the map). Source names match
 * case-insensitively; a name the source does not have is an error listing the names it has.
 *
 * <p>{@link #paperSeven(Layout)} is the map onto the paper's seven labels ({@link #PAPER_SEVEN}, Jang et al.
 * 2024). Labels a data set has no source for are <b>omitted</b> from its map, never guessed: RFMiD has no
 * glaucoma-suspect column (Glaucoma_suspect omitted), JSIEC has no AMD and no confirmed-glaucoma class (AMD
 * and Glaucoma omitted). The sources chosen for the others are fundus4j's reading of the column and folder
 * names (the paper publishes no mapping); see {@code datavec-pipelines/docs/public-layouts.md}.
 *
 * <p>Text form (the {@code --label-map} option): {@code TARGET=SOURCE|SOURCE,TARGET=SOURCE,...}, e.g.
 * {@code RVO=BRVO|CRVO,DR=DR}; {@code paper} means {@link #paperSeven(Layout)} for the layout at hand.
 *
 * <pre>{@code
 * LabelMap map = LabelMap.parse("RVO=BRVO|CRVO,AMD=ARMD", Layout.RFMID);
 * LabelledSet two = map.apply(Rfmid.read(csv));   // multi-label, classes [RVO, AMD]
 * }</pre>
 *
 * @param targets target label -> its source columns or classes, in order (copied, order kept)
 */
public record LabelMap(Map<String, List<String>> targets) {

  /** The paper's seven labels, in the order of its inference notebook. */
  public static final List<String> PAPER_SEVEN =
      List.of("AMD", "Glaucoma", "Glaucoma_suspect", "DR", "Pathologic myopia", "ERM", "RVO");

  /** Checks that there is at least one target, each with a name and at least one source; copies in order. */
  public LabelMap {
    Objects.requireNonNull(targets, "targets");
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("label map: no targets; expected TARGET=SOURCE|SOURCE,...");
    }
    Map<String, List<String>> copy = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : targets.entrySet()) {
      String target = e.getKey() == null ? "" : e.getKey().trim();
      if (target.isEmpty()) {
        throw new IllegalArgumentException("label map: a target has no name in " + targets);
      }
      List<String> sources = new ArrayList<>();
      for (String s : e.getValue() == null ? List.<String>of() : e.getValue()) {
        String source = s == null ? "" : s.trim();
        if (source.isEmpty()) {
          throw new IllegalArgumentException("label map: target '" + target + "' has an empty source name");
        }
        sources.add(source);
      }
      if (sources.isEmpty()) {
        throw new IllegalArgumentException("label map: target '" + target + "' has no source column or class");
      }
      if (copy.put(target, List.copyOf(sources)) != null) {
        throw new IllegalArgumentException("label map: target '" + target + "' appears twice");
      }
    }
    targets = Collections.unmodifiableMap(copy);
  }

  /**
   * The paper's seven labels from RFMiD's columns or JSIEC's class folders, minus those the data set has no
   * source for (see the class comment).
   *
   * <ul>
   *   <li>RFMiD: AMD = ARMD, Glaucoma = ODC (optic disc cupping), DR = DR, Pathologic myopia = MYA, ERM = ERM,
   *       RVO = BRVO | CRVO; Glaucoma_suspect omitted.
   *   <li>JSIEC: Glaucoma_suspect = 10.0.Possible glaucoma, DR = 0.3.DR1 | 1.0.DR2 | 1.1.DR3,
   *       Pathologic myopia = 9.Pathological myopia, ERM = 7.ERM, RVO = 2.0.BRVO | 2.1.CRVO; AMD and Glaucoma
   *       omitted.
   * </ul>
   */
  public static LabelMap paperSeven(Layout layout) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    switch (layout) {
      case RFMID -> {
        m.put("AMD", List.of("ARMD"));
        m.put("Glaucoma", List.of("ODC"));
        m.put("DR", List.of("DR"));
        m.put("Pathologic myopia", List.of("MYA"));
        m.put("ERM", List.of("ERM"));
        m.put("RVO", List.of("BRVO", "CRVO"));
      }
      case JSIEC -> {
        m.put("Glaucoma_suspect", List.of("10.0.Possible glaucoma"));
        m.put("DR", List.of("0.3.DR1", "1.0.DR2", "1.1.DR3"));
        m.put("Pathologic myopia", List.of("9.Pathological myopia"));
        m.put("ERM", List.of("7.ERM"));
        m.put("RVO", List.of("2.0.BRVO", "2.1.CRVO"));
      }
      default -> throw new IllegalArgumentException("No paper label map for layout " + layout.word()
          + " (only rfmid and jsiec have one); give the map as TARGET=SOURCE|SOURCE,...");
    }
    return new LabelMap(m);
  }

  /** The paper labels {@link #paperSeven(Layout)} leaves out for {@code layout}, because it has no source. */
  public static List<String> paperOmissions(Layout layout) {
    List<String> out = new ArrayList<>(PAPER_SEVEN);
    out.removeAll(paperSeven(layout).targets().keySet());
    return List.copyOf(out);
  }

  /**
   * Parses the text form {@code TARGET=SOURCE|SOURCE,...}; {@code paper} gives {@link #paperSeven(Layout)}.
   *
   * @param layout the layout the map is for (used by {@code paper} only)
   */
  public static LabelMap parse(String text, Layout layout) {
    String t = text == null ? "" : text.trim();
    if (t.equalsIgnoreCase("paper")) {
      return paperSeven(layout);
    }
    Map<String, List<String>> m = new LinkedHashMap<>();
    for (String part : t.split(",")) {
      int eq = part.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("--label-map: expected TARGET=SOURCE|SOURCE,... or 'paper', got '"
            + part.trim() + "' in '" + text + "'");
      }
      String target = part.substring(0, eq).trim();
      if (m.containsKey(target)) {
        throw new IllegalArgumentException("--label-map: target '" + target + "' appears twice in '" + text + "'");
      }
      m.put(target, List.of(part.substring(eq + 1).split("\\|", -1)));
    }
    return new LabelMap(m);
  }

  /** The target names, in order. */
  public List<String> targetNames() {
    return List.copyOf(targets.keySet());
  }

  /** The text form, {@code TARGET=SOURCE|SOURCE,...}, which {@link #parse} reads back. */
  public String text() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, List<String>> e : targets.entrySet()) {
      if (!sb.isEmpty()) {
        sb.append(',');
      }
      sb.append(e.getKey()).append('=').append(String.join("|", e.getValue()));
    }
    return sb.toString();
  }

  /**
   * The set with one 0/1 label per target ({@link LabelKind#MULTI_LABEL}, class names = targets), images,
   * patients and masks unchanged.
   *
   * @throws IllegalArgumentException naming the source name the set lacks and the names it has, or when the
   *     set has segmentation labels
   */
  public LabelledSet apply(LabelledSet set) {
    if (set.kind() == LabelKind.SEGMENTATION) {
      throw new IllegalArgumentException("label map: " + set.layout() + " has vessel masks, no labels to map");
    }
    int[][] sources = new int[targets.size()][];
    int t = 0;
    for (Map.Entry<String, List<String>> e : targets.entrySet()) {
      sources[t++] = e.getValue().stream().mapToInt(name -> indexOf(set, e.getKey(), name)).toArray();
    }
    boolean multiLabel = set.kind() == LabelKind.MULTI_LABEL;
    List<Sample> out = new ArrayList<>(set.samples().size());
    for (Sample s : set.samples()) {
      int[] labels = new int[sources.length];
      for (int i = 0; i < sources.length; i++) {
        for (int src : sources[i]) {
          if (multiLabel ? s.label(src) != 0 : s.label(0) == src) {
            labels[i] = 1;
          }
        }
      }
      out.add(new Sample(s.image(), s.patientId(), labels, s.mask()));
    }
    return new LabelledSet(set.layout(), out, targetNames(), LabelKind.MULTI_LABEL);
  }

  private static int indexOf(LabelledSet set, String target, String name) {
    for (int c = 0; c < set.classNames().size(); c++) {
      if (set.classNames().get(c).equalsIgnoreCase(name)) {
        return c;
      }
    }
    boolean columns = set.kind() == LabelKind.MULTI_LABEL;
    throw new IllegalArgumentException("label map: target '" + target + "' names " + (columns ? "column" : "class")
        + " '" + name + "', which " + set.layout() + " does not have; its " + (columns ? "columns" : "classes")
        + " are " + set.classNames());
  }

  /** The text form. */
  @Override
  public String toString() {
    return text();
  }
}

package org.fundus4j.pipelines.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fundus4j.pipelines.Csv;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * The RFMiD data set (Pachade et al. 2021, the ISBI 2021 RIADD challenge) as its public downloads unpack: per
 * split a labels CSV with column {@code ID} and one 0/1 column per condition ({@code Disease_Risk,DR,ARMD,MH,...})
 * and an image folder of {@code <ID>.png}.
 *
 * <p>Each split is read from its CSV alone: the image folder is found beside the CSV or one or two levels
 * below its parent folder, by the split's name, and must hold an image for every row. The split is told by
 * the CSV's name ({@code ..._Training_Labels.csv}, {@code ..._Validation_Labels.csv},
 * {@code ..._Testing_Labels.csv}); its folder is named {@code Training}, {@code Validation} or
 * {@code Evaluation}, {@code Test} or {@code Testing}, optionally with a {@code "a. "} prefix and a
 * {@code " Set"} suffix. This covers the Kaggle mirror ({@code Training_Set/RFMiD_Training_Labels.csv} beside
 * {@code Training_Set/Training/}, {@code Evaluation_Set/.../Validation/}, {@code Test_Set/.../Test/}), copies
 * with the three CSVs in one folder beside {@code Training/ Validation/ Test/}, and IEEE DataPort's
 * {@code 2. Groundtruths/a. RFMiD_Training_Labels.csv} with {@code 1. Original Images/a. Training Set/}. When
 * no folder, or more than one, fits, the error lists what was found and asks for the image folder. Sources
 * of these layouts: {@code datavec-pipelines/docs/public-layouts.md}.
 *
 * <p>RFMiD publishes no patient ids, and image IDs restart at 1 in every split: each image is its own
 * patient, {@code "RFMiD-<split>-<ID>"} (e.g. {@code RFMiD-Test-12}), so patients never collide across
 * splits. Choosing one column (e.g. {@code Disease_Risk}) gives binary labels; several give multi-label.
 *
 * <pre>{@code
 * LabelledSet test = Rfmid.read(Path.of("RFMiD/Test_Set/RFMiD_Testing_Labels.csv"));   // images: Test_Set/Test
 * }</pre>
 */
public final class Rfmid {

  /** RFMiD's "any disease" column. */
  public static final String ANY_DISEASE = "Disease_Risk";

  private static final List<String> EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".tif", ".tiff");

  /** The three published splits, with the words their CSVs and folders are named by. */
  public enum Split {
    /** 1920 images, {@code RFMiD_Training_Labels.csv}, folder {@code Training}. */
    TRAINING("Training", Set.of("training", "train", "trainingset")),
    /** 640 images, {@code RFMiD_Validation_Labels.csv}, folder {@code Validation} (in {@code Evaluation_Set}). */
    VALIDATION("Validation", Set.of("validation", "validationset", "evaluation", "evaluationset", "val")),
    /** 640 images, {@code RFMiD_Testing_Labels.csv}, folder {@code Test}. */
    TEST("Test", Set.of("test", "testing", "testset", "testingset"));

    private final String word;
    private final Set<String> folderNames;

    Split(String word, Set<String> folderNames) {
      this.word = word;
      this.folderNames = folderNames;
    }

    /** The split's word in patient ids: {@code Training}, {@code Validation} or {@code Test}. */
    public String word() {
      return word;
    }

    /** Whether a folder of this name holds this split's images (e.g. {@code "a. Training Set"}). */
    public boolean namesFolder(String folderName) {
      return folderNames.contains(normalise(folderName));
    }

    /** The split a labels CSV's file name says, or {@code null} when it names none or several. */
    public static Split ofCsv(Path csv) {
      String name = csv.getFileName().toString().toLowerCase(Locale.ROOT);
      List<Split> said = new ArrayList<>();
      if (name.contains("train")) {
        said.add(TRAINING);
      }
      if (name.contains("valid") || name.contains("eval")) {
        said.add(VALIDATION);
      }
      if (name.contains("test")) {
        said.add(TEST);
      }
      return said.size() == 1 ? said.get(0) : null;
    }

    private static String normalise(String folderName) {
      return folderName.toLowerCase(Locale.ROOT).replaceFirst("^[a-z0-9]{1,2}\\.\\s*", "").replaceAll("[^a-z]", "");
    }
  }

  private Rfmid() {}

  /** Reads every column after {@code ID} as multi-label; the image folder is found from the CSV. */
  public static LabelledSet read(Path labelsCsv) {
    return read(labelsCsv, null, null);
  }

  /** Reads every column after {@code ID} as multi-label, images in {@code imageDir} (null: found from the CSV). */
  public static LabelledSet read(Path labelsCsv, Path imageDir) {
    return read(labelsCsv, imageDir, null);
  }

  /**
   * Reads the given columns, in that order (null: every column after {@code ID}).
   *
   * @param imageDir the image folder; null to find it from the CSV ({@link #findImages})
   */
  public static LabelledSet read(Path labelsCsv, Path imageDir, List<String> columns) {
    Csv.Table t = Csv.read(labelsCsv);
    List<String> cols = columns != null ? columns : columns(t);
    if (cols.isEmpty()) {
      throw new IllegalArgumentException(labelsCsv + ": no label columns selected");
    }
    Path dir = imageDir != null ? imageDir : findImages(t);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("RFMiD images " + dir + ": no such folder");
    }
    String prefix = "RFMiD-" + splitWord(labelsCsv) + "-";
    int id = t.requireColumn("ID");
    int[] idx = cols.stream().mapToInt(t::requireColumn).toArray();
    List<Sample> samples = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int r = 0; r < t.rows().size(); r++) {
      String key = t.rows().get(r).get(id).trim();
      if (!seen.add(key)) {
        throw new IllegalArgumentException(labelsCsv + " line " + t.lines().get(r) + ": ID " + key
            + " appears twice; each image must be listed once");
      }
      Path image = find(dir, key);
      if (image == null) {
        throw new IllegalArgumentException(labelsCsv + " line " + t.lines().get(r) + ": no image " + key
            + ".png/.jpg/.tif in " + dir);
      }
      int[] labels = new int[idx.length];
      for (int i = 0; i < idx.length; i++) {
        labels[i] = Csv.parseInt(t, r, idx[i]);
      }
      samples.add(new Sample(image, prefix + key, labels, null));
    }
    if (idx.length == 1) {
      return new LabelledSet("RFMiD", samples, List.of(cols.get(0) + "=0", cols.get(0) + "=1"), LabelKind.BINARY);
    }
    return new LabelledSet("RFMiD", samples, cols, LabelKind.MULTI_LABEL);
  }

  /** The label columns of a labels CSV: every column after {@code ID}, in file order. */
  public static List<String> columns(Path labelsCsv) {
    return columns(Csv.read(labelsCsv));
  }

  /**
   * Finds the folder holding the images of a split's labels CSV (see the class comment).
   *
   * @throws IllegalArgumentException naming the CSV, the folders found and what to pass, when no single
   *     folder named for the split holds every row's image
   */
  public static Path findImages(Path labelsCsv) {
    return findImages(Csv.read(labelsCsv));
  }

  private static Path findImages(Csv.Table t) {
    Path csv = t.file().toAbsolutePath().normalize();
    Split split = Split.ofCsv(csv);
    int id = t.requireColumn("ID");
    List<String> ids = t.rows().stream().map(r -> r.get(id).trim()).toList();
    if (ids.isEmpty()) {
      throw new IllegalArgumentException(csv + ": no rows");
    }
    List<Path> named = new ArrayList<>();
    for (Path dir : nearbyFolders(csv.getParent())) {
      if (split == null || split.namesFolder(dir.getFileName().toString())) {
        named.add(dir);
      }
    }
    Map<Path, Integer> held = new LinkedHashMap<>();
    List<Path> complete = new ArrayList<>();
    for (Path dir : named) {
      int n = countHeld(dir, ids, split != null);
      if (n == ids.size()) {
        complete.add(dir);
      } else if (n > 0) {
        held.put(dir, n);
      }
    }
    String pass = "; give the image folder (--images)";
    if (complete.size() == 1) {
      return complete.get(0);
    }
    if (complete.size() > 1) {
      throw new IllegalArgumentException(csv + ": " + complete.size() + " folders hold all " + ids.size()
          + " images of this CSV (" + (split == null ? "its name says no split: Training, Validation or Test"
          : "split " + split.word()) + "): " + complete + pass);
    }
    if (split == null) {
      throw new IllegalArgumentException(csv + ": the file name says no RFMiD split (Training, Validation or "
          + "Test) and no folder beside it holds all " + ids.size() + " images" + pass);
    }
    String partial = held.entrySet().stream().map(e -> e.getKey() + " holds " + e.getValue() + " of " + ids.size())
        .collect(Collectors.joining(", "));
    throw new IllegalArgumentException(csv + ": no folder named for split " + split.word() + " (e.g. '"
        + split.word() + "', 'a. " + split.word() + " Set') beside the CSV or below its parent holds all "
        + ids.size() + " images " + ids.get(0) + ".png..." + (partial.isEmpty() ? "" : " (" + partial + ")") + pass);
  }

  private static List<String> columns(Csv.Table t) {
    int id = t.requireColumn("ID");
    List<String> columns = new ArrayList<>();
    for (int c = 0; c < t.header().size(); c++) {
      if (c != id) {
        columns.add(t.header().get(c).trim());
      }
    }
    return columns;
  }

  private static String splitWord(Path csv) {
    Split split = Split.ofCsv(csv);
    if (split != null) {
      return split.word();
    }
    String name = csv.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot > 0 ? name.substring(0, dot) : name;
  }

  /** The CSV's folder, its parent, and the folders up to two levels below either (no hidden ones). */
  private static List<Path> nearbyFolders(Path csvDir) {
    Set<Path> out = new LinkedHashSet<>();
    out.add(csvDir);
    Path parent = csvDir.getParent();
    addFolders(parent != null ? parent : csvDir, out);
    addFolders(csvDir, out);
    return new ArrayList<>(out);
  }

  private static void addFolders(Path top, Set<Path> out) {
    try (Stream<Path> s = Files.walk(top, 2)) {
      s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().forEach(out::add);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list " + top + ": " + e.getMessage(), e);
    }
  }

  /** How many of {@code ids} have an image in {@code dir}; with {@code count} false, stops at the first missing. */
  private static int countHeld(Path dir, List<String> ids, boolean count) {
    int n = 0;
    for (String id : ids) {
      if (find(dir, id) != null) {
        n++;
      } else if (!count) {
        return n;
      }
    }
    return n;
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

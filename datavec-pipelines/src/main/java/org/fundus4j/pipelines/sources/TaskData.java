package org.fundus4j.pipelines.sources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/** Reads a {@link DataRequest} in the labels a task needs: the one place the CLI, the grid and Spark read data. */
public final class TaskData {

  /** RFMiD's "any disease" column, the binary label when training normal/abnormal on RFMiD. */
  public static final String RFMID_ANY = "Disease_Risk";

  private TaskData() {}

  /** The images of the request with labels of {@code kind}; fails naming the path and what to pass. */
  public static LabelledSet read(DataRequest request, LabelKind kind) {
    Path data = request.path();
    if (!Files.exists(data)) {
      throw new IllegalArgumentException("data " + data + ": no such file or folder");
    }
    LabelledSet set = switch (request.layout()) {
      case DICOM -> DicomFolder.read(Files.isDirectory(data) ? requireFile(data.resolve("labels.csv")) : data);
      case CSV -> GenericCsv.read(requireNotFolder(data));
      case RFMID -> readRfmid(request, kind);
      case JSIEC -> Jsiec.read(requireFolder(data));
      case IMAGES -> ImageFolder.read(requireFolder(data));
      case FIVES -> Fives.read(requireFolder(data));
    };
    if (request.labelMap() != null) {
      set = request.labelMap().apply(set);
    }
    return forKind(set, kind);
  }

  private static LabelledSet readRfmid(DataRequest request, LabelKind kind) {
    Path csv = requireNotFolder(request.path());
    Path dir = request.images() != null ? request.images() : csv.toAbsolutePath().getParent().resolve("Training");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("images " + dir + ": no such folder (RFMiD images)");
    }
    if (request.columns() != null && !request.columns().isEmpty()) {
      return Rfmid.read(csv, dir, request.columns());
    }
    LabelledSet all = Rfmid.read(csv, dir);
    if (request.labelMap() == null && kind == LabelKind.BINARY && all.classNames().contains(RFMID_ANY)) {
      return Rfmid.read(csv, dir, List.of(RFMID_ANY));
    }
    if (kind == LabelKind.MULTI_LABEL && all.classNames().contains(RFMID_ANY)) {
      List<String> diseases = new ArrayList<>(all.classNames());
      diseases.remove(RFMID_ANY);
      return Rfmid.read(csv, dir, diseases);
    }
    return all;
  }

  /**
   * Brings a source's labels into the form of {@code kind}, where binary label 1 means abnormal. Binary from
   * multi-label: abnormal when any label is set; binary from multi-class: the class whose name says "normal" is
   * normal, every other abnormal; two classes whose second says "normal" are swapped.
   */
  public static LabelledSet forKind(LabelledSet set, LabelKind kind) {
    List<Integer> normal = new ArrayList<>();
    for (int c = 0; c < set.classNames().size(); c++) {
      String name = set.classNames().get(c).toLowerCase(Locale.ROOT);
      if (name.contains("normal") && !name.contains("abnormal")) {
        normal.add(c);
      }
    }
    if (kind == LabelKind.BINARY && set.kind() == LabelKind.BINARY && normal.equals(List.of(1))) {
      return relabel(set, s -> 1 - s.label(0));
    }
    if (set.kind() == kind) {
      return set;
    }
    String source = set.layout() + " (" + set.kind().name().toLowerCase(Locale.ROOT).replace('_', '-') + " labels)";
    if (kind == LabelKind.BINARY && set.kind() == LabelKind.MULTI_LABEL) {
      return relabel(set, s -> Arrays.stream(s.labels()).anyMatch(v -> v != 0) ? 1 : 0);
    }
    if (kind == LabelKind.BINARY && set.kind() == LabelKind.MULTI_CLASS) {
      if (normal.size() != 1) {
        throw new IllegalArgumentException("task binary: " + source + " needs exactly one class named "
            + "'normal' to tell normal from abnormal, got classes " + set.classNames());
      }
      return relabel(set, s -> s.label(0) == normal.get(0) ? 0 : 1);
    }
    String word = switch (kind) {
      case BINARY -> "binary";
      case MULTI_LABEL -> "multilabel";
      case SEGMENTATION -> "segmentation";
      case MULTI_CLASS -> "multi-class";
    };
    throw new IllegalArgumentException("task " + word + " cannot train on " + source + "; " + switch (kind) {
      case BINARY -> "give 0/1 labels (layouts dicom, csv, images with two classes, rfmid)";
      case MULTI_LABEL -> "give several 0/1 label columns (layouts csv, rfmid)";
      case SEGMENTATION -> "give vessel masks (layout fives, or csv with a mask column)";
      case MULTI_CLASS -> "give class folders (layouts images, jsiec)";
    });
  }

  private static LabelledSet relabel(LabelledSet set, ToIntFunction<Sample> label) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : set.samples()) {
      out.add(new Sample(s.image(), s.patientId(), new int[] {label.applyAsInt(s)}, null));
    }
    return new LabelledSet(set.layout(), out, List.of("normal", "abnormal"), LabelKind.BINARY);
  }

  private static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("data: no labels file " + file);
    }
    return file;
  }

  private static Path requireNotFolder(Path file) {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("data " + file + " is a folder; this layout wants its labels CSV");
    }
    return file;
  }

  private static Path requireFolder(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("data " + dir + " is not a folder; this layout wants a folder");
    }
    return dir;
  }
}

package org.fundus4j.pipelines.sources;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * Reads a {@link DataRequest} in the labels a task needs: the one place the CLI, the experiment grid and Spark
 * turn "layout + path + label choices" into samples.
 *
 * <p>Order: read the layout; select RFMiD columns (given, or by task: binary {@code Disease_Risk}, multi-label
 * every other column) or apply the label map; then {@link #forKind} brings the labels into the task's form.
 * With a label map, a binary task's 1 means "any target label set" (on JSIEC with the paper map: one of the
 * five mapped diseases, not "any abnormality"); without one, JSIEC's binary 1 is every class but normal.
 *
 * <pre>{@code
 * LabelledSet set = TaskData.read(DataRequest.of(Layout.JSIEC, Path.of("1000images")), LabelKind.BINARY);
 * }</pre>
 */
public final class TaskData {

  private TaskData() {}

  /**
   * The images of {@code request} with labels of {@code kind}.
   *
   * @throws IllegalArgumentException naming the path and what to pass instead, for a missing path, a folder
   *     where the layout wants a file (or the reverse), labels the task cannot use, or an ambiguous layout
   */
  public static LabelledSet read(DataRequest request, LabelKind kind) {
    Path path = request.path();
    if (!Files.exists(path)) {
      throw new IllegalArgumentException("--data " + path + ": no such file or folder");
    }
    LabelledSet set = switch (request.layout()) {
      case DICOM -> DicomFolder.read(Files.isDirectory(path) ? requireFile(path.resolve("labels.csv")) : path);
      case CSV -> GenericCsv.read(requireNotFolder(path, "its labels CSV"));
      case RFMID -> readRfmid(request, kind);
      case JSIEC -> Jsiec.read(requireFolder(path, "the folder holding the class folders"));
      case IMAGES -> ImageFolder.read(requireFolder(path, "the folder holding one sub-folder per class"));
      case FIVES -> Fives.read(requireFolder(path, "a split folder (train/, test/) or the folder holding them"));
    };
    if (request.labelMap() != null && request.layout() != Layout.RFMID) {
      set = request.labelMap().apply(set);
    }
    return forKind(set, kind);
  }

  /**
   * Brings a source's labels into a task's form, where binary label 1 means abnormal. Binary from
   * multi-label: abnormal when any label is set; binary from multi-class: the class whose name says
   * "normal" is normal, every other abnormal; two classes whose second says "normal" are swapped.
   *
   * @throws IllegalArgumentException when the labels cannot serve {@code kind}, saying which layouts can
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
      // two class folders sort as 'abnormal', 'normal': class 1 is the normal one, abnormal must be 1
      return relabel(set, s -> 1 - s.label(0));
    }
    if (set.kind() == kind) {
      return set;
    }
    String source = set.layout() + " (" + word(set.kind()) + " labels)";
    if (kind == LabelKind.BINARY && set.kind() == LabelKind.MULTI_LABEL) {
      return relabel(set, s -> Arrays.stream(s.labels()).anyMatch(v -> v != 0) ? 1 : 0);
    }
    if (kind == LabelKind.BINARY && set.kind() == LabelKind.MULTI_CLASS) {
      if (normal.size() != 1) {
        throw new IllegalArgumentException("--task binary: " + source + " needs exactly one class named "
            + "'normal' to tell normal from abnormal, got classes " + set.classNames());
      }
      return relabel(set, s -> s.label(0) == normal.get(0) ? 0 : 1);
    }
    throw new IllegalArgumentException("--task " + word(kind) + " cannot train on " + source + "; "
        + switch (kind) {
          case BINARY -> "give 0/1 labels (layouts dicom, csv, images with two classes, rfmid)";
          case MULTI_LABEL -> "give several 0/1 label columns (layouts csv, rfmid) or a label map (--label-map)";
          case SEGMENTATION -> "give vessel masks (layout fives, or csv with a mask column)";
          case MULTI_CLASS -> "give one class folder per class (layouts images, jsiec)";
        });
  }

  private static LabelledSet readRfmid(DataRequest request, LabelKind kind) {
    Path csv = request.path();
    if (Files.isDirectory(csv)) {
      List<String> found;
      try (Stream<Path> s = Files.walk(csv, 3)) {
        found = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv"))
            .map(p -> csv.relativize(p).toString()).sorted().toList();
      } catch (IOException e) {
        found = List.of();
      }
      throw new IllegalArgumentException("--data " + csv + " is a folder; layout rfmid wants one split's labels "
          + "CSV (e.g. Training_Set/RFMiD_Training_Labels.csv)" + (found.isEmpty() ? ", found none below it"
          : "; found " + found));
    }
    Path dir = request.images() != null ? request.images() : Rfmid.findImages(csv);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--images " + dir + ": no such folder (RFMiD images)");
    }
    if (request.columns() != null) {
      return Rfmid.read(csv, dir, request.columns());
    }
    List<String> all = Rfmid.columns(csv);
    if (request.labelMap() != null) {
      return request.labelMap().apply(Rfmid.read(csv, dir, all));
    }
    if (kind == LabelKind.BINARY && all.contains(Rfmid.ANY_DISEASE)) {
      return Rfmid.read(csv, dir, List.of(Rfmid.ANY_DISEASE));
    }
    if (kind == LabelKind.MULTI_LABEL && all.contains(Rfmid.ANY_DISEASE)) {
      List<String> diseases = new ArrayList<>(all);
      diseases.remove(Rfmid.ANY_DISEASE);
      return Rfmid.read(csv, dir, diseases);
    }
    return Rfmid.read(csv, dir, all);
  }

  private static String word(LabelKind kind) {
    return switch (kind) {
      case BINARY -> "binary";
      case MULTI_LABEL -> "multilabel";
      case SEGMENTATION -> "segmentation";
      case MULTI_CLASS -> "multi-class";
    };
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
      throw new IllegalArgumentException("--data: no labels file " + file);
    }
    return file;
  }

  private static Path requireNotFolder(Path file, String wants) {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("--data " + file + " is a folder; this layout wants " + wants);
    }
    return file;
  }

  private static Path requireFolder(Path dir, String wants) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--data " + dir + " is not a folder; this layout wants " + wants);
    }
    return dir;
  }
}

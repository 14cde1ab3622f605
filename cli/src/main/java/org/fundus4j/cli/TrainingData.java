package org.fundus4j.cli;

import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Task;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.sources.Fives;
import org.fundus4j.pipelines.sources.GenericCsv;
import org.fundus4j.pipelines.sources.ImageFolder;
import org.fundus4j.pipelines.sources.Jsiec;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.sources.Rfmid;
import picocli.CommandLine.Option;

/**
 * The data options shared by {@code fundus pretrain} and {@code fundus transfer}, and reading the data in
 * the labels a task needs.
 */
final class TrainingData {

  /** RFMiD's "any disease" column, the binary label when training normal/abnormal on RFMiD. */
  static final String RFMID_ANY = "Disease_Risk";

  @Option(names = "--data", required = true, paramLabel = "DIR|CSV",
      description = "The images and labels: a labels CSV or a folder, as --layout says")
  Path data;

  @Option(names = "--layout", defaultValue = "dicom", paramLabel = "dicom|csv|rfmid|jsiec|images|fives",
      description = {"How --data is laid out (default: ${DEFAULT-VALUE}):",
          "  dicom: labels.csv (file,sop_instance_uid,label,patient_id) in a DICOM folder; --data is the CSV "
              + "or its folder",
          "  csv: image,<label columns...>,patient_id[,mask] (one 0/1 column: binary; several: multi-label; "
              + "mask: segmentation)",
          "  rfmid: RFMiD's labels CSV, images in --images (default: Training/ beside the CSV)",
          "  jsiec: JSIEC's class folders",
          "  images: one sub-folder of images per class (as torchvision's ImageFolder)",
          "  fives: FIVES' 'Original' and 'Ground truth' folders (segmentation)"})
  String layout;

  @Option(names = "--images", paramLabel = "DIR", description = "RFMiD image folder (default: Training/ beside the CSV)")
  Path images;

  @Option(names = "--columns", split = ",", paramLabel = "COL",
      description = "RFMiD label columns to use (default: binary uses " + RFMID_ANY + ", multilabel all others)")
  List<String> columns;

  @Option(names = "--val-fraction", defaultValue = "0.2", paramLabel = "F",
      description = "Share of patients held out for validation, stratified by label (default: ${DEFAULT-VALUE})")
  double validationFraction;

  @Option(names = "--workers", paramLabel = "N",
      description = "Threads that decode and augment images (default: the number of processors)")
  Integer workers;

  @Option(names = "--synthetic-data",
      description = "Mark the model card as trained on synthetic images (never for clinical use)")
  boolean synthetic;

  /** The images of {@code --data} with the labels of {@code task}; fails naming the option or file. */
  LabelledSet read(Task task) {
    if (!Files.exists(data)) {
      throw new IllegalArgumentException("--data " + data + ": no such file or folder");
    }
    if (!(validationFraction > 0 && validationFraction <= 0.5)) {
      throw new IllegalArgumentException("--val-fraction must be in (0, 0.5], got " + validationFraction);
    }
    if (workers != null && (workers < 1 || workers > 64)) {
      throw new IllegalArgumentException("--workers must be 1-64, got " + workers);
    }
    LabelledSet set = switch (layout.toLowerCase(Locale.ROOT)) {
      case "dicom" -> DicomFolder.read(Files.isDirectory(data) ? requireFile(data.resolve("labels.csv")) : data);
      case "csv" -> GenericCsv.read(requireNotFolder(data));
      case "rfmid" -> readRfmid(task);
      case "jsiec" -> Jsiec.read(requireFolder(data));
      case "images" -> ImageFolder.read(requireFolder(data));
      case "fives" -> Fives.read(requireFolder(data));
      default -> throw new IllegalArgumentException(
          "--layout must be dicom, csv, rfmid, jsiec, images or fives, got '" + layout + "'");
    };
    return forTask(set, task);
  }

  /** Decode threads for the iterators. */
  int threads() {
    return workers != null ? workers : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  private LabelledSet readRfmid(Task task) {
    Path csv = requireNotFolder(data);
    Path dir = images != null ? images : csv.toAbsolutePath().getParent().resolve("Training");
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--images " + dir + ": no such folder (RFMiD images)");
    }
    if (columns != null && !columns.isEmpty()) {
      return Rfmid.read(csv, dir, columns);
    }
    LabelledSet all = Rfmid.read(csv, dir);
    if (task == Task.BINARY && all.classNames().contains(RFMID_ANY)) {
      return Rfmid.read(csv, dir, List.of(RFMID_ANY));
    }
    if (task == Task.MULTILABEL && all.classNames().contains(RFMID_ANY)) {
      List<String> diseases = new ArrayList<>(all.classNames());
      diseases.remove(RFMID_ANY);
      return Rfmid.read(csv, dir, diseases);
    }
    return all;
  }

  /**
   * Brings a source's labels into the task's form, where binary label 1 means abnormal. Binary from
   * multi-label: abnormal when any label is set; binary from multi-class: the class whose name says
   * "normal" is normal, every other abnormal; two classes whose second says "normal" are swapped.
   */
  static LabelledSet forTask(LabelledSet set, Task task) {
    List<Integer> normal = new ArrayList<>();
    for (int c = 0; c < set.classNames().size(); c++) {
      String name = set.classNames().get(c).toLowerCase(Locale.ROOT);
      if (name.contains("normal") && !name.contains("abnormal")) {
        normal.add(c);
      }
    }
    if (task == Task.BINARY && set.kind() == LabelKind.BINARY && normal.equals(List.of(1))) {
      // two class folders sort as 'abnormal', 'normal': class 1 is the normal one, abnormal must be 1
      return relabel(set, s -> 1 - s.label(0));
    }
    if (set.kind() == task.kind()) {
      return set;
    }
    String source = set.layout() + " (" + set.kind().name().toLowerCase(Locale.ROOT).replace('_', '-') + " labels)";
    if (task == Task.BINARY && set.kind() == LabelKind.MULTI_LABEL) {
      return relabel(set, s -> Arrays.stream(s.labels()).anyMatch(v -> v != 0) ? 1 : 0);
    }
    if (task == Task.BINARY && set.kind() == LabelKind.MULTI_CLASS) {
      if (normal.size() != 1) {
        throw new IllegalArgumentException("--task binary: " + source + " needs exactly one class named "
            + "'normal' to tell normal from abnormal, got classes " + set.classNames());
      }
      return relabel(set, s -> s.label(0) == normal.get(0) ? 0 : 1);
    }
    throw new IllegalArgumentException("--task " + task.name().toLowerCase(Locale.ROOT) + " cannot train on "
        + source + "; " + switch (task) {
          case BINARY -> "give 0/1 labels (layouts dicom, csv, images with two classes, rfmid)";
          case MULTILABEL -> "give several 0/1 label columns (layouts csv, rfmid)";
          case SEGMENTATION -> "give vessel masks (layout fives, or csv with a mask column)";
        });
  }

  private static LabelledSet relabel(LabelledSet set, java.util.function.ToIntFunction<Sample> label) {
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

  private static Path requireNotFolder(Path file) {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException("--data " + file + " is a folder; this layout wants its labels CSV");
    }
    return file;
  }

  private static Path requireFolder(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("--data " + dir + " is not a folder; this layout wants a folder");
    }
    return dir;
  }
}

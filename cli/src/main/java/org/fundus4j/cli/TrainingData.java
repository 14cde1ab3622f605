package org.fundus4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.pipelines.sources.DataRequest;
import org.fundus4j.pipelines.sources.LabelMap;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.pipelines.sources.Layout;
import org.fundus4j.pipelines.sources.Rfmid;
import org.fundus4j.pipelines.sources.TaskData;
import org.fundus4j.transfer.Task;
import picocli.CommandLine.Option;

/**
 * The data options shared by {@code fundus pretrain} and {@code fundus transfer}; reading them for a task is
 * {@link TaskData#read} on the {@link DataRequest} they make.
 */
final class TrainingData {

  @Option(names = "--data", required = true, paramLabel = "DIR|CSV",
      description = "The images and labels: a labels CSV or a folder, as --layout says")
  Path data;

  @Option(names = "--layout", defaultValue = "dicom", paramLabel = "dicom|csv|rfmid|jsiec|images|fives",
      description = {"How --data is laid out (default: ${DEFAULT-VALUE}):",
          "  dicom: labels.csv (file,sop_instance_uid,label,patient_id) in a DICOM folder; --data is the CSV "
              + "or its folder",
          "  csv: image,<label columns...>,patient_id[,mask] (one 0/1 column: binary; several: multi-label; "
              + "mask: segmentation)",
          "  rfmid: one RFMiD split's labels CSV (Training, Validation or Testing); its image folder is found "
              + "beside it (or give --images)",
          "  jsiec: JSIEC's top folder of class folders (a nested copy of it is skipped)",
          "  images: one sub-folder of images per class (as torchvision's ImageFolder)",
          "  fives: a FIVES split folder (train/ or test/: 'Original' + 'Ground truth') or the folder holding "
              + "both (segmentation)"})
  String layout;

  @Option(names = "--images", paramLabel = "DIR",
      description = "RFMiD image folder (default: the split's folder found beside the CSV)")
  Path images;

  @Option(names = "--columns", split = ",", paramLabel = "COL",
      description = "RFMiD label columns to use (default: binary uses " + Rfmid.ANY_DISEASE
          + ", multilabel all others)")
  List<String> columns;

  @Option(names = "--label-map", paramLabel = "MAP",
      description = {"Target labels from source columns or classes, OR-merged: TARGET=SRC|SRC,... "
          + "(e.g. 'RVO=BRVO|CRVO,AMD=ARMD'), or 'paper': the paper's seven labels from rfmid or jsiec "
          + "(labels a data set has no source for are left out)"})
  String labelMap;

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
    if (workers != null && (workers < 1 || workers > 64)) {
      throw new IllegalArgumentException("--workers must be 1-64, got " + workers);
    }
    return TaskData.read(request(), task.kind());
  }

  /** What {@code --data}, {@code --layout}, {@code --images}, {@code --columns} and {@code --label-map} ask for. */
  DataRequest request() {
    Layout l = Layout.parse(layout);
    return new DataRequest(l, data, images, columns, labelMap == null ? null : LabelMap.parse(labelMap, l));
  }

  /** Decode threads for the iterators. */
  int threads() {
    return workers != null ? workers : Math.max(1, Runtime.getRuntime().availableProcessors());
  }
}

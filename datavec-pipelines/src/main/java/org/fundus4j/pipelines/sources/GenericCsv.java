package org.fundus4j.pipelines.sources;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.fundus4j.pipelines.Csv;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;

/**
 * A generic labels CSV: image path, label columns, patient id (and optionally a mask path).
 *
 * <p>The first column is the image path (relative paths are resolved against the CSV's folder), the
 * column named {@code patient_id} holds the patient, an optional column named {@code mask} holds a
 * segmentation mask path, and every other column is an integer label. One label column of 0/1 means
 * {@link LabelKind#BINARY}, one column with other values {@link LabelKind#MULTI_CLASS}, several columns
 * {@link LabelKind#MULTI_LABEL}, a mask column {@link LabelKind#SEGMENTATION}.
 *
 * <pre>
 * image,AMD,Glaucoma,patient_id
 * img/0001_R.png,1,0,P0001
 * </pre>
 */
public final class GenericCsv {

  private GenericCsv() {}

  /** Reads the CSV; fails naming the file, line and column of the first bad field. */
  public static LabelledSet read(Path csv) {
    Csv.Table t = Csv.read(csv);
    Path dir = csv.toAbsolutePath().getParent();
    int patient = t.requireColumn("patient_id");
    int mask = t.column("mask");
    if (patient == 0 || mask == 0) {
      throw new IllegalArgumentException(csv + ": the first column must be the image path, got header " + t.header());
    }
    List<Integer> labelCols = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (int c = 1; c < t.header().size(); c++) {
      if (c != patient && c != mask) {
        labelCols.add(c);
        names.add(t.header().get(c).trim());
      }
    }
    List<Sample> samples = new ArrayList<>();
    TreeSet<Integer> values = new TreeSet<>();
    for (int r = 0; r < t.rows().size(); r++) {
      List<String> row = t.rows().get(r);
      String image = row.get(0).trim();
      if (image.isEmpty()) {
        throw new IllegalArgumentException(csv + " line " + t.lines().get(r) + ": empty image path");
      }
      int[] labels = new int[labelCols.size()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = Csv.parseInt(t, r, labelCols.get(i));
        values.add(labels[i]);
      }
      String m = mask < 0 ? "" : row.get(mask).trim();
      String pid = row.get(patient).trim();
      if (pid.isEmpty()) {
        throw new IllegalArgumentException(csv + " line " + t.lines().get(r) + ": empty patient_id");
      }
      samples.add(new Sample(dir.resolve(image).normalize(), pid, labels,
          m.isEmpty() ? null : dir.resolve(m).normalize()));
    }
    LabelKind kind;
    List<String> classNames = names;
    if (mask >= 0) {
      kind = LabelKind.SEGMENTATION;
    } else if (labelCols.size() == 1) {
      boolean binary = values.isEmpty() || (values.first() >= 0 && values.last() <= 1);
      kind = binary ? LabelKind.BINARY : LabelKind.MULTI_CLASS;
      int n = binary ? 2 : values.last() + 1;
      classNames = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        classNames.add(names.get(0) + "=" + i);
      }
    } else {
      kind = LabelKind.MULTI_LABEL;
    }
    return new LabelledSet("CSV " + csv.getFileName(), samples, classNames, kind);
  }
}

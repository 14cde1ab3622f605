package org.fundus4j.pipelines.sources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.store.Manifest;
import org.fundus4j.dicom.store.ManifestEntry;
import org.fundus4j.pipelines.Csv;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A folder of DICOM files (a PACS pull, or {@code SyntheticDataset.writeDicom}) labelled by a CSV.
 *
 * <p>The CSV sits in the folder; header {@code file,sop_instance_uid,label,patient_id}. {@code file} is
 * relative to the CSV's folder; when it is empty the file is found by its SOP Instance UID among the
 * DICOM files below the folder (which reads every file once). Labels {@code 0/1} give
 * {@link LabelKind#BINARY}, other integers {@link LabelKind#MULTI_CLASS}.
 *
 * <pre>
 * file,sop_instance_uid,label,patient_id
 * SYN0001/R.dcm,2.25.1234...,1,SYN0001
 * </pre>
 */
public final class DicomFolder {

  /** The header of the labels CSV. */
  public static final List<String> HEADER = List.of("file", "sop_instance_uid", "label", "patient_id");

  private static final Logger LOG = LoggerFactory.getLogger(DicomFolder.class);

  private DicomFolder() {}

  /** Reads the labels CSV and resolves every row to a DICOM file. */
  public static LabelledSet read(Path labelsCsv) {
    Path dir = labelsCsv.toAbsolutePath().getParent();
    return read(labelsCsv, new UidLookup() {
      private Map<String, Path> byUid;

      @Override
      public Path find(String uid) {
        if (byUid == null) {
          byUid = indexByUid(dir);
        }
        return byUid.get(uid);
      }
    }, "below " + dir);
  }

  /**
   * Reads a labels CSV for the files of a PACS pull: rows with an empty {@code file} are found through
   * the pull's manifest ({@code <storeRoot>/manifest.tsv}, written by the dicom module's
   * {@code LocalStore}), which maps SOP Instance UIDs to files; rows with a {@code file} are relative to
   * the CSV's folder as usual.
   */
  public static LabelledSet readWithPullManifest(Path labelsCsv, Path storeRoot) {
    Map<String, Path> byUid = pulledFiles(storeRoot);
    return read(labelsCsv, byUid::get, "in the pull manifest of " + storeRoot);
  }

  /** Returns every retrieved file of a PACS pull as an unlabelled sample (patient id = SOP Instance UID). */
  public static LabelledSet unlabelledFromPull(Path storeRoot) {
    List<Sample> samples = new ArrayList<>();
    pulledFiles(storeRoot).forEach((uid, file) -> samples.add(new Sample(file, uid, new int[0], null)));
    return new LabelledSet("PACS pull", samples, List.of(), LabelKind.BINARY);
  }

  private static Map<String, Path> pulledFiles(Path storeRoot) {
    Path root = storeRoot.toAbsolutePath().normalize();
    Path tsv = root.resolve("manifest.tsv");
    if (!Files.isRegularFile(tsv)) {
      throw new IllegalArgumentException("No PACS pull manifest " + tsv + "; pull with 'fundus pacs pull' first");
    }
    Map<String, Path> out = new LinkedHashMap<>();
    try (Manifest m = Manifest.open(tsv)) {
      for (ManifestEntry e : m.entries()) {
        if (e.state().hasFile() && !e.file().isEmpty()) {
          out.put(e.sopInstanceUid(), root.resolve(e.file()).normalize());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read PACS pull manifest " + tsv + ": " + e.getMessage(), e);
    }
    return out;
  }

  @FunctionalInterface
  private interface UidLookup {
    Path find(String sopInstanceUid);
  }

  private static LabelledSet read(Path labelsCsv, UidLookup lookup, String where) {
    Csv.Table t = Csv.read(labelsCsv);
    Path dir = labelsCsv.toAbsolutePath().getParent();
    int file = t.requireColumn("file");
    int uid = t.requireColumn("sop_instance_uid");
    int label = t.requireColumn("label");
    int patient = t.requireColumn("patient_id");
    List<Sample> samples = new ArrayList<>();
    TreeSet<Integer> values = new TreeSet<>();
    for (int r = 0; r < t.rows().size(); r++) {
      List<String> row = t.rows().get(r);
      String f = row.get(file).trim();
      Path image;
      if (!f.isEmpty()) {
        image = dir.resolve(f).normalize();
      } else {
        String u = row.get(uid).trim();
        if (u.isEmpty()) {
          throw new IllegalArgumentException(labelsCsv + " line " + t.lines().get(r)
              + ": neither file nor sop_instance_uid given");
        }
        image = lookup.find(u);
        if (image == null) {
          throw new IllegalArgumentException(labelsCsv + " line " + t.lines().get(r)
              + ": no DICOM file " + where + " has the SOP Instance UID of this row");
        }
      }
      int l = Csv.parseInt(t, r, label);
      values.add(l);
      String pid = row.get(patient).trim();
      if (pid.isEmpty()) {
        throw new IllegalArgumentException(labelsCsv + " line " + t.lines().get(r) + ": empty patient_id");
      }
      samples.add(new Sample(image, pid, new int[] {l}, null));
    }
    boolean binary = values.isEmpty() || (values.first() >= 0 && values.last() <= 1);
    List<String> names = new ArrayList<>();
    int n = binary ? 2 : values.last() + 1;
    for (int i = 0; i < n; i++) {
      names.add(binary ? (i == 0 ? "normal" : "abnormal") : "class " + i);
    }
    return new LabelledSet("DICOM folder", samples, names, binary ? LabelKind.BINARY : LabelKind.MULTI_CLASS);
  }

  /** Returns every DICOM file below {@code dir} as an unlabelled sample (for screening). */
  public static LabelledSet unlabelled(Path dir) {
    List<Sample> samples = new ArrayList<>();
    for (Path p : dicomFiles(dir)) {
      samples.add(new Sample(p, dir.toAbsolutePath().relativize(p).toString(), new int[0], null));
    }
    return new LabelledSet("DICOM folder", samples, List.of(), LabelKind.BINARY);
  }

  /** Returns the DICOM files (by magic or {@code .dcm}) below {@code dir}, sorted, absolute. */
  public static List<Path> dicomFiles(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      List<Path> out = new ArrayList<>();
      for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
        if (ImageFiles.isDicom(p)) {
          out.add(p.toAbsolutePath().normalize());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot list DICOM files below " + dir + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, Path> indexByUid(Path dir) {
    Map<String, Path> out = new HashMap<>();
    for (Path p : dicomFiles(dir)) {
      try {
        out.put(DicomImages.readInfo(p).sopInstanceUid(), p);
      } catch (Exception e) {
        LOG.warn("Cannot read {} while looking up SOP Instance UIDs: {}", p, e.getMessage());
      }
    }
    return out;
  }
}

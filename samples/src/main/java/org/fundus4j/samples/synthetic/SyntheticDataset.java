package org.fundus4j.samples.synthetic;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.fundus4j.dicom.ImageIdentity;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.pipelines.Csv;

/**
 * Writes seeded synthetic fundus data sets (see {@link SyntheticFundus}) in the layouts fundus4j reads.
 *
 * <p>THE DATA ARE SYNTHETIC. Layouts:
 * <ul>
 *   <li>{@link #writeDicom}: Ophthalmic Photography 8 Bit DICOM files, two eyes per patient, exactly
 *       {@code count / 2} abnormal (rounded down), plus {@code labels.csv}
 *       ({@code file,sop_instance_uid,label,patient_id}), read by
 *       {@code org.fundus4j.pipelines.sources.DicomFolder}.
 *   <li>{@link #writeRfmid}: RFMiD as its Kaggle mirror unpacks, three splits ({@link #RFMID_CSVS}:
 *       {@code Training_Set/RFMiD_Training_Labels.csv} + {@code Training_Set/Training/<ID>.png},
 *       {@code Evaluation_Set/...Validation/}, {@code Test_Set/...Test/}), IDs restarting at 1 in each split, the
 *       real 47 columns ({@link #RFMID_COLUMNS}) with the paper's labels drawn where RFMiD has a column for them.
 *   <li>{@link #writeJsiec}: one folder per class ({@link #JSIEC_CLASSES}, JSIEC's own folder names) of JPEG
 *       files, plus the byte-identical nested copy {@code 1000images/} that JSIEC's archive carries.
 *   <li>{@link #writeFives}: {@code train/} and {@code test/} (3:1, numbered from 1 in each), each with
 *       {@code Original/<n>_<A|D|G|N>.png} and {@code Ground truth/} vessel masks drawn from the vessel tree.
 *   <li>{@link #writeGenericCsv}: {@code images/*.png} + {@code labels.csv}
 *       ({@code image,label,patient_id}); {@link #writeMultiLabelCsv} the same with the paper's seven
 *       label columns.
 * </ul>
 * Image {@code i} is drawn from its own {@code Random} derived from the seed and {@code i}, so pixels and
 * labels are the same for the same seed whatever the thread count; UIDs are UUID-derived ({@code 2.25.})
 * from a name-based UUID of the seed and index, so they repeat too (only the DICOM Instance Creation
 * Date/Time, the time of writing, differs between runs). Patients are {@code SYN0001...}, names
 * {@code Synthetic^Patient0001}.
 *
 * <pre>{@code
 * Path labels = SyntheticDataset.writeDicom(Path.of("demo/synthetic"), 160, 256, 42);
 * LabelledSet set = DicomFolder.read(labels);
 * }</pre>
 */
public final class SyntheticDataset {

  /**
   * Class folders written by {@link #writeJsiec}, JSIEC's own names (sorted, so the index is the class), the
   * classes whose signs the generator draws: normal, DR (three grades), possible glaucoma, BRVO, CRVO, ERM and
   * pathological myopia; every JSIEC class the paper's label map names is here.
   */
  public static final List<String> JSIEC_CLASSES = List.of("0.0.Normal", "0.3.DR1", "1.0.DR2", "1.1.DR3",
      "10.0.Possible glaucoma", "2.0.BRVO", "2.1.CRVO", "7.ERM", "9.Pathological myopia");

  /** The nested copy of the class folders inside JSIEC's top folder, as in the published archive. */
  public static final String JSIEC_COPY = "1000images";

  /** RFMiD's columns after {@code ID}, as published: {@code Disease_Risk} then the 45 conditions. */
  public static final List<String> RFMID_COLUMNS = List.of("Disease_Risk", "DR", "ARMD", "MH", "DN", "MYA", "BRVO",
      "TSLN", "ERM", "LS", "MS", "CSR", "ODC", "CRVO", "TV", "AH", "ODP", "ODE", "ST", "AION", "PT", "RT", "RS", "CRS",
      "EDN", "RPEC", "MHL", "RP", "CWS", "CB", "ODPM", "PRH", "MNF", "HR", "CRAO", "TD", "CME", "PTCR", "CF", "VH",
      "MCA", "VS", "BRAO", "PLQ", "HPED", "CL");

  /** The labels CSVs {@link #writeRfmid} writes (training, validation, test), relative to its folder. */
  public static final List<String> RFMID_CSVS = List.of("Training_Set/RFMiD_Training_Labels.csv",
      "Evaluation_Set/RFMiD_Validation_Labels.csv", "Test_Set/RFMiD_Testing_Labels.csv");
  private static final List<String> RFMID_IMAGE_DIRS =
      List.of("Training_Set/Training", "Evaluation_Set/Validation", "Test_Set/Test");

  private static final LocalDate FIRST_STUDY = LocalDate.of(2024, 1, 1);

  private SyntheticDataset() {}

  /**
   * Writes {@code count} OP DICOM files of {@code size x size} pixels and {@code labels.csv} into {@code dir}.
   *
   * @return the path of {@code labels.csv}
   */
  public static Path writeDicom(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    Files.createDirectories(dir);
    boolean[] abnormal = balanced(count, seed);
    String[] rows = new String[count];
    run(count, i -> {
      int patient = i / 2 + 1;
      boolean right = i % 2 == 0;
      String eye = right ? "R" : "L";
      String pid = String.format(Locale.ROOT, "SYN%04d", patient);
      String file = String.format(Locale.ROOT, "%04d_%s.dcm", patient, eye);
      BufferedImage img = SyntheticFundus.renderWithMask(random(seed, i), size, abnormal[i], right).image();
      String study = uid(seed, "study", patient);
      String series = uid(seed, "series-" + eye, patient);
      String sop = uid(seed, "sop", i);
      ImageIdentity id = new ImageIdentity(pid, String.format(Locale.ROOT, "Synthetic^Patient%04d", patient),
          study, series, sop, eye, FIRST_STUDY.plusDays(patient));
      OphthalmicPhotoWriter.write(img, id, dir.resolve(file));
      rows[i] = Csv.line(List.of(file, sop, abnormal[i] ? "1" : "0", pid));
    });
    return writeLines(dir.resolve("labels.csv"), "file,sop_instance_uid,label,patient_id", rows);
  }

  /**
   * Writes {@code count} PNG images in RFMiD's three splits (see the class comment): a fifth (at least one) each
   * for validation and test, the rest training; about half are normal ({@code Disease_Risk=0}). Drawn labels go
   * to RFMiD's columns: AMD {@code ARMD}, glaucoma {@code ODC}, DR {@code DR}, pathologic myopia {@code MYA},
   * ERM {@code ERM}, RVO {@code BRVO} or {@code CRVO} (seeded); RFMiD has no glaucoma-suspect column, so that
   * sign is never drawn here.
   *
   * @return the training CSV; the others are {@link #RFMID_CSVS} in {@code dir}
   */
  public static Path writeRfmid(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    if (count < 3) {
      throw new IllegalArgumentException("RFMiD has three splits: write at least 3 images, got " + count);
    }
    int held = Math.max(1, count / 5);
    int[] sizes = {count - 2 * held, held, held};
    int first = 0;
    for (int split = 0; split < 3; split++) {
      Path images = Files.createDirectories(dir.resolve(RFMID_IMAGE_DIRS.get(split)));
      String[] rows = new String[sizes[split]];
      int offset = first;
      run(sizes[split], k -> {
        int i = offset + k;
        Random rnd = random(seed, i);
        int[] l = multiLabels(rnd);
        l[SyntheticFundus.GLAUCOMA_SUSPECT] = 0;
        SyntheticFundus.Rendered r = SyntheticFundus.renderMultiLabel(rnd, size, l, rnd.nextBoolean());
        png(r.image(), images.resolve((k + 1) + ".png"));
        boolean central = random(seed ^ 0x5DEECE66DL, i).nextBoolean();
        int[] row = new int[RFMID_COLUMNS.size()];
        set(row, "DR", l[SyntheticFundus.DR]);
        set(row, "ARMD", l[SyntheticFundus.AMD]);
        set(row, "ODC", l[SyntheticFundus.GLAUCOMA]);
        set(row, "MYA", l[SyntheticFundus.MYOPIA]);
        set(row, "ERM", l[SyntheticFundus.ERM]);
        set(row, central ? "CRVO" : "BRVO", l[SyntheticFundus.RVO]);
        set(row, "Disease_Risk", IntStream.of(row).max().orElse(0));
        StringBuilder line = new StringBuilder(Integer.toString(k + 1));
        for (int v : row) {
          line.append(',').append(v);
        }
        rows[k] = line.toString();
      });
      writeLines(dir.resolve(RFMID_CSVS.get(split)), "ID," + String.join(",", RFMID_COLUMNS), rows);
      first += sizes[split];
    }
    return dir.resolve(RFMID_CSVS.get(0));
  }

  private static void set(int[] row, String column, int value) {
    row[RFMID_COLUMNS.indexOf(column)] = value;
  }

  /**
   * Writes {@code count} JPEG images into the class folders of {@link #JSIEC_CLASSES} in turn (every folder is
   * created, even when {@code count} leaves some empty), then the byte-identical nested copy
   * {@link #JSIEC_COPY} of those folders, as JSIEC's archive has it; returns {@code dir}.
   */
  public static Path writeJsiec(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    for (String c : JSIEC_CLASSES) {
      Files.createDirectories(dir.resolve(c));
    }
    run(count, i -> {
      Random rnd = random(seed, i);
      int cls = i % JSIEC_CLASSES.size();
      int[] l = new int[7];
      switch (JSIEC_CLASSES.get(cls)) {
        case "0.3.DR1", "1.0.DR2", "1.1.DR3" -> l[SyntheticFundus.DR] = 1;
        case "10.0.Possible glaucoma" -> l[SyntheticFundus.GLAUCOMA_SUSPECT] = 1;
        case "2.0.BRVO", "2.1.CRVO" -> l[SyntheticFundus.RVO] = 1;
        case "7.ERM" -> l[SyntheticFundus.ERM] = 1;
        case "9.Pathological myopia" -> l[SyntheticFundus.MYOPIA] = 1;
        default -> { }
      }
      BufferedImage img = SyntheticFundus.renderMultiLabel(rnd, size, l, rnd.nextBoolean()).image();
      Path out = dir.resolve(JSIEC_CLASSES.get(cls)).resolve(String.format(Locale.ROOT, "%04d.jpg", i + 1));
      if (!ImageIO.write(img, "jpg", out.toFile())) {
        throw new IOException("No JPEG writer for " + out);
      }
    });
    for (String c : JSIEC_CLASSES) {
      Path copy = Files.createDirectories(dir.resolve(JSIEC_COPY).resolve(c));
      try (var files = Files.list(dir.resolve(c))) {
        for (Path f : files.sorted().toList()) {
          Files.copy(f, copy.resolve(f.getFileName().toString()));
        }
      }
    }
    return dir;
  }

  /**
   * Writes {@code count} images and vessel masks (drawn from the generator's vessel tree) in the FIVES layout:
   * {@code train/} and {@code test/} in the ratio 3:1 (FIVES: 600 and 200), numbered from 1 in each split,
   * diseases A, D, G, N in turn.
   *
   * @return {@code dir}, which holds {@code train} and {@code test}, each with {@code Original} and
   *     {@code Ground truth}
   */
  public static Path writeFives(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    if (count < 2) {
      throw new IllegalArgumentException("FIVES has two splits: write at least 2 images, got " + count);
    }
    int test = Math.max(1, count / 4);
    String letters = "ADGN";
    run(count, i -> {
      boolean inTest = i >= count - test;
      int n = inTest ? i - (count - test) : i;
      Path split = dir.resolve(inTest ? "test" : "train");
      Path originals = Files.createDirectories(split.resolve("Original"));
      Path truths = Files.createDirectories(split.resolve("Ground truth"));
      Random rnd = random(seed, i);
      char d = letters.charAt(n % 4);
      int[] l = new int[7];
      switch (d) {
        case 'A' -> l[SyntheticFundus.AMD] = 1;
        case 'D' -> l[SyntheticFundus.DR] = 1;
        case 'G' -> l[SyntheticFundus.GLAUCOMA] = 1;
        default -> { }
      }
      SyntheticFundus.Rendered r = SyntheticFundus.renderMultiLabel(rnd, size, l, rnd.nextBoolean());
      String name = (n + 1) + "_" + d + ".png";
      png(r.image(), originals.resolve(name));
      png(r.vesselMask(), truths.resolve(name));
    });
    return dir;
  }

  /**
   * Writes {@code count} PNG images ({@code images/}) and a generic {@code labels.csv}
   * ({@code image,label,patient_id}); two eyes per patient, exactly {@code count / 2} abnormal.
   *
   * @return the path of {@code labels.csv}
   */
  public static Path writeGenericCsv(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    Path images = Files.createDirectories(dir.resolve("images"));
    boolean[] abnormal = balanced(count, seed);
    String[] rows = new String[count];
    run(count, i -> {
      boolean right = i % 2 == 0;
      String pid = String.format(Locale.ROOT, "SYN%04d", i / 2 + 1);
      String name = String.format(Locale.ROOT, "%04d_%s.png", i / 2 + 1, right ? "R" : "L");
      png(SyntheticFundus.renderWithMask(random(seed, i), size, abnormal[i], right).image(), images.resolve(name));
      rows[i] = Csv.line(List.of("images/" + name, abnormal[i] ? "1" : "0", pid));
    });
    return writeLines(dir.resolve("labels.csv"), "image,label,patient_id", rows);
  }

  /**
   * Writes {@code count} PNG images and a generic {@code labels.csv} with the paper's seven label columns
   * ({@code image,AMD,Glaucoma,...,RVO,patient_id}); about half the images are normal.
   *
   * @return the path of {@code labels.csv}
   */
  public static Path writeMultiLabelCsv(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    Path images = Files.createDirectories(dir.resolve("images"));
    String[] rows = new String[count];
    run(count, i -> {
      Random rnd = random(seed, i);
      int[] l = multiLabels(rnd);
      boolean right = i % 2 == 0;
      String pid = String.format(Locale.ROOT, "SYN%04d", i / 2 + 1);
      String name = String.format(Locale.ROOT, "%04d_%s.png", i / 2 + 1, right ? "R" : "L");
      png(SyntheticFundus.renderMultiLabel(rnd, size, l, right).image(), images.resolve(name));
      List<String> row = new ArrayList<>();
      row.add("images/" + name);
      for (int v : l) {
        row.add(Integer.toString(v));
      }
      row.add(pid);
      rows[i] = Csv.line(row);
    });
    return writeLines(dir.resolve("labels.csv"),
        "image," + String.join(",", SyntheticFundus.PAPER_LABELS) + ",patient_id", rows);
  }

  /**
   * Writes one layout from the command line: {@code <dicom|rfmid|jsiec|fives|csv|multilabel-csv> DIR COUNT SIZE SEED}.
   *
   * <p>Used by {@code datavec-pipelines/src/test/resources/fixtures/make-fixtures.sh}.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 5) {
      System.err.println("usage: SyntheticDataset <dicom|rfmid|jsiec|fives|csv|multilabel-csv> DIR COUNT SIZE SEED");
      System.exit(2);
    }
    Path dir = Path.of(args[1]);
    int count = Integer.parseInt(args[2]);
    int size = Integer.parseInt(args[3]);
    long seed = Long.parseLong(args[4]);
    Path out = switch (args[0]) {
      case "dicom" -> writeDicom(dir, count, size, seed);
      case "rfmid" -> writeRfmid(dir, count, size, seed);
      case "jsiec" -> writeJsiec(dir, count, size, seed);
      case "fives" -> writeFives(dir, count, size, seed);
      case "csv" -> writeGenericCsv(dir, count, size, seed);
      case "multilabel-csv" -> writeMultiLabelCsv(dir, count, size, seed);
      default -> throw new IllegalArgumentException("Unknown layout '" + args[0]
          + "'; expected dicom, rfmid, jsiec, fives, csv or multilabel-csv");
    };
    System.out.println("SYNTHETIC data written: " + out);
  }

  /** Normal with probability 1/2, else one or two of the seven labels (never glaucoma with suspect). */
  static int[] multiLabels(Random rnd) {
    int[] l = new int[7];
    if (rnd.nextBoolean()) {
      return l;
    }
    int n = 1 + rnd.nextInt(2);
    while (n > 0) {
      int c = rnd.nextInt(7);
      boolean clash = (c == SyntheticFundus.GLAUCOMA && l[SyntheticFundus.GLAUCOMA_SUSPECT] == 1)
          || (c == SyntheticFundus.GLAUCOMA_SUSPECT && l[SyntheticFundus.GLAUCOMA] == 1);
      if (l[c] == 0 && !clash) {
        l[c] = 1;
        n--;
      }
    }
    return l;
  }

  /** Exactly {@code count / 2} true entries at seeded positions. */
  static boolean[] balanced(int count, long seed) {
    List<Integer> idx = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      idx.add(i);
    }
    Collections.shuffle(idx, new Random(seed ^ 0x2545F4914F6CDD1DL));
    boolean[] out = new boolean[count];
    for (int i = 0; i < count / 2; i++) {
      out[idx.get(i)] = true;
    }
    return out;
  }

  /** The random stream of image {@code i}: SplitMix64 of seed and index. */
  static Random random(long seed, int i) {
    long z = seed + 0x9E3779B97F4A7C15L * (i + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return new Random(z ^ (z >>> 31));
  }

  private static String uid(long seed, String kind, int index) {
    return UidGenerator.fromUuid(UUID.nameUUIDFromBytes(
        ("fundus4j-synthetic:" + seed + ":" + kind + ":" + index).getBytes(StandardCharsets.UTF_8)));
  }

  private static void png(BufferedImage img, Path out) throws IOException {
    if (!ImageIO.write(img, "png", out.toFile())) {
      throw new IOException("No PNG writer for " + out);
    }
  }

  private static void checkCount(int count) {
    if (count < 1 || count > 1_000_000) {
      throw new IllegalArgumentException("Image count must be 1-1000000, got " + count);
    }
  }

  private static Path writeLines(Path file, String header, String[] rows) throws IOException {
    StringBuilder sb = new StringBuilder(header).append('\n');
    for (String r : rows) {
      sb.append(r).append('\n');
    }
    Files.writeString(file, sb, StandardCharsets.UTF_8);
    return file;
  }

  @FunctionalInterface
  private interface ImageJob {
    void write(int i) throws IOException;
  }

  /** Runs the jobs on the common pool; the first I/O error is rethrown as IOException. */
  private static void run(int count, ImageJob job) throws IOException {
    try {
      IntStream.range(0, count).parallel().forEach(i -> {
        try {
          job.write(i);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}

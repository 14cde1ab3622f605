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
 *   <li>{@link #writeRfmid}: {@code Training/<ID>.png} + {@code RFMiD_Training_Labels.csv} with
 *       {@code ID,Disease_Risk,DR,ARMD,ODC,MYA,ERM,BRVO} (RFMiD's names for the paper's labels).
 *   <li>{@link #writeJsiec}: one folder per class ({@link #JSIEC_CLASSES}) of JPEG files.
 *   <li>{@link #writeFives}: {@code Original/<n>_<A|D|G|N>.png} and {@code Ground truth/} vessel masks.
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

  /** Class folders written by {@link #writeJsiec}, in JSIEC's naming style. */
  public static final List<String> JSIEC_CLASSES =
      List.of("0.0.Normal", "1.1.DR2", "10.0.Possible glaucoma", "13.Pathological myopia");

  /** RFMiD columns written by {@link #writeRfmid}, after {@code ID}. */
  public static final List<String> RFMID_COLUMNS = List.of("Disease_Risk", "DR", "ARMD", "ODC", "MYA", "ERM", "BRVO");

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
   * Writes {@code count} PNG images in the RFMiD layout; about half are normal ({@code Disease_Risk=0}).
   *
   * @return the path of {@code RFMiD_Training_Labels.csv}; images are in {@code dir/Training}
   */
  public static Path writeRfmid(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    Path images = Files.createDirectories(dir.resolve("Training"));
    String[] rows = new String[count];
    run(count, i -> {
      Random rnd = random(seed, i);
      int[] l = multiLabels(rnd);
      SyntheticFundus.Rendered r = SyntheticFundus.renderMultiLabel(rnd, size, l, rnd.nextBoolean());
      int id = i + 1;
      png(r.image(), images.resolve(id + ".png"));
      int any = 0;
      for (int v : l) {
        any |= v;
      }
      int odc = l[SyntheticFundus.GLAUCOMA] | l[SyntheticFundus.GLAUCOMA_SUSPECT];
      rows[i] = id + "," + any + "," + l[SyntheticFundus.DR] + "," + l[SyntheticFundus.AMD] + "," + odc + ","
          + l[SyntheticFundus.MYOPIA] + "," + l[SyntheticFundus.ERM] + "," + l[SyntheticFundus.RVO];
    });
    return writeLines(dir.resolve("RFMiD_Training_Labels.csv"), "ID," + String.join(",", RFMID_COLUMNS), rows);
  }

  /** Writes {@code count} JPEG images into one folder per class of {@link #JSIEC_CLASSES}; returns {@code dir}. */
  public static Path writeJsiec(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    for (String c : JSIEC_CLASSES) {
      Files.createDirectories(dir.resolve(c));
    }
    run(count, i -> {
      Random rnd = random(seed, i);
      int cls = i % JSIEC_CLASSES.size();
      int[] l = new int[7];
      switch (cls) {
        case 1 -> l[SyntheticFundus.DR] = 1;
        case 2 -> l[SyntheticFundus.GLAUCOMA_SUSPECT] = 1;
        case 3 -> l[SyntheticFundus.MYOPIA] = 1;
        default -> { }
      }
      BufferedImage img = SyntheticFundus.renderMultiLabel(rnd, size, l, rnd.nextBoolean()).image();
      Path out = dir.resolve(JSIEC_CLASSES.get(cls)).resolve(String.format(Locale.ROOT, "%04d.jpg", i + 1));
      if (!ImageIO.write(img, "jpg", out.toFile())) {
        throw new IOException("No JPEG writer for " + out);
      }
    });
    return dir;
  }

  /**
   * Writes {@code count} images and vessel masks in the FIVES layout, diseases A, D, G, N in turn.
   *
   * @return {@code dir}, which holds {@code Original} and {@code Ground truth}
   */
  public static Path writeFives(Path dir, int count, int size, long seed) throws IOException {
    checkCount(count);
    Path originals = Files.createDirectories(dir.resolve("Original"));
    Path truths = Files.createDirectories(dir.resolve("Ground truth"));
    String letters = "ADGN";
    run(count, i -> {
      Random rnd = random(seed, i);
      char d = letters.charAt(i % 4);
      int[] l = new int[7];
      switch (d) {
        case 'A' -> l[SyntheticFundus.AMD] = 1;
        case 'D' -> l[SyntheticFundus.DR] = 1;
        case 'G' -> l[SyntheticFundus.GLAUCOMA] = 1;
        default -> { }
      }
      SyntheticFundus.Rendered r = SyntheticFundus.renderMultiLabel(rnd, size, l, rnd.nextBoolean());
      String name = (i + 1) + "_" + d + ".png";
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

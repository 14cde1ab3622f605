package org.fundus4j.benchmarks;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.ImageIdentity;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.Augmentations;
import org.fundus4j.pipelines.Frame;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.ScalableImage;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.Stage;
import org.fundus4j.pipelines.augment.Clahe;
import org.fundus4j.pipelines.augment.GaussianBlur;
import org.fundus4j.pipelines.augment.Grayscale;
import org.fundus4j.pipelines.augment.HorizontalFlip;
import org.fundus4j.pipelines.preprocess.BorderCrop;
import org.fundus4j.pipelines.preprocess.ImageNetNormalize;
import org.fundus4j.pipelines.preprocess.OpenCvImages;
import org.fundus4j.pipelines.preprocess.PadToSquare;
import org.fundus4j.pipelines.preprocess.Resize;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.fundus4j.samples.synthetic.SyntheticFundus;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures how fast the training pipeline feeds 512 px images from DICOM OP JPEG files (issue 4), per stage and
 * through the multi-threaded iterator, against one ResNet-50 training step. A benchmark, not a test.
 *
 * <p>Input: {@code count} SYNTHETIC Ophthalmic Photography files shaped like a fundus camera's: a fundus disc
 * rendered {@code height} px across by {@code SyntheticFundus}, centred on a black {@code width x height} frame,
 * with seeded sensor-like noise on the disc (sigma {@code noise} grey levels) so that JPEG needs about as many
 * bits per disc pixel as a real photograph, written by {@code OphthalmicPhotoWriter} and compressed to JPEG
 * baseline (IJG quality 90, 4:2:2) by dcmtk's {@code dcmcjpeg +eb}. With {@code data/cc0} present, the CC0 real
 * photograph wrapped by {@code img2dcm} (1411x1411, 4:2:0) is measured too.
 *
 * <p>Measured, single thread, CPU time of that thread per image (OpenCV limited to 1 thread so that the thread
 * sees all of its work): every stage of the previous path (PixelMed decode to a {@code BufferedImage}) and of the
 * current one ({@code ImageFiles.open} keeps the JPEG frame, OpenCV decodes it at a reduced size); then
 * {@code FundusDataSets.iterator} on each thread count, one epoch per thread count per round, the thread counts
 * interleaved round by round ({@link InterleavedRounds}): wall-clock images/s (median, fastest and slowest round)
 * beside process CPU time per image (all threads, GC included; less sensitive to load, so images/s on {@code n}
 * idle cores is about {@code n / CPU seconds per image}), with the load average around the rounds; then a ResNet-50 ({@code ResNet50.build(Head.linear(2))}) {@code fit} step
 * on {@code modelBatch} random images at {@code size} px, per image.
 *
 * <p>Run from the repository root after {@code mvn -B -q -pl benchmarks -am package -DskipTests}:
 * <pre>
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *     org.fundus4j.benchmarks.PipelineBenchmark [--count 64] [--width 2000] [--height 1500] [--noise 3] \
 *     [--size 512] [--threads 1,2] [--rounds 5] [--model-batch 2] [--work DIR] [--out benchmarks/results]
 * </pre>
 * {@code --model-batch 0} skips the ResNet-50 step; {@code --work} keeps (and re-uses) the generated files.
 * Needs dcmtk.
 */
public final class PipelineBenchmark {

  /** Benchmark settings; see the class comment. */
  public record Options(int count, int width, int height, double noise, int size, int[] threads, int rounds,
      int modelBatch, Path work) {

    /** Checks the ranges. */
    public Options {
      if (count < 1 || width < 64 || height < 64 || height > width || noise < 0 || size < 32 || modelBatch < 0
          || rounds < 1) {
        throw new IllegalArgumentException("Need count >= 1, 64 <= height <= width, noise >= 0, size >= 32,"
            + " rounds >= 1, model batch >= 0");
      }
      threads = threads.clone();
    }

    /**
     * The defaults: 64 files of 2000x1500 px, noise 3, 512 px, 1 and 2 threads in 5 interleaved rounds, model
     * batch 2, temporary work.
     */
    public static Options defaults() {
      return new Options(64, 2000, 1500, 3.0, 512, new int[] {1, 2}, 5, 2, null);
    }
  }

  /**
   * Iterator epochs on {@code threads} worker threads: median wall-clock images/s, its {@code "median (min-max)"}
   * text, median process CPU milliseconds per image, and the load average around the rounds.
   */
  public record IteratorRun(int threads, double imagesPerSecond, String imagesPerSecondRange, double cpuMsPerImage,
      String loadBefore, String loadAfter) {}

  /** One row of the per-stage table: thread CPU ms per image on the previous and the current path (NaN: n/a). */
  public record StageRow(String stage, double previousMs, double currentMs) {}

  /**
   * What was measured.
   *
   * @param stages per-stage thread CPU ms per image, single thread, previous (PixelMed) and current (OpenCV) path
   * @param reductions how many images each JPEG reduction (1, 2, 4, 8) was used for
   * @param realPhotoMs ms of thread CPU per image, whole current path, for the CC0 photograph (NaN if absent)
   * @param modelSecondsPerImage ResNet-50 fit step per image (NaN if skipped)
   */
  public record Result(Options options, double meanJpegKb, double discBitsPerPixel, List<StageRow> stages,
      Map<Integer, Integer> reductions, List<IteratorRun> iterator, int skipped, double realPhotoMs,
      double modelSecondsPerImage) {}

  private static final String[] STAGES = {"read DICOM: PixelMed decode (previous) / parse, keep JPEG frame (now)",
      "JPEG decode, OpenCV imdecode at 1/r", "int RGB to BGR Mat", "disc crop (find bounds, view)", "pad to square",
      "resize to {size} (area)", "augment (flip 0.5, grey 0.1, blur 0.2, CLAHE 0.2)",
      "normalise into the [1,3,s,s] tensor"};

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private PipelineBenchmark() {}

  /** Runs the benchmark; generated files go to {@code options.work()} or a temporary folder. */
  public static Result run(Options o) throws IOException, InterruptedException {
    Path dir = o.work() != null ? o.work() : Files.createTempDirectory("fundus4j-pipeline-bench");
    List<Path> files = writeSources(dir.resolve(String.format(Locale.ROOT, "op-jpeg-%dx%d-noise%.1f", o.width(),
        o.height(), o.noise())), o);
    long bytes = 0;
    for (Path f : files) {
      bytes += Files.size(f);
    }
    double discPixels = Math.PI / 4 * o.height() * o.height();
    double bitsPerDiscPixel = 8.0 * bytes / files.size() / discPixels;

    FundusPipeline train = Pipelines.training(o.size(), 1);
    int cvThreads = opencv_core.getNumThreads();
    opencv_core.setNumThreads(1);
    List<StageRow> stages = new ArrayList<>();
    Map<Integer, Integer> reductions = new LinkedHashMap<>();
    double realPhoto;
    try {
      double[] previous = profile(files, o.size(), false, new LinkedHashMap<>());
      double[] current = profile(files, o.size(), true, reductions);
      double previousSum = 0;
      double currentSum = 0;
      for (int k = 0; k < STAGES.length; k++) {
        stages.add(new StageRow(STAGES[k].replace("{size}", Integer.toString(o.size())), previous[k], current[k]));
        previousSum += Double.isNaN(previous[k]) ? 0 : previous[k];
        currentSum += Double.isNaN(current[k]) ? 0 : current[k];
      }
      stages.add(new StageRow("sum of the stages", previousSum, currentSum));
      stages.add(new StageRow("whole path: pipeline.apply(DicomImages.read(f).rgb()) / pipeline.apply(ImageFiles.open(f))",
          wholePath(files, f -> train.apply(DicomImages.read(f).rgb(), 0)),
          wholePath(files, f -> train.apply(ImageFiles.open(f), 0))));
      Path cc0 = realPhotograph(dir);
      realPhoto = cc0 == null ? Double.NaN : wholePath(java.util.Collections.nCopies(8, cc0),
          f -> train.apply(ImageFiles.open(f), 0));
    } finally {
      opencv_core.setNumThreads(cvThreads);
    }

    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      samples.add(new Sample(files.get(i), "P" + i / 2, new int[] {i % 2}, null));
    }
    SkipReport skips = new SkipReport();
    List<IteratorRun> runs = iterate(samples, o.size(), o.threads(), o.rounds(), skips);
    double model = o.modelBatch() == 0 ? Double.NaN : trainingStepSeconds(o.size(), o.modelBatch()) / o.modelBatch();
    return new Result(o, bytes / 1024.0 / files.size(), bitsPerDiscPixel, stages, reductions, runs, skips.count(),
        realPhoto, model);
  }

  /** Per-stage thread CPU ms per image (see {@link #STAGES}) of the PixelMed path or ({@code jpegPath}) the OpenCV one. */
  private static double[] profile(List<Path> files, int size, boolean jpegPath, Map<Integer, Integer> reductions)
      throws IOException {
    Augmentations aug = Augmentations.defaults();
    List<Stage> augment = List.of(new HorizontalFlip(aug.flip()), new Grayscale(aug.grayscale()),
        new GaussianBlur(aug.blur(), 0.1, 2.0), new Clahe(aug.clahe()));
    BorderCrop crop = new BorderCrop();
    PadToSquare pad = new PadToSquare();
    Resize resize = new Resize(size);
    long[] ns = new long[STAGES.length];
    for (int pass = 0; pass < 2; pass++) {   // pass 0 warms up
      java.util.Arrays.fill(ns, 0);
      for (int i = 0; i < files.size(); i++) {
        try (PointerScope scope = new PointerScope()) {
          long t = cpu();
          Mat bgr;
          Rect disc;
          if (jpegPath) {
            ScalableImage image = ImageFiles.open(files.get(i));
            t = lap(ns, 0, t);
            // As StagedPipeline.reductionFor: the largest reduction keeping 0.9 x the shorter side >= size, then
            // halved while the disc found is smaller than size.
            int r = 1;
            while (r * 2 <= image.maxReduction()
                && (Math.min(image.width(), image.height()) + 2 * r - 1) / (2 * r) * 0.9 >= size) {
              r *= 2;
            }
            while (true) {
              bgr = image.decodeBgr(r);
              t = lap(ns, 1, t);
              disc = crop.discBounds(bgr);
              t = lap(ns, 3, t);
              if (r == 1 || Math.max(disc.width(), disc.height()) >= size) {
                break;
              }
              r /= 2;
            }
            if (pass == 1) {
              reductions.merge(r, 1, Integer::sum);
            }
          } else {
            BufferedImage rgb = DicomImages.read(files.get(i)).rgb();
            t = lap(ns, 0, t);
            bgr = OpenCvImages.toBgr(rgb);
            t = lap(ns, 2, t);
            disc = crop.discBounds(bgr);
            t = lap(ns, 3, t);
          }
          Frame frame = BorderCrop.crop(new Frame(bgr, null), disc);
          t = lap(ns, 3, t);
          Random rnd = new Random(i);
          frame = pad.apply(frame, rnd);
          t = lap(ns, 4, t);
          frame = resize.apply(frame, rnd);
          t = lap(ns, 5, t);
          for (Stage s : augment) {
            frame = s.apply(frame, rnd);
          }
          t = lap(ns, 6, t);
          INDArray x = Nd4j.createUninitialized(DataType.FLOAT, 1, 3, size, size);
          ImageNetNormalize.writeChw(frame.image(), x);
          lap(ns, 7, t);
        }
      }
    }
    double[] ms = new double[STAGES.length];
    for (int k = 0; k < ms.length; k++) {
      ms[k] = ns[k] / 1e6 / files.size();
    }
    ms[jpegPath ? 2 : 1] = Double.NaN;
    return ms;
  }

  private static long cpu() {
    return THREADS.getCurrentThreadCpuTime();
  }

  private static long lap(long[] ns, int k, long since) {
    long now = cpu();
    ns[k] += now - since;
    return now;
  }

  private interface Work {
    Object apply(Path file) throws IOException;
  }

  /** Thread CPU ms per image of {@code w} over {@code files}, after one warm-up pass. */
  private static double wholePath(List<Path> files, Work w) throws IOException {
    for (Path f : files) {
      w.apply(f);
    }
    long t = cpu();
    for (Path f : files) {
      w.apply(f);
    }
    return (cpu() - t) / 1e6 / files.size();
  }

  /**
   * Wall-clock images/s and process CPU per image of one epoch (batch 8, 4 batches ahead, shuffled) per thread
   * count, the thread counts interleaved round by round ({@link InterleavedRounds}) after one warm-up epoch each.
   * Each epoch opens its own iterator, so no idle iterator decodes ahead while another is timed; its wall clock
   * includes filling the pipeline.
   */
  private static List<IteratorRun> iterate(List<Sample> samples, int size, int[] threads, int rounds, SkipReport skips) {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    Map<Integer, List<Double>> cpuMs = new LinkedHashMap<>();
    List<InterleavedRounds.Engine> engines = new ArrayList<>();
    for (int t : threads) {
      cpuMs.put(t, new ArrayList<>());
      engines.add(new InterleavedRounds.Engine(t + " thread" + (t == 1 ? "" : "s"), () -> {
        long c0 = os.getProcessCpuTime();
        int n;
        try (FundusDataSetIterator it = FundusDataSets.iterator(samples, Pipelines.training(size, 2), LabelKind.BINARY,
            2, 8, skips, new IteratorOptions(t, 4, true, 3))) {
          n = drain(it);
        }
        cpuMs.get(t).add((os.getProcessCpuTime() - c0) / 1e6 / n);
        return n;
      }));
    }
    InterleavedRounds.Result r = InterleavedRounds.run(engines, 1, rounds);
    List<IteratorRun> runs = new ArrayList<>();
    for (int k = 0; k < threads.length; k++) {
      String name = engines.get(k).name();
      List<Double> cpu = cpuMs.get(threads[k]);
      runs.add(new IteratorRun(threads[k], r.rate(name), r.summary(name),
          InterleavedRounds.median(cpu.subList(1, cpu.size())), r.loadBefore(), r.loadAfter()));
    }
    return runs;
  }

  private static int drain(FundusDataSetIterator it) {
    int n = 0;
    while (it.hasNext()) {
      n += it.next().numExamples();
    }
    return n;
  }

  /** Seconds of one ResNet-50 fit step on {@code batch} random images (median of 2, after one warm-up step). */
  private static double trainingStepSeconds(int size, int batch) {
    ComputationGraph net = ResNet50.build(Head.linear(2), 1);
    DataSet data = new DataSet(Nd4j.rand(DataType.FLOAT, batch, 3, size, size),
        Nd4j.eye(2).getRows(new int[batch]).dup());
    net.fit(data);
    double[] s = new double[2];
    for (int i = 0; i < s.length; i++) {
      long t0 = System.nanoTime();
      net.fit(data);
      s[i] = (System.nanoTime() - t0) / 1e9;
    }
    return Math.min(s[0], s[1]);
  }

  /** Writes (or re-uses) the synthetic camera-like OP JPEG files; see the class comment. */
  static List<Path> writeSources(Path dir, Options o) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < o.count(); i++) {
      Path f = dir.resolve(String.format(Locale.ROOT, "%04d.dcm", i));
      files.add(f);
      if (Files.isRegularFile(f)) {
        continue;
      }
      boolean right = i % 2 == 0;
      BufferedImage disc = SyntheticFundus.renderWithMask(new Random(1000L + i), o.height(), i % 4 >= 2, right).image();
      BufferedImage frame = new BufferedImage(o.width(), o.height(), BufferedImage.TYPE_INT_RGB);
      int[] d = disc.getRGB(0, 0, o.height(), o.height(), null, 0, o.height());
      Random noise = new Random(2000L + i);
      for (int k = 0; k < d.length; k++) {
        int v = d[k];
        int r = (v >> 16) & 0xFF;
        int g = (v >> 8) & 0xFF;
        int b = v & 0xFF;
        if (r + g + b > 30 && o.noise() > 0) {   // on the disc: shared luminance noise plus some chroma noise
          double shared = noise.nextGaussian() * o.noise();
          r = clamp(r + shared + noise.nextGaussian() * o.noise() / 2);
          g = clamp(g + shared);
          b = clamp(b + shared + noise.nextGaussian() * o.noise() / 2);
        }
        d[k] = (r << 16) | (g << 8) | b;
      }
      frame.setRGB((o.width() - o.height()) / 2, 0, o.height(), o.height(), d, 0, o.height());
      Path raw = dir.resolve(String.format(Locale.ROOT, "%04d.raw.dcm", i));
      String uid = "2.25." + (1_000_000_000L + i);
      OphthalmicPhotoWriter.write(frame, new ImageIdentity(String.format(Locale.ROOT, "SYN%04d", i / 2),
          "Synthetic^Benchmark", uid + "1", uid + "2", uid + "3", right ? "R" : "L", LocalDate.of(2024, 1, 1)), raw);
      command(List.of("dcmcjpeg", "+eb", raw.toString(), f + ".tmp"));
      AtomicFiles.move(Path.of(f + ".tmp"), f);
      Files.delete(raw);
    }
    return files;
  }

  /** The CC0 photograph wrapped unchanged by img2dcm, or null when data/cc0 is not in the working directory. */
  private static Path realPhotograph(Path dir) throws IOException, InterruptedException {
    Path jpeg = Path.of("data", "cc0", "retina-normal-left.jpg");
    if (!Files.isRegularFile(jpeg)) {
      return null;
    }
    Path out = dir.resolve("cc0-op.dcm");
    if (!Files.isRegularFile(out)) {
      command(List.of("img2dcm", "-q", "-oph", "-k", "ImageLaterality=L",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeValue=409898007",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SCT",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus Camera", jpeg.toString(), out.toString()));
    }
    return out;
  }

  private static void command(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(command.get(0) + " failed (is dcmtk installed?): " + command + "\n" + output);
    }
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  /** Returns the result as Markdown, the form of {@code benchmarks/results/pipeline.md}. */
  static String markdown(Result r) {
    Options o = r.options();
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "%d SYNTHETIC OP files, %dx%d px (fundus rendered in a %d px square), JPEG baseline q90 4:2:2,"
        + " %.0f KB each (%.2f bits per disc pixel), output %d px, training pipeline%n%n", o.count(), o.width(), o.height(), o.height(), r.meanJpegKb(), r.discBitsPerPixel(), o.size()));
    s.append("| stage (1 thread; thread CPU ms per image) | previous: PixelMed | now: OpenCV |\n|---|---|---|\n");
    for (StageRow row : r.stages()) {
      s.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", row.stage(), ms(row.previousMs()), ms(row.currentMs())));
    }
    s.append(String.format(Locale.ROOT, "%nJPEG reductions used (r: images): %s%n", r.reductions()));
    if (!Double.isNaN(r.realPhotoMs())) {
      s.append(String.format(Locale.ROOT, "CC0 real photograph (1411x1411, 4:2:0, img2dcm), whole current path: %.1f ms"
          + " per image%n", r.realPhotoMs()));
    }
    s.append(String.format(Locale.ROOT, "%n| FundusDataSets iterator (batch 8), one epoch of %d images per round, %d"
        + " interleaved rounds | images/s wall clock, median (min-max) | process CPU ms per image, median |"
        + " images/s on n idle cores (n threads / CPU s) | load average before / after |%n|---|---|---|---|---|%n",
        o.count(), o.rounds()));
    for (IteratorRun run : r.iterator()) {
      s.append(String.format(Locale.ROOT, "| %d thread%s | %s | %.1f | %.0f | %s / %s |%n", run.threads(),
          run.threads() == 1 ? "" : "s", run.imagesPerSecondRange(), run.cpuMsPerImage(),
          1000 * Math.min(run.threads(), Runtime.getRuntime().availableProcessors()) / run.cpuMsPerImage(),
          run.loadBefore(), run.loadAfter()));
    }
    s.append(String.format(Locale.ROOT, "%nskipped files: %d%n", r.skipped()));
    if (!Double.isNaN(r.modelSecondsPerImage())) {
      s.append(String.format(Locale.ROOT, "ResNet-50 (DL4J) fit step at %d px, batch %d: %.2f s per image (%.2f images/s)%n",
          o.size(), o.modelBatch(), r.modelSecondsPerImage(), 1 / r.modelSecondsPerImage()));
    }
    return s.toString();
  }

  private static String ms(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
  }

  /** Entry point; see the class comment for the options. */
  public static void main(String[] args) throws Exception {
    Options d = Options.defaults();
    BenchmarkArgs a = BenchmarkArgs.parse(PipelineBenchmark.class, args, "count=" + d.count(), "width=" + d.width(),
        "height=" + d.height(), "noise=" + d.noise(), "size=" + d.size(), "threads=1,2", "rounds=" + d.rounds(),
        "model-batch=" + d.modelBatch(), "work=", "out=");
    Options o = new Options(a.integer("count"), a.integer("width"), a.integer("height"), a.real("noise"),
        a.integer("size"), a.list("threads").stream().mapToInt(Integer::parseInt).toArray(), a.integer("rounds"),
        a.integer("model-batch"), a.path("work"));
    String load = InterleavedRounds.loadAverage();
    Result r = run(o);
    String md = "# Training pipeline throughput from SYNTHETIC DICOM OP JPEG files (" + java.time.Instant.now() + ")\n\n"
        + "Command: `" + a.command() + "` (after `mvn -B -q -pl benchmarks -am package -DskipTests`).\n\n"
        + Runtime.getRuntime().availableProcessors() + " processors; load average (1/5/15 min) " + load + " at start, "
        + InterleavedRounds.loadAverage() + " at end.\n\n" + markdown(r);
    System.out.println(md);
    Path out = a.path("out");
    if (out != null) {
      Files.createDirectories(out);
      Path file = out.resolve(String.format(Locale.ROOT, "pipeline-%dx%d.md", o.width(), o.height()));
      Files.writeString(file, md);
      System.out.println("wrote " + file);
    }
  }
}

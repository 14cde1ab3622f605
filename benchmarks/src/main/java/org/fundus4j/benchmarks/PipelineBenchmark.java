package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Measures how fast the training pipeline feeds images from DICOM OP JPEG files, against the time one
 * ResNet-50 training step takes per image (issue 4). A benchmark, not a test: numbers depend on the machine.
 *
 * <p>Input: {@code count} SYNTHETIC fundus images rendered at {@code sourceSize} px, written as Ophthalmic
 * Photography DICOM by {@link SyntheticDataset#writeDicom} and compressed to JPEG baseline with dcmtk's
 * {@code dcmcjpeg}. Measured: DICOM decode only; decode + training pipeline on 1 thread; the multi-threaded
 * {@link FundusDataSets} iterator (decode, crop, pad, resize to {@code size}, flip/grey/blur/CLAHE,
 * normalise, batch); and a ResNet-50 ({@code ResNet50.build(Head.linear(2))}) {@code fit} on one batch of
 * {@code modelBatch} images at {@code size} px.
 *
 * <p>Run after {@code mvn -B -q -pl benchmarks package -DskipTests}:
 * {@code java -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)"
 * org.fundus4j.benchmarks.PipelineBenchmark [count] [sourceSize] [size] [threads] [modelBatch]}, defaults
 * 64 1024 512 (all processors) 2; {@code modelBatch} 0 skips the ResNet-50 step. Needs dcmtk.
 */
public final class PipelineBenchmark {

  /** What was measured; rates in images per second, model time in seconds per image. */
  public record Result(int images, int size, int threads, double decodeOnlyPerSecond, double pipelineOneThreadPerSecond,
      double iteratorPerSecond, double modelSecondsPerImage, int skipped, double decodeCpuSeconds,
      double pipelineCpuSeconds) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "images %d at %d px, %d threads%n"
          + "  DICOM JPEG decode only (1 thread):          %7.1f images/s%n"
          + "  decode + training pipeline (1 thread):      %7.1f images/s%n"
          + "  FundusDataSets iterator (%d threads):        %7.1f images/s%n"
          + "  ResNet-50 fit step:                         %7.2f s/image (%.2f images/s)%n"
          + "  skipped files: %d%n"
          + "  CPU time per image (main thread, independent of other load): decode %.1f ms, decode + pipeline %.1f ms"
          + " -> %.1f images/s per core",
          images, size, threads, decodeOnlyPerSecond, pipelineOneThreadPerSecond, threads, iteratorPerSecond,
          modelSecondsPerImage, 1 / modelSecondsPerImage, skipped, 1000 * decodeCpuSeconds, 1000 * pipelineCpuSeconds,
          1 / pipelineCpuSeconds);
    }
  }

  private PipelineBenchmark() {}

  /** Runs the benchmark in {@code work} (created if needed). */
  public static Result run(Path work, int count, int sourceSize, int size, int threads, int modelBatch)
      throws IOException, InterruptedException {
    Path dir = work.resolve("op-jpeg");
    Path labels = SyntheticDataset.writeDicom(dir, count, sourceSize, 1);
    for (Path f : DicomFolder.dicomFiles(dir)) {
      Path tmp = f.resolveSibling(f.getFileName() + ".jpg.dcm");
      Process p = new ProcessBuilder("dcmcjpeg", "+eb", f.toString(), tmp.toString()).inheritIO().start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("dcmcjpeg failed on " + f);
      }
      Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    List<Sample> samples = DicomFolder.read(labels).samples();

    // Decode only, then decode + pipeline, one thread (second pass timed, first warms up).
    double[] decode = rate(samples, s -> DicomImages.read(s.image()));
    FundusPipeline train = Pipelines.training(size, 1);
    double[] pipeline = rate(samples, s -> train.apply(DicomImages.read(s.image()).rgb()));

    // The multi-threaded iterator: one warm-up epoch, then two timed epochs.
    SkipReport skips = new SkipReport();
    double iterator;
    try (FundusDataSetIterator it = FundusDataSets.iterator(samples, Pipelines.training(size, 2), LabelKind.BINARY,
        2, 8, skips, new IteratorOptions(threads, 4, true, 3))) {
      drain(it);
      long t0 = System.nanoTime();
      int n = 0;
      for (int e = 0; e < 2; e++) {
        it.reset();
        n += drain(it);
      }
      iterator = n / ((System.nanoTime() - t0) / 1e9);
    }

    if (modelBatch == 0) {
      return new Result(samples.size(), size, threads, decode[0], pipeline[0], iterator, Double.NaN, skips.count(),
          decode[1], pipeline[1]);
    }
    // One ResNet-50 training step on modelBatch images (after one warm-up step).
    ComputationGraph net = ResNet50.build(Head.linear(2), 1);
    DataSet batch = new DataSet(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, modelBatch, 3, size, size),
        Nd4j.eye(2).getRows(new int[modelBatch]).dup());
    net.fit(batch);
    long t0 = System.nanoTime();
    int steps = 2;
    for (int i = 0; i < steps; i++) {
      net.fit(batch);
    }
    double model = (System.nanoTime() - t0) / 1e9 / (steps * modelBatch);
    return new Result(samples.size(), size, threads, decode[0], pipeline[0], iterator, model, skips.count(),
        decode[1], pipeline[1]);
  }

  private interface Work {
    Object apply(Sample s) throws Exception;
  }

  /** Returns {images per wall-clock second, CPU seconds per image} of the calling thread. */
  private static double[] rate(List<Sample> samples, Work w) throws IOException {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    try {
      for (Sample s : samples.subList(0, Math.min(8, samples.size()))) {
        w.apply(s);
      }
      long t0 = System.nanoTime();
      long c0 = mx.getCurrentThreadCpuTime();
      for (Sample s : samples) {
        w.apply(s);
      }
      double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / samples.size();
      return new double[] {samples.size() / ((System.nanoTime() - t0) / 1e9), cpu};
    } catch (Exception e) {
      throw new IOException("Benchmark step failed: " + e.getMessage(), e);
    }
  }

  private static int drain(FundusDataSetIterator it) {
    int n = 0;
    while (it.hasNext()) {
      n += it.next().numExamples();
    }
    return n;
  }

  /** Entry point; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int sourceSize = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 512;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
    int modelBatch = args.length > 4 ? Integer.parseInt(args[4]) : 2;
    Path work = Files.createTempDirectory("fundus4j-bench");
    System.out.println("Benchmark on SYNTHETIC images; work folder " + work);
    System.out.println(run(work, count, sourceSize, size, threads, modelBatch));
  }
}

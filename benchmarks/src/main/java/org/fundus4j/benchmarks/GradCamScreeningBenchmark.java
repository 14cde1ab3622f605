package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntSupplier;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.Precision;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.screening.BatchScreening;
import org.fundus4j.screening.InferenceEngine;
import org.fundus4j.screening.ScreeningRow;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;

/**
 * {@code fundus screen --gradcam} against plain screening, end to end per image (decode, preprocess, ONNX Runtime,
 * SR writing; with Grad-CAM also the maps, the PNG and the Secondary Capture per finding), in interleaved rounds.
 *
 * <p>A binary ResNet-50 at {@code --size} px (fresh weights: speed does not depend on them) screens the same
 * {@code --images} synthetic OP DICOM files of {@code --image-size} px in every round, with {@code --threads}
 * threads and batches of {@code --batch}, once with and once without Grad-CAM. The report goes to
 * {@code --out}/{@code gradcam-screening.md} for the default 8 images, {@code gradcam-screening-N.md} for N others.
 *
 * <pre>
 * OMP_NUM_THREADS=1 java -Xmx2g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.GradCamScreeningBenchmark --work /tmp/gradcam-bench --out benchmarks/results
 * </pre>
 */
public final class GradCamScreeningBenchmark {

  private GradCamScreeningBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> o = options(args, Map.of("--images", "8", "--size", "512", "--image-size", "1024",
        "--threads", "2", "--batch", "2", "--rounds", "3", "--warmup", "1", "--work", "/tmp/gradcam-bench",
        "--out", ""));
    int images = Integer.parseInt(o.get("--images"));
    int size = Integer.parseInt(o.get("--size"));
    int threads = Integer.parseInt(o.get("--threads"));
    int batch = Integer.parseInt(o.get("--batch"));
    Path work = Path.of(o.get("--work"));
    Path data = work.resolve("dicom");
    SyntheticDataset.writeDicom(data, images, Integer.parseInt(o.get("--image-size")), 7);
    List<Path> files = BatchScreening.expand(List.of(data)).stream()
        .filter(p -> p.toString().endsWith(".dcm")).toList();
    ModelCard card = new ModelCard("gradcam benchmark", "0.0.1", "binary", List.of("normal", "abnormal"), "Scratch",
        "FT", size, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(), null, null);
    SavedModel model = new SavedModel(ResNet50.build(Head.linear(2), 1), card);
    int[] round = {0};
    try (BatchScreening plain = new BatchScreening(model, null, UidGenerator.uuidDerived(), InferenceEngine.ONNX,
            Precision.FP32, threads, batch, false);
        BatchScreening cam = new BatchScreening(model, null, UidGenerator.uuidDerived(), InferenceEngine.ONNX,
            Precision.FP32, threads, batch, true)) {
      InterleavedRounds.Result r = InterleavedRounds.run(List.of(
          new InterleavedRounds.Engine("plain", step(plain, files, work, "plain", round)),
          new InterleavedRounds.Engine("gradcam", step(cam, files, work, "gradcam", round))),
          Integer.parseInt(o.get("--warmup")), Integer.parseInt(o.get("--rounds")));
      String ratio = r.ratio("plain", "gradcam");
      String report = String.format(Locale.ROOT, """
          # Grad-CAM screening vs plain screening (%s)

          %d synthetic OP DICOM files of %s px, binary ResNet-50 at %d px, ONNX Runtime fp32, %d threads, batch %d,
          end to end (decode, preprocess, inference, SR; Grad-CAM adds the maps, one PNG and one Secondary Capture per
          image). %d interleaved rounds after %d warm-up; load average before %s, after %s.

          | | images/s, median (min-max) |
          |---|---|
          | plain screening | %s |
          | `--gradcam` | %s |

          Grad-CAM screening costs **%s** the time of plain screening per image (target <= 1.5x).

          Command: `OMP_NUM_THREADS=1 %s`
          """, Instant.now(), files.size(), o.get("--image-size"), size, threads, batch,
          Integer.parseInt(o.get("--rounds")), Integer.parseInt(o.get("--warmup")), r.loadBefore(), r.loadAfter(),
          r.summary("plain"), r.summary("gradcam"), ratio,
          BenchmarkArgs.command(GradCamScreeningBenchmark.class.getName(), java.util.Arrays.asList(args)));
      System.out.println(report);
      if (!o.get("--out").isEmpty()) {
        // one report per image count: gradcam-screening.md for the default 8, gradcam-screening-500.md for 500
        String name = images == 8 ? "gradcam-screening.md" : "gradcam-screening-" + images + ".md";
        Path out = Files.createDirectories(Path.of(o.get("--out"))).resolve(name);
        Files.writeString(out, report);
      }
    }
  }

  /** {@code --name value} pairs over {@code defaults}; an unknown option is an error naming it. */
  private static Map<String, String> options(String[] args, Map<String, String> defaults) {
    Map<String, String> o = new java.util.HashMap<>(defaults);
    for (int k = 0; k < args.length; k += 2) {
      if (!defaults.containsKey(args[k]) || k + 1 >= args.length) {
        throw new IllegalArgumentException("Unknown option or missing value: " + args[k] + "; options: "
            + new java.util.TreeSet<>(defaults.keySet()));
      }
      o.put(args[k], args[k + 1]);
    }
    return o;
  }

  private static IntSupplier step(BatchScreening screening, List<Path> files, Path work, String name, int[] round) {
    return () -> {
      try {
        List<ScreeningRow> rows = screening.run(files, work.resolve(name + "-" + round[0]++), done -> {});
        if (rows.stream().anyMatch(row -> row.status() != ScreeningRow.Status.SCREENED)) {
          throw new IllegalStateException("not every image was screened: " + rows);
        }
        return rows.size();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }
}

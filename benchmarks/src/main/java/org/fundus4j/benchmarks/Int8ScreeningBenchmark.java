package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.evaluation.metrics.RocAuc;
import org.fundus4j.evaluation.visualize.Plots;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.BiasCorrection;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.fundus4j.networks.inference.StaticQuantization;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.fundus4j.networks.onnx.OnnxExportOptions;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.DicomFolder;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.fundus4j.pipelines.splits.Fold;
import org.fundus4j.pipelines.splits.PatientKFold;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.Mode;
import org.fundus4j.transfer.Start;
import org.fundus4j.transfer.Task;
import org.fundus4j.transfer.TransferRun;
import org.fundus4j.pipelines.sources.LabelledSet;
import org.fundus4j.transfer.EpochListener;
import org.fundus4j.transfer.LinearProbe;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * int8 against float32 screening in ONNX Runtime: speed at 512 px (interleaved rounds), held-out AUC and
 * the largest probability difference.
 *
 * <p>The model is the demo's screening model, made with the demo's calls and settings (120 seeded synthetic
 * DICOM images, patient-level 4-fold split, fold 0 held out, ResNet-50 Scratch start with BatchNorm
 * re-estimated on 2 training batches, linear probe for 30 epochs at 128 px). Calibration: the first
 * {@code --calibration} training images through the evaluation pipeline. Probabilities are compared on the
 * held-out images and the CC0 photographs of {@code data/cc0}. Speed: the same weights at
 * {@code --speed-size} px, batch {@code --speed-batch}, fp32, int8 and int8 with the accuracy-driven fallback
 * ({@link StaticQuantization#quantize}: at most {@code --max-float} tensors in float32 to stay within
 * {@code --bound}) in interleaved rounds. {@code --model} re-uses the {@code probe.zip} an earlier run wrote.
 *
 * <pre>
 * java -Xmx3g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.Int8ScreeningBenchmark --work /tmp/int8-bench --out benchmarks/results \
 *   [--model /tmp/int8-bench/probe.zip] [--bound 0.03] [--max-float 8] [--percentile 99.99|search]
 *   [--sweep 4,8,12,16] [--aware-epochs 2 --aware-lr 1e-7] [--held-apart 0.5]
 * </pre>
 *
 * <p>{@code --order prefix}: the fallback keeps the first tensors in graph order in float32 instead of the most
 * sensitive ({@link StaticQuantization.Fallback.Order}).
 *
 * <p>{@code --held-apart S}: the fallback judges its choices on that share of the calibration images and fits on the
 * rest ({@link StaticQuantization.Fallback#heldApart}); 0 judges on the images it fitted on.
 *
 * <p>{@code --aware-epochs N}: quantisation-aware training ({@link org.fundus4j.networks.inference.QuantizationAwareTraining})
 * on every training image before the fallback, when the all-int8 model misses the bound.
 *
 * <p>{@code --sweep K,pN,...}: besides the fallback's own choice, the K most sensitive tensors (or, for {@code pN},
 * the first N in graph order)
 * ({@link StaticQuantization.Choice#sensitivity}) kept in float32 for each K, with their held-out difference and
 * speed in the same interleaved rounds: the trade-off between the two.
 */
public final class Int8ScreeningBenchmark {
  private Int8ScreeningBenchmark() {}

  public static void main(String[] args) throws Exception {
    BenchmarkArgs a = BenchmarkArgs.parse(Int8ScreeningBenchmark.class, args, "images=120", "size=128", "epochs=30",
        "calibration=64", "speed-size=512", "speed-batch=2", "rounds=7", "warmup=2", "threads=2", "bound=0.03",
        "max-float=8", "work=/tmp/fundus4j-int8-benchmark", "cc0=data/cc0", "model=", "out=", "start=scratch",
        "weights=", "upstream-images=64", "upstream-size=64", "upstream-epochs=2", "upstream-lr=3e-4", "damp=0.2",
        "percentile=100", "sweep=", "aware-epochs=0", "aware-lr=1e-7", "held-apart=0", "order=sensitivity", "onnx=");
    int images = a.integer("images");
    int size = a.integer("size");
    int epochs = a.integer("epochs");
    int batch = 16;
    int calibrationImages = a.integer("calibration");
    int speedSize = a.integer("speed-size");
    int speedBatch = a.integer("speed-batch");
    int threads = a.integer("threads");
    long seed = 20240816L;
    Path work = a.path("work");
    Path out = a.path("out");
    StaticQuantization.Fallback fallback = new StaticQuantization.Fallback(a.real("bound"), a.integer("max-float"),
        a.real("held-apart"), StaticQuantization.Fallback.Order.valueOf(a.text("order").toUpperCase(Locale.ROOT)));
    String command = a.command();
    Nd4j.getEnvironment().setMaxThreads(threads);
    boolean damped = a.text("start").equals("damped");
    Start start = damped ? Start.FUNDUS : Start.parse(a.text("start"));
    if (start != Start.SCRATCH && start != Start.FUNDUS) {
      throw new IllegalArgumentException("--start is scratch, fundus or damped, got " + a.text("start"));
    }

    // The demo's screening model (Demo.run, steps 1, 3 and 4).
    Path labels = SyntheticDataset.writeDicom(work.resolve("synthetic"), images, 2 * size, seed);
    List<Sample> all = DicomFolder.read(labels).samples();
    Fold heldOut = PatientKFold.split(all, 4, seed).get(0);
    FundusPipeline eval = Pipelines.evaluation(size);
    SkipReport skips = new SkipReport();
    DataSetIterator trainEval = FundusDataSets.iterator(heldOut.train(), eval, LabelKind.BINARY, 2, batch, skips);
    DataSetIterator test = FundusDataSets.iterator(heldOut.test(), eval, LabelKind.BINARY, 2, batch, skips);
    ComputationGraph probe;
    Path weights = null;
    String upstream = "";
    if (damped) {
      // A random backbone made well-conditioned the way Int8ExportTests' fixture is: every bottleneck's last
      // BatchNorm scaled by --damp (torchvision's zero_init_residual idea), then BatchNorm re-estimated.
      ComputationGraph g = ResNet50.build(Head.linear(2), seed);
      double factor = a.real("damp");
      for (org.deeplearning4j.nn.api.Layer layer : g.getLayers()) {
        if (layer.getConfig().getLayerName().endsWith(".bn3")) {
          layer.paramTable().get("gamma").muli(factor);
          layer.paramTable().get("beta").muli(factor);
        }
      }
      TransferRun.calibrate(g, LabelKind.BINARY, 2, heldOut.train(), size, batch, threads, new SkipReport());
      weights = work.resolve("damped-start.zip");
      org.deeplearning4j.util.ModelSerializer.writeModel(g, weights.toFile(), false);
      upstream = String.format(Locale.ROOT, " Backbone: Scratch (seed %d) with every bottleneck's last BatchNorm "
          + "(gamma, beta) scaled by %.2f, BatchNorm re-estimated on the first training images, loaded as a start "
          + "(no pretraining).", seed, factor);
    } else if (start == Start.FUNDUS) {
      weights = a.path("weights");
      if (weights == null) {
        long t = System.nanoTime();
        weights = upstream(work.resolve("upstream"), a.integer("upstream-images"), a.integer("upstream-size"),
            a.integer("upstream-epochs"), a.real("upstream-lr"), batch, seed);
        upstream = String.format(Locale.ROOT, " The Fundus start was trained by this run as the demo grid trains it "
            + "(`TransferRun`, mode upstream from Scratch, the paper's head): %d separate synthetic images (seed %d), "
            + "%d px, %d epochs, Adam %.0e, batch %d, in %.0f s.", a.integer("upstream-images"), seed + 7919,
            a.integer("upstream-size"), a.integer("upstream-epochs"), a.real("upstream-lr"), batch,
            (System.nanoTime() - t) / 1e9);
      } else {
        upstream = " Fundus start: " + weights + ".";
      }
    }
    long trainStart = System.nanoTime();
    if (a.path("model") != null) {
      // a probe.zip this benchmark wrote before, from the same images and settings
      probe = org.deeplearning4j.util.ModelSerializer.restoreComputationGraph(a.path("model").toFile(), false);
    } else {
      // trained as the demo trains it: the one recipe, TransferRun
      TransferRun.Plan plan = new TransferRun.Plan(Task.BINARY, Mode.LP, start, weights, size, epochs, epochs,
          batch, 1e-3, seed, 0.25);
      probe = TransferRun.run(plan, new LabelledSet("int8 benchmark", heldOut.train(),
          List.of("normal", "abnormal"), LabelKind.BINARY), java.util.Map.of("benchmark", "int8"),
          work.resolve("model"), false, TransferRun.Settings.defaults().withSyntheticData(true)).model().graph();
      org.deeplearning4j.util.ModelSerializer.writeModel(probe, work.resolve("probe.zip").toFile(), false);
    }
    double trainSeconds = (System.nanoTime() - trainStart) / 1e9;

    // Calibration and the accuracy-driven fallback on training images, then the exports.
    List<INDArray> calibration = firstImages(trainEval, calibrationImages);
    long t0 = System.nanoTime();
    // --percentile search: what SavedModel.quantize does (the best of StaticQuantization.SEARCHED)
    List<StaticQuantization.Calibration> methods = a.text("percentile").equals("search")
        ? StaticQuantization.SEARCHED : List.of(StaticQuantization.Calibration.percentile(a.real("percentile")));
    // --aware-epochs N: quantisation-aware training on every training image first, if all-int8 misses the bound
    org.fundus4j.networks.inference.QuantizationAwareTraining.Options aware =
        new org.fundus4j.networks.inference.QuantizationAwareTraining.Options(a.integer("aware-epochs"),
            a.real("aware-lr"), org.fundus4j.networks.inference.QuantizationAwareTraining.Options.standard().seed());
    List<INDArray> awareBatches = aware.enabled() ? firstImages(trainEval, heldOut.train().size()) : List.of();
    StaticQuantization.Choice choice = StaticQuantization.quantize(probe, calibration, fallback, threads, methods,
        aware, awareBatches);
    double chooseSeconds = (System.nanoTime() - t0) / 1e9;
    ActivationRanges ranges = choice.ranges();
    Path fp32File = work.resolve("model.onnx");
    Path int8File = work.resolve("model-int8.onnx");
    Path fallbackFile = work.resolve("model-int8-fallback.onnx");
    long fp32Bytes = OnnxExporter.export(probe, fp32File).fileBytes();
    long int8Bytes = OnnxExporter.export(probe, int8File, OnnxExportOptions.defaults().withInt8(ranges)).fileBytes();
    long fallbackBytes = OnnxExporter.export(choice.graph(), fallbackFile,
        choice.exportOptions(OnnxExportOptions.defaults())).fileBytes();

    List<Sweep> sweep = new ArrayList<>();
    List<String> graphOrder = List.copyOf(ranges.ranges().keySet());
    if (!a.text("sweep").isBlank()) {
      for (String k : a.text("sweep").split(",")) {
        String entry = k.trim();
        boolean prefix = entry.startsWith("p");
        int count = Integer.parseInt(prefix ? entry.substring(1) : entry);
        if (count < 0 || count > graphOrder.size()) {
          throw new IllegalArgumentException("--sweep " + entry + ": a count of tensors from 0 to "
              + graphOrder.size() + " (the quantised tensors)");
        }
        if (!prefix && choice.sensitivity().isEmpty()) {
          throw new IllegalStateException("--sweep " + entry + " needs the tensors' sensitivity, measured only when "
              + "the all-int8 model misses --bound and --max-float > 0 (pN, the first N in graph order, does not)");
        }
        sweep.add(new Sweep(entry, prefix ? graphOrder.subList(0, count) : choice.mostSensitive(count), prefix,
            null));
      }
    }
    if (!a.text("onnx").isBlank()) {
      // --onnx a.onnx,b.onnx: int8 graphs made elsewhere, measured in the same rounds as the sweep's
      for (String f : a.text("onnx").split(",")) {
        Path file = Path.of(f.trim());
        if (!Files.isRegularFile(file)) {
          throw new IllegalArgumentException("--onnx " + file + ": no such file");
        }
        sweep.add(new Sweep(file.getFileName().toString().replaceFirst("\\.onnx$", ""), List.of(), false, file));
      }
    }
    List<Path> sweepFiles = new ArrayList<>();
    // each K's output bias corrected on its own export, as the fallback's trials are (not the quantisation-aware
    // copy's: it learnt its offset)
    boolean correctSweep = choice.training() == null && BiasCorrection.applies(probe);
    List<INDArray> fit = StaticQuantization.Split.of(calibration, fallback.heldApart()).fit(); // as the fallback's
    for (Sweep k : sweep) {
      if (k.file() != null) {
        sweepFiles.add(k.file());
        continue;
      }
      Path f = work.resolve("model-int8-" + k.engine() + ".onnx");
      List<String> keep = k.keep();
      ComputationGraph g = correctSweep
          ? BiasCorrection.measure(probe, ranges, keep, fit, threads).apply(probe) : choice.graph();
      OnnxExporter.export(g, f, OnnxExportOptions.defaults().withInt8(ranges, keep));
      sweepFiles.add(f);
    }

    String report;
    List<Plots.Series> points = new ArrayList<>();
    List<OnnxRuntimeBackend> sweepModels = new ArrayList<>();
    OnnxRuntimeBackend.Options options = OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(threads);
    try (OnnxRuntimeBackend fp32 = new OnnxRuntimeBackend(fp32File, options.withBatchSize(batch));
         OnnxRuntimeBackend int8 = new OnnxRuntimeBackend(int8File, options.withBatchSize(batch));
         OnnxRuntimeBackend mixed = new OnnxRuntimeBackend(fallbackFile, options.withBatchSize(batch));
         AutoCloseable closeSweep = () -> sweepModels.forEach(OnnxRuntimeBackend::close)) {
      for (Path f : sweepFiles) {
        sweepModels.add(new OnnxRuntimeBackend(f, options.withBatchSize(batch)));
      }
      List<List<Double>> pSweep = new ArrayList<>();
      sweepModels.forEach(x -> pSweep.add(new ArrayList<>()));
      // Held-out probabilities and AUC.
      List<Double> p32 = new ArrayList<>();
      List<Double> p8 = new ArrayList<>();
      List<Double> pMixed = new ArrayList<>();
      List<Double> pRounded = new ArrayList<>();
      ActivationRanges.Range inputRange = ranges.get(ResNet50.INPUT);
      List<Integer> truth = new ArrayList<>();
      test.reset();
      while (test.hasNext()) {
        DataSet d = test.next();
        INDArray x = d.getFeatures();
        add(p32, fp32.predict(x));
        add(p8, int8.predict(x));
        add(pMixed, mixed.predict(x));
        add(pRounded, fp32.predict(roundToUint8Grid(x, inputRange)));
        for (int j = 0; j < sweepModels.size(); j++) {
          add(pSweep.get(j), sweepModels.get(j).predict(x));
        }
        for (int i = 0; i < x.size(0); i++) {
          truth.add(d.getLabels().getDouble(i, 1) > 0.5 ? 1 : 0);
        }
      }
      int[] y = truth.stream().mapToInt(Integer::intValue).toArray();
      // every held-out image's probabilities, one row each, beside the report
      List<String> header = new ArrayList<>(List.of("image", "truth", "fp32", "int8", "int8+fallback"));
      sweep.forEach(k -> header.add(k.engine()));
      List<List<String>> rows = new ArrayList<>();
      for (int i = 0; i < y.length; i++) {
        List<String> row = new ArrayList<>(List.of(Integer.toString(i), Integer.toString(y[i])));
        for (List<Double> ps : List.of(p32, p8, pMixed)) {
          row.add(String.format(Locale.ROOT, "%.6f", ps.get(i)));
        }
        for (List<Double> ps : pSweep) {
          row.add(String.format(Locale.ROOT, "%.6f", ps.get(i)));
        }
        rows.add(row);
      }
      org.fundus4j.pipelines.Csv.write(work.resolve("heldout-probabilities.csv"), header, rows);
      double auc32 = RocAuc.compute(p32.stream().mapToDouble(Double::doubleValue).toArray(), y);
      double auc8 = RocAuc.compute(p8.stream().mapToDouble(Double::doubleValue).toArray(), y);
      double aucMixed = RocAuc.compute(pMixed.stream().mapToDouble(Double::doubleValue).toArray(), y);
      double maxHeldOut = maxDiff(p32, p8);
      double maxMixed = maxDiff(p32, pMixed);
      double maxRounded = maxDiff(p32, pRounded);
      // The CC0 photographs.
      StringBuilder photos = new StringBuilder();
      List<Double> c32 = new ArrayList<>();
      List<Double> c8 = new ArrayList<>();
      List<Double> cMixed = new ArrayList<>();
      List<Path> files;
      try (var stream = Files.list(a.path("cc0"))) {
        files = stream.filter(f -> f.toString().matches(".*\\.(png|jpg|jpeg)$")).sorted().toList();
      }
      for (Path f : files) {
        INDArray x = eval.apply(ImageFiles.open(f), 0);
        add(c32, fp32.predict(x));
        add(c8, int8.predict(x));
        add(cMixed, mixed.predict(x));
        int k = c32.size() - 1;
        photos.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f |%n", f.getFileName(), c32.get(k),
            c8.get(k), cMixed.get(k)));
      }
      double spread = stdev(p32);

      // Speed at speedSize.
      Nd4j.getRandom().setSeed(seed);
      INDArray speedInput = Nd4j.rand(DataType.FLOAT, speedBatch, 3, speedSize, speedSize).subi(0.45).divi(0.25);
      final int n = speedBatch;
      List<InterleavedRounds.Engine> engines = new ArrayList<>(List.of(
          new InterleavedRounds.Engine("fp32", () -> { fp32.predict(speedInput); return n; }),
          new InterleavedRounds.Engine("int8", () -> { int8.predict(speedInput); return n; }),
          new InterleavedRounds.Engine("fallback", () -> { mixed.predict(speedInput); return n; })));
      for (int j = 0; j < sweepModels.size(); j++) {
        OnnxRuntimeBackend m = sweepModels.get(j);
        engines.add(new InterleavedRounds.Engine(sweep.get(j).engine(), () -> { m.predict(speedInput); return n; }));
      }
      InterleavedRounds.Result r = InterleavedRounds.run(engines, a.integer("warmup"), a.integer("rounds"));
      // the picture of the trade-off: held-out max |dP| against the speed-up, one point per graph
      points.add(new Plots.Series("all int8", new double[] {r.rate("int8") / r.rate("fp32")},
          new double[] {maxHeldOut}));
      points.add(new Plots.Series("int8 + fallback", new double[] {r.rate("fallback") / r.rate("fp32")},
          new double[] {maxMixed}));
      for (int j = 0; j < sweep.size(); j++) {
        Sweep k = sweep.get(j);
        String name = k.file() != null ? k.label() : k.prefix() ? "first " + k.keep().size() + " in float32"
            : k.keep().size() + " most sensitive in float32";
        points.add(new Plots.Series(name, new double[] {r.rate(k.engine()) / r.rate("fp32")},
            new double[] {maxDiff(p32, pSweep.get(j))}));
      }
      StringBuilder sweepTable = new StringBuilder();
      if (!sweep.isEmpty()) {
        sweepTable.append(String.format(Locale.ROOT, "%n%nThe trade-off (`--sweep`): the K most sensitive tensors "
            + "kept in float32, same ranges, same rounds%s.%n%n| K | held-out max abs P difference | held-out RMS | "
            + "held-out images beyond the bound | held-out AUC | images/s at %d px: median (min-max) | vs fp32 | "
            + "tensors added (in order) |%n|---|---|---|---|---|---|---|---|%n",
            choice.training() == null ? (correctSweep ? "; K rows have the output bias corrected on their own "
                + "export (`BiasCorrection`), the first row is the model's own" : "")
                : "; K rows are the quantisation-aware weights, the first row the model's own", speedSize));
        sweepTable.append(String.format(Locale.ROOT, "| 0 | %.4f | %.4f | %d | %.4f | %s | %s | |%n", maxHeldOut,
            rmsDiff(p32, p8), beyond(p32, p8, fallback.bound()), auc8,
            r.summary("int8"), r.ratio("int8", "fp32")));
        List<String> before = List.of();
        for (int j = 0; j < sweep.size(); j++) {
          Sweep k = sweep.get(j);
          String added;
          if (k.file() != null) {
            added = "the ONNX file " + k.file();
          } else if (k.prefix()) {
            added = k.keep().isEmpty() ? "" : "the first " + k.keep().size() + " in graph order, "
                + k.keep().get(0) + " to " + k.keep().get(k.keep().size() - 1);
          } else {
            List<String> fresh = new ArrayList<>(k.keep());
            fresh.removeAll(before);
            added = String.join(", ", fresh);
            before = k.keep();
          }
          String engine = k.engine();
          sweepTable.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %d | %.4f | %s | %s | %s |%n", k.label(),
              maxDiff(p32, pSweep.get(j)), rmsDiff(p32, pSweep.get(j)), beyond(p32, pSweep.get(j), fallback.bound()),
              RocAuc.compute(pSweep.get(j).stream().mapToDouble(Double::doubleValue)
                  .toArray(), y), r.summary(engine), r.ratio(engine, "fp32"), added));
        }
      }

      report = String.format(Locale.ROOT, String.join("\n",
          "# int8 vs fp32 screening in ONNX Runtime (%s)",
          "",
          "Command: `%s` (after `mvn -B -q -pl benchmarks -am package -DskipTests`).",
          "",
          "Model: the demo's screening model (%d synthetic images, patient-level fold 0 held out: %d training, %d",
          "held-out; %s ResNet-50, LP %d epochs at %d px, %s).%s int8: fundus4j's QDQ export",
          "(`OnnxExportOptions.withInt8`), BatchNorm folded, int8 per-channel weights, uint8 per-tensor activations,",
          "%s ranges of %d tensors calibrated on %d training images. \"int8 + fallback\":",
          "`StaticQuantization.quantize` with bound %.3f and at most %d tensors in float32, chosen on %s",
          "in %.1f s (%d int8 exports tried): **%d tensors kept in float32, max difference %.4f on the %d images",
          "judged on, bound %s**.%s Files: fp32 %.1f MB, int8 %.1f MB, int8 + fallback %.1f MB.",
          "",
          "| what | fp32 | int8 | int8 + fallback | target |",
          "|---|---|---|---|---|",
          "| images/s at %d px, batch %d, %d threads: median (min-max) of %d interleaved rounds | %s | %s | %s | |",
          "| process CPU time per image (all threads): median (min-max) | %s | %s | %s | |",
          "| images/s vs fp32: ratio of medians (range of per-round ratios) | | **%s** | **%s** | >= 1.8x |",
          "| held-out AUC (%d images) | %.4f | %.4f | %.4f | |",
          "| held-out AUC difference vs fp32 | | %+.4f | %+.4f | within 0.005 |",
          "| max abs P(abnormal) difference, held-out | | %.4f | %.4f | <= 0.03 |",
          "| root mean square P(abnormal) difference, held-out | | %.4f | %.4f | |",
          "| held-out images beyond the bound %.3f | | %d | %d | %s |",
          "| max abs P(abnormal) difference, CC0 photographs | | %.4f | %.4f | <= 0.03 |",
          "",
          "Conditioning of the float32 model itself: rounding only its input to the int8 model's input grid (uint8,",
          "scale %.4f, the first `QuantizeLinear`; a change below one 8-bit pixel step) moves held-out P(abnormal) by",
          "up to %.4f in float32.",
          "",
          "Tensors kept in float32 by the fallback (most sensitive first): %s%s",
          "",
          "Held-out fp32 probabilities: standard deviation %.3f. Load average (1/5/15 min) %s at the start of the",
          "speed rounds, %s at the end; %d warm-up batches per engine.",
          "",
          "| CC0 photograph | P fp32 | P int8 | P int8 + fallback |",
          "|---|---|---|---|",
          "%s"),
          Instant.now(), command, images, heldOut.train().size(), heldOut.test().size(),
          start == Start.SCRATCH ? "Scratch (BatchNorm re-estimated)" : damped ? "damped Scratch" : "Fundus-start", epochs, size,
          a.path("model") != null ? "re-used from " + a.path("model") : String.format(Locale.ROOT, "trained in %.0f s",
              trainSeconds), upstream,
          ranges.method(), ranges.ranges().size(), ranges.images(), fallback.bound(), fallback.maxFloatTensors(),
          fallback.heldApart() > 0 ? String.format(Locale.ROOT, "%d calibration images held apart from the %d fitted "
              + "on (`--held-apart %s`)", choice.checkImages(), ranges.images(), a.text("held-apart"))
              : "the calibration images", chooseSeconds,
          choice.exportsTried(), choice.floatTensors().size(), choice.maxDifference(), choice.checkImages(),
          choice.withinBound() ? "met" : "NOT met", (choice.training() == null ? "" : String.format(Locale.ROOT,
              " Before the fallback, quantisation-aware training (`--aware-epochs %d --aware-lr %.0e`, "
              + "`QuantizationAwareTraining.distill`, %d training images per epoch) took the all-int8 model from "
              + "%.4f to %.4f on the calibration images; \"int8 + fallback\" holds those weights, \"int8\" the "
              + "model's own.", aware.epochs(), aware.learningRate(), choice.training().images(),
              choice.training().before(), choice.training().after())) + correction(choice), fp32Bytes / 1e6, int8Bytes / 1e6, fallbackBytes / 1e6,
          speedSize, speedBatch, threads, a.integer("rounds"), r.summary("fp32"), r.summary("int8"),
          r.summary("fallback"), r.cpuSummary("fp32"), r.cpuSummary("int8"), r.cpuSummary("fallback"),
          r.ratio("int8", "fp32"), r.ratio("fallback", "fp32"),
          y.length, auc32, auc8, aucMixed, auc8 - auc32, aucMixed - auc32, maxHeldOut, maxMixed,
          rmsDiff(p32, p8), rmsDiff(p32, pMixed), fallback.bound(), beyond(p32, p8, fallback.bound()),
          beyond(p32, pMixed, fallback.bound()), fallback.heldApart() > 0 && choice.withinBound()
              ? String.format(Locale.ROOT, "fewer than %.1f%% (%.1f images; 95%% confidence from none of the %d "
              + "held apart)", 100 * StaticQuantization.Split.exceedance95(choice.checkImages()),
              y.length * StaticQuantization.Split.exceedance95(choice.checkImages()), choice.checkImages()) : "",
          maxDiff(c32, c8), maxDiff(c32, cMixed), inputRange.uint8Scale(), maxRounded,
          choice.floatTensors().isEmpty() ? "none" : String.join(", ", choice.floatTensors()), sweepTable,
          spread, r.loadBefore(), r.loadAfter(), a.integer("warmup"), photos);
    }
    System.out.println(report);
    if (out != null) {
      Files.createDirectories(out);
      Path picture = Plots.tradeOff(out.resolve("int8-tradeoff.png"), String.format(Locale.ROOT,
          "int8 at %d px: held-out max |P int8 - P fp32| against speed", speedSize), "images/s vs fp32 (ratio of "
          + "medians)", "held-out max |P int8 - P fp32|", points, 1.8, fallback.bound());
      report += String.format(Locale.ROOT, "%n![held-out max |dP| against images/s vs fp32, one point per graph](%s)%n",
          picture.getFileName());
      Path file = out.resolve("int8-screening.md");
      Files.writeString(file, report);
      System.out.println("wrote " + file);
    }
  }

  /**
   * Trains a Fundus start as the demo grid's {@code ExperimentRunner} does (a separate synthetic normal/abnormal
   * set, seed {@code seed + 7919}, mode upstream from Scratch) into {@code dir}; re-uses a finished one.
   */
  private static Path upstream(Path dir, int images, int size, int epochs, double lr, int batch, long seed)
      throws IOException {
    Path folder = dir.resolve("fundus_" + size + "px");
    if (Files.exists(folder.resolve(org.fundus4j.transfer.SavedModel.CARD))) {
      return folder;
    }
    Path labels = SyntheticDataset.writeDicom(dir.resolve("data"), images, size, seed + 7919);
    TransferRun.Plan plan = new TransferRun.Plan(Task.BINARY, Mode.UPSTREAM, Start.SCRATCH, null, size, epochs,
        epochs, batch, lr, seed, 0.25);
    TransferRun.run(plan, DicomFolder.read(labels), java.util.Map.of("benchmark", "int8 upstream"), folder, false,
        TransferRun.Settings.defaults().withSyntheticData(true));
    return folder;
  }

  /** Appends column 1, P(abnormal), of every row of {@code p}. */
  private static void add(List<Double> to, INDArray p) {
    for (int i = 0; i < p.size(0); i++) {
      to.add(p.getDouble(i, 1));
    }
  }

  private static double rmsDiff(List<Double> a, List<Double> b) {
    double sum = 0;
    for (int i = 0; i < a.size(); i++) {
      sum += (a.get(i) - b.get(i)) * (a.get(i) - b.get(i));
    }
    return Math.sqrt(sum / Math.max(1, a.size()));
  }

  /**
   * One {@code --sweep} entry: {@code K}, the K most sensitive tensors kept in float32, or {@code pN}, the first N
   * in graph order (one float32 prefix: a single switch to int8, where scattered float32 tensors each add a layout
   * change and quantise/dequantise pairs in ONNX Runtime).
   */
  private record Sweep(String label, List<String> keep, boolean prefix, Path file) {
    String engine() {
      return file != null ? label : prefix ? "prefix" + keep.size() : "top" + keep.size();
    }
  }

  /** Images whose {@code |a - b|} exceeds {@code bound}. */
  private static int beyond(List<Double> a, List<Double> b, double bound) {
    int n = 0;
    for (int i = 0; i < a.size(); i++) {
      n += Math.abs(a.get(i) - b.get(i)) > bound ? 1 : 0;
    }
    return n;
  }

  private static double maxDiff(List<Double> a, List<Double> b) {
    double max = 0;
    for (int i = 0; i < a.size(); i++) {
      max = Math.max(max, Math.abs(a.get(i) - b.get(i)));
    }
    return max;
  }

  /** What the output layer's bias correction did, for the model paragraph. */
  private static String correction(StaticQuantization.Choice choice) {
    StaticQuantization.Correction c = choice.correction();
    if (c == null) {
      return " No bias correction (the output layer is not a dense one).";
    }
    return String.format(Locale.ROOT, " Output bias correction (`BiasCorrection`, shift per class %s from the "
        + "calibration images fitted on): %s on the images judged on max %.4f -> %.4f, RMS %.4f -> %.4f; %s.",
        java.util.Arrays.toString(java.util.Arrays.stream(c.shift().shift())
            .mapToObj(v -> String.format(Locale.ROOT, "%.4f", v)).toArray()),
        choice.training() != null || choice.floatTensors().isEmpty() ? "all-int8"
            : "int8 with its " + choice.floatTensors().size() + " float32 tensors", c.maxBefore(), c.maxAfter(), c.rmsBefore(), c.rmsAfter(), c.kept()
            ? "\"int8 + fallback\" holds it, \"int8\" is the model's own weights uncorrected"
            : "not kept" + (choice.training() != null ? " (the quantisation-aware copy replaces it)" : ""));
  }

  /** Whole batches from the start of {@code data} holding at least {@code images} images. */
  private static List<INDArray> firstImages(DataSetIterator data, int images) {
    List<INDArray> batches = new ArrayList<>();
    int n = 0;
    data.reset();
    for (; data.hasNext() && n < images; ) {
      INDArray x = data.next().getFeatures();
      batches.add(x);
      n += (int) x.size(0);
    }
    if (n < images) {
      throw new IllegalStateException("Only " + n + " training images, " + images + " asked for");
    }
    return batches;
  }

  /** {@code x} rounded as {@code QuantizeLinear -> DequantizeLinear} with the uint8 parameters of {@code r}. */
  private static INDArray roundToUint8Grid(INDArray x, ActivationRanges.Range r) {
    double scale = r.uint8Scale();
    int zp = r.uint8ZeroPoint();
    INDArray q = org.nd4j.linalg.ops.transforms.Transforms.round(x.div(scale)).addi(zp);
    q = org.nd4j.linalg.ops.transforms.Transforms.min(org.nd4j.linalg.ops.transforms.Transforms.max(q, 0), 255);
    return q.subi(zp).muli(scale);
  }

  private static double stdev(List<Double> v) {
    double mean = v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    return Math.sqrt(v.stream().mapToDouble(d -> (d - mean) * (d - mean)).sum() / Math.max(1, v.size() - 1));
  }
}

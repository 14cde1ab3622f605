package org.fundus4j.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.pipelines.FundusDataSetIterator;
import org.fundus4j.pipelines.FundusDataSets;
import org.fundus4j.pipelines.IteratorOptions;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.SkipReport;
import org.fundus4j.pipelines.sources.GenericCsv;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.TransferRun;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.transfer.EpochListener;
import org.fundus4j.transfer.FineTune;
import org.fundus4j.transfer.LinearProbe;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

/**
 * What linear probing on cached features saves: one LP epoch (the head trained on backbone features
 * computed once) against one fine-tuning epoch of the whole ResNet-50, on the same images, plus the
 * one-off cost of computing the features.
 *
 * <p>The images (seeded synthetic fundus photographs, PNG) are decoded and preprocessed once into memory
 * before any timing, so every row measures the network only. FT: {@code FineTune.prepare} (Adam lr 1e-5,
 * weight decay 1e-5) and one pass over the batches after one untimed warm-up step. Featurisation:
 * {@code LinearProbe.featurize} through the frozen backbone (Scratch start with BatchNorm statistics
 * re-estimated, as the CLI does). LP epoch: the head graph of {@code LinearProbe.head} fitted on the
 * cached {@code [N, 2048]} features, median of {@code --lp-epochs} epochs. Writes {@code lp-vs-ft.md}.
 *
 * <pre>{@code
 * mvn -q -B -pl benchmarks -am install -DskipTests
 * OMP_NUM_THREADS=1 java -Xmx4g -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.LinearProbeBenchmark --images 64 --size 224 --batch 8 --out benchmarks/results
 * }</pre>
 * This is a benchmark, not a test.
 */
public final class LinearProbeBenchmark {

  private LinearProbeBenchmark() {}

  /**
   * The measured times in seconds.
   *
   * @param ftEpoch one fine-tuning epoch over all images
   * @param featurize one forward pass of all images through the frozen backbone
   * @param lpEpoch median LP epoch on the cached features
   */
  public record Result(int images, int size, int batch, double ftEpoch, double featurize, double lpEpoch) {
    /** LP epoch as a share of the FT epoch. */
    public double lpShare() {
      return lpEpoch / ftEpoch;
    }
  }

  /** {@code --images N --size PX --batch N --lp-epochs N --seed S --out DIR}. */
  public static void main(String[] args) throws IOException {
    int images = 64;
    int size = 224;
    int batch = 8;
    int lpEpochs = 20;
    long seed = 11;
    Path out = Path.of("benchmarks/results");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--images" -> images = Integer.parseInt(args[++i]);
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--lp-epochs" -> lpEpochs = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --images --size --batch --lp-epochs --seed --out");
      }
    }
    String loadBefore = loadAverage();
    Instant started = Instant.now();
    Result r = run(images, size, batch, lpEpochs, seed);
    String loadAfter = loadAverage();
    String table = table(r, lpEpochs);
    System.out.println(table);
    Files.createDirectories(out);
    Path file = out.resolve("lp-vs-ft.md");
    Files.writeString(file, "# Linear probing on cached features vs fine-tuning, one epoch each\n\n"
        + "Measured " + started + " by `LinearProbeBenchmark --images " + images + " --size " + size + " --batch "
        + batch + " --lp-epochs " + lpEpochs + "`: ResNet-50 (DL4J " + Nd4j.getExecutioner().getEnvironmentInformation()
        .getOrDefault("blas.vendor", "?") + ", OMP_NUM_THREADS=" + System.getenv().getOrDefault("OMP_NUM_THREADS",
        "default") + "), " + Runtime.getRuntime().availableProcessors() + " processors, synthetic images decoded "
        + "once into memory before timing.\n\nLoad average (1, 5, 15 min) before: " + loadBefore + "; after: "
        + loadAfter + ". **Other jobs shared the machine when the load is above ~2: compare rows, not absolute "
        + "times.**\n\n" + table + "\n");
    System.out.println("Written " + file);
  }

  /** Runs the three measurements. */
  public static Result run(int images, int size, int batch, int lpEpochs, long seed) throws IOException {
    Path dir = Files.createTempDirectory("lp-vs-ft-");
    List<Sample> samples = GenericCsv.read(SyntheticDataset.writeGenericCsv(dir, images, size, seed)).samples();
    List<DataSet> batches = loadImages(samples, size, batch);

    ComputationGraph ft = FineTune.prepare(ResNet50.build(Head.linear(2), seed), new Adam(1e-5),
        ResNet50.PAPER_WEIGHT_DECAY, seed);
    ft.fit(batches.get(0)); // warm-up: workspaces, allocations
    long t0 = System.nanoTime();
    FineTune.train(ft, new ListDataSetIterator<>(batches, 1), 1, EpochListener.none());
    double ftEpoch = seconds(t0);
    ft = null;

    ComputationGraph scratch = ResNet50.build(Head.linear(2), seed);
    TransferRun.calibrate(scratch, LabelKind.BINARY, 2, samples, size, batch,
        Runtime.getRuntime().availableProcessors(), new SkipReport());
    ComputationGraph frozen = LinearProbe.freeze(scratch, ResNet50.FEATURES, new Adam(1e-3), seed);
    LinearProbe.featurize(frozen, ResNet50.FEATURES, new ListDataSetIterator<>(List.of(batches.get(0)), 1),
        n -> {}); // warm-up
    t0 = System.nanoTime();
    DataSet features = LinearProbe.featurize(frozen, ResNet50.FEATURES, new ListDataSetIterator<>(batches, 1),
        n -> {});
    double featurize = seconds(t0);

    ComputationGraph head = LinearProbe.head(frozen, ResNet50.FEATURES);
    List<DataSet> examples = features.asList();
    List<Double> lp = new ArrayList<>();
    for (int epoch = 0; epoch <= lpEpochs; epoch++) {
      List<DataSet> order = new ArrayList<>(examples);
      Collections.shuffle(order, new Random(seed + epoch));
      t0 = System.nanoTime();
      FineTune.train(head, new ListDataSetIterator<>(order, batch), 1, EpochListener.none());
      if (epoch > 0) { // epoch 0 is the warm-up
        lp.add(seconds(t0));
      }
    }
    return new Result(images, size, batch, ftEpoch, featurize, InterleavedRounds.median(lp));
  }

  private static List<DataSet> loadImages(List<Sample> samples, int size, int batch) throws IOException {
    List<DataSet> batches = new ArrayList<>();
    try (FundusDataSetIterator it = FundusDataSets.iterator(samples,
        Pipelines.evaluation(size), LabelKind.BINARY, 2, batch, new SkipReport(), IteratorOptions.defaults())) {
      while (it.hasNext()) {
        batches.add(it.next());
      }
    }
    return batches;
  }

  static String table(Result r, int lpEpochs) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%d images at %d px, batch %d%n%n", r.images(), r.size(), r.batch()));
    sb.append("| what | seconds | share of an FT epoch |\n|---|---|---|\n");
    sb.append(String.format(Locale.ROOT, "| FT epoch (all layers train) | %.2f | 100 %% |%n", r.ftEpoch()));
    sb.append(String.format(Locale.ROOT, "| featurisation, once (frozen backbone forward) | %.2f | %.1f %% |%n",
        r.featurize(), 100 * r.featurize() / r.ftEpoch()));
    sb.append(String.format(Locale.ROOT, "| LP epoch on cached features (median of %d) | %.4f | **%.3f %%** |%n",
        lpEpochs, r.lpEpoch(), 100 * r.lpShare()));
    sb.append(String.format(Locale.ROOT, "%nTarget LP epoch <= 5 %% of an FT epoch: %s. Ten LP epochs including "
        + "the featurisation: %.1f %% of ten FT epochs.%n", r.lpShare() <= 0.05 ? "met" : "NOT met",
        100 * (r.featurize() + 10 * r.lpEpoch()) / (10 * r.ftEpoch())));
    return sb.toString();
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }
}

package org.fundus4j.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * Where a DL4J ResNet-50 training step spends its time: step, train-mode forward and inference
 * forward medians for one setting, and optionally ND4J's per-op profile of one step.
 *
 * <p>Settings compared by running this class several times (see {@code benchmarks/DL4J-TRAINING.md}):
 * the ND4J native build on the classpath (default OpenBLAS, or the
 * {@code nd4j-native:linux-x86_64-onednn-avx512} classifier jar placed first), {@code OMP_NUM_THREADS},
 * and the training workspace mode.
 *
 * <pre>{@code
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.Dl4jTrainingProfile --size 224 --batch 8 --steps 3 --workspace ENABLED --profile
 * }</pre>
 */
public final class Dl4jTrainingProfile {
  private Dl4jTrainingProfile() {}

  /** {@code --size N --batch N --steps N --workspace ENABLED|NONE --profile}. */
  public static void main(String[] args) {
    int size = 224;
    int batch = 8;
    int steps = 3;
    WorkspaceMode workspace = WorkspaceMode.ENABLED;
    boolean profile = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--size" -> size = Integer.parseInt(args[++i]);
        case "--batch" -> batch = Integer.parseInt(args[++i]);
        case "--steps" -> steps = Integer.parseInt(args[++i]);
        case "--workspace" -> workspace = WorkspaceMode.valueOf(args[++i]);
        case "--profile" -> profile = true;
        default -> throw new IllegalArgumentException("Unknown option " + args[i]
            + "; use --size --batch --steps --workspace ENABLED|NONE --profile");
      }
    }
    ComputationGraph net = ResNet50.build(Head.linear(2), 0);
    net.getConfiguration().setTrainingWorkspaceMode(workspace);
    net.getConfiguration().setInferenceWorkspaceMode(workspace);
    INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, size, size);
    INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 2);
    for (int i = 0; i < batch; i++) {
      y.putScalar(i, i % 2, 1.0);
    }
    DataSet data = new DataSet(x, y);
    net.fit(data); // warm-up: allocations, workspaces, helper selection

    double fit = median(time(steps, () -> net.fit(data)));
    double trainForward = median(time(steps, () -> net.feedForward(x, true)));
    double inferForward = median(time(steps, () -> net.output(false, x)));
    System.out.printf(Locale.ROOT,
        "RESULT size=%d batch=%d workspace=%s omp=%s blas=%s: fit %.3f s, train-forward %.3f s, "
            + "backward+update ~%.3f s, inference forward %.3f s%n",
        size, batch, workspace, System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
        Nd4j.getExecutioner().getEnvironmentInformation().getOrDefault("blas.vendor", "?"),
        fit, trainForward, fit - trainForward, inferForward);
    if (profile) {
      OpProfiler.getInstance().reset();
      Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.OPERATIONS);
      net.fit(data);
      Nd4j.getExecutioner().setProfilingMode(OpExecutioner.ProfilingMode.DISABLED);
      OpProfiler.getInstance().printOutDashboard();
    }
  }

  private static List<Double> time(int n, Runnable r) {
    List<Double> s = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      r.run();
      s.add((System.nanoTime() - t0) / 1e9);
    }
    return s;
  }

  private static double median(List<Double> v) {
    return InferenceBackendBenchmark.median(v);
  }
}

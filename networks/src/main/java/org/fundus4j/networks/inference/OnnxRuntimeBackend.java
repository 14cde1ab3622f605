package org.fundus4j.networks.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link InferenceBackend} that runs an {@code .onnx} model in ONNX Runtime, on the CPU or, with the GPU
 * build ({@code -Ponnxruntime-gpu}), on a CUDA GPU; it falls back to the CPU with one log line when CUDA
 * cannot start.
 *
 * <pre>{@code
 * var options = OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(2).withBatchSize(8);
 * try (InferenceBackend ort = new OnnxRuntimeBackend(Path.of("resnet50.onnx"), options)) {
 *   INDArray logits = ort.predict(images);   // [N, 3, H, W] float32 -> [N, classes]
 * }
 * }</pre>
 * The model must have one float32 input; its first output is returned. ONNX Runtime applies its
 * graph optimisations (Conv+BatchNorm folding, Conv+ReLU fusion, ...) when the session is created.
 * {@link #predict} may be called from several threads at once (ONNX Runtime sessions are
 * thread-safe).
 */
public final class OnnxRuntimeBackend implements InferenceBackend {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeBackend.class);

  /**
   * ONNX Runtime session settings.
   *
   * @param intraOpThreads threads used inside one operator (0 lets ONNX Runtime use all cores)
   * @param interOpThreads threads running independent operators in parallel mode (0 = default)
   * @param batchSize largest number of images per {@code session.run}
   * @param optimizationLevel ONNX Runtime graph optimisation level
   * @param executionMode sequential or parallel operator execution
   * @param memoryPatternOptimization whether ONNX Runtime pre-plans allocations per input shape
   * @param cpuArenaAllocator whether ONNX Runtime keeps freed CPU memory in its arena
   * @param configEntries extra session configuration entries (e.g.
   *     {@code session.intra_op.allow_spinning = 0}), passed through verbatim
   * @param cudaDevice GPU to run on with ONNX Runtime's CUDA execution provider, or -1 for the CPU; when the
   *     provider cannot start (CPU build of ONNX Runtime, no GPU, no CUDA/cuDNN libraries) the session runs on
   *     the CPU and says why in one log line ({@link OnnxRuntimeBackend#executionProvider()})
   */
  public record Options(int intraOpThreads, int interOpThreads, int batchSize,
      OptLevel optimizationLevel, ExecutionMode executionMode, boolean memoryPatternOptimization,
      boolean cpuArenaAllocator, Map<String, String> configEntries, int cudaDevice) {
    public Options {
      if (cudaDevice < -1) {
        throw new IllegalArgumentException("cudaDevice must be a GPU index >= 0, or -1 for the CPU, got " + cudaDevice);
      }
      if (intraOpThreads < 0 || interOpThreads < 0) {
        throw new IllegalArgumentException("Thread counts must be >= 0 (0 = ONNX Runtime default), got intra="
            + intraOpThreads + " inter=" + interOpThreads);
      }
      Batches.checkBatchSize(batchSize);
      Objects.requireNonNull(optimizationLevel, "optimizationLevel");
      Objects.requireNonNull(executionMode, "executionMode");
      configEntries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(configEntries));
    }

    /**
     * One intra-op thread per available processor, batch 8, all optimisations, sequential; GPU 0 when this
     * ONNX Runtime build has the CUDA execution provider ({@code -Ponnxruntime-gpu}), the CPU otherwise.
     */
    public static Options defaults() {
      return new Options(Runtime.getRuntime().availableProcessors(), 1, Dl4jBackend.DEFAULT_BATCH_SIZE,
          OptLevel.ALL_OPT, ExecutionMode.SEQUENTIAL, true, true, Map.of(), cudaBuild() ? 0 : -1);
    }

    /** Returns options that run on GPU {@code device} (CUDA execution provider), or on the CPU for -1. */
    public Options withCudaDevice(int device) {
      return new Options(intraOpThreads, interOpThreads, batchSize, optimizationLevel, executionMode,
          memoryPatternOptimization, cpuArenaAllocator, configEntries, device);
    }

    public Options withIntraOpThreads(int threads) {
      return new Options(threads, interOpThreads, batchSize, optimizationLevel, executionMode,
          memoryPatternOptimization, cpuArenaAllocator, configEntries, cudaDevice);
    }

    public Options withInterOpThreads(int threads) {
      return new Options(intraOpThreads, threads, batchSize, optimizationLevel, executionMode,
          memoryPatternOptimization, cpuArenaAllocator, configEntries, cudaDevice);
    }

    public Options withBatchSize(int size) {
      return new Options(intraOpThreads, interOpThreads, size, optimizationLevel, executionMode,
          memoryPatternOptimization, cpuArenaAllocator, configEntries, cudaDevice);
    }

    public Options withOptimizationLevel(OptLevel level) {
      return new Options(intraOpThreads, interOpThreads, batchSize, level, executionMode,
          memoryPatternOptimization, cpuArenaAllocator, configEntries, cudaDevice);
    }

    public Options withExecutionMode(ExecutionMode mode) {
      return new Options(intraOpThreads, interOpThreads, batchSize, optimizationLevel, mode,
          memoryPatternOptimization, cpuArenaAllocator, configEntries, cudaDevice);
    }

    public Options withMemoryPatternOptimization(boolean enabled) {
      return new Options(intraOpThreads, interOpThreads, batchSize, optimizationLevel, executionMode,
          enabled, cpuArenaAllocator, configEntries, cudaDevice);
    }

    public Options withCpuArenaAllocator(boolean enabled) {
      return new Options(intraOpThreads, interOpThreads, batchSize, optimizationLevel, executionMode,
          memoryPatternOptimization, enabled, configEntries, cudaDevice);
    }

    /** Returns options with one more session configuration entry. */
    public Options withConfigEntry(String key, String value) {
      Map<String, String> copy = new LinkedHashMap<>(configEntries);
      copy.put(key, value);
      return new Options(intraOpThreads, interOpThreads, batchSize, optimizationLevel, executionMode,
          memoryPatternOptimization, cpuArenaAllocator, copy, cudaDevice);
    }
  }

  private final OrtEnvironment env;
  private final OrtSession session;
  private final String inputName;
  private final long[] inputShape;
  private final Options options;
  private final Path model;
  private final String executionProvider;

  /** Opens {@code onnx} with {@code threads} intra-op threads and the other defaults. */
  public OnnxRuntimeBackend(Path onnx, int threads) {
    this(onnx, Options.defaults().withIntraOpThreads(threads));
  }

  /**
   * Exports {@code graph} with {@code export} to a temporary file, opens a session on it with {@code options} and
   * deletes the file (ONNX Runtime has read it): a session on a graph that never needs a model file of its own, e.g.
   * calibration passes, int8 trials, features.
   *
   * @throws org.fundus4j.networks.onnx.UnsupportedLayerException if the graph has a layer the exporter cannot write
   * @throws UncheckedIOException if the temporary file cannot be written
   */
  public static OnnxRuntimeBackend ofExport(org.deeplearning4j.nn.graph.ComputationGraph graph,
      org.fundus4j.networks.onnx.OnnxExportOptions export, Options options) {
    Path onnx = null;
    try {
      onnx = Files.createTempFile("fundus4j-", ".onnx");
      org.fundus4j.networks.onnx.OnnxExporter.export(graph, onnx, export);
      return new OnnxRuntimeBackend(onnx, options);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write a temporary ONNX model", e);
    } finally {
      if (onnx != null) {
        try {
          Files.deleteIfExists(onnx);
        } catch (IOException e) {
          LOG.debug("Could not delete {}: {}", onnx, e.getMessage());
        }
      }
    }
  }

  /**
   * Opens {@code onnx} with {@code options}.
   *
   * @throws IllegalArgumentException if the file is missing or the model has not exactly one
   *     float32 tensor input
   * @throws IllegalStateException if ONNX Runtime rejects the model
   */
  public OnnxRuntimeBackend(Path onnx, Options options) {
    this.model = Objects.requireNonNull(onnx, "onnx");
    this.options = Objects.requireNonNull(options, "options");
    if (!Files.isRegularFile(onnx)) {
      throw new IllegalArgumentException("ONNX model not found: " + onnx.toAbsolutePath());
    }
    this.env = OrtEnvironment.getEnvironment();
    OrtSession opened = null;
    String provider = "CPU";
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      if (options.cudaDevice() >= 0) {
        String unavailable = addCuda(so, options.cudaDevice());
        if (unavailable == null) {
          provider = "CUDA:" + options.cudaDevice();
        } else {
          LOG.warn("ONNX Runtime: CUDA execution provider unavailable for GPU {} ({}); falling back to the CPU",
              options.cudaDevice(), unavailable);
        }
      }
      so.setIntraOpNumThreads(options.intraOpThreads());
      so.setInterOpNumThreads(options.interOpThreads());
      so.setOptimizationLevel(options.optimizationLevel());
      so.setExecutionMode(options.executionMode());
      so.setMemoryPatternOptimization(options.memoryPatternOptimization());
      so.setCPUArenaAllocator(options.cpuArenaAllocator());
      for (Map.Entry<String, String> e : options.configEntries().entrySet()) {
        so.addConfigEntry(e.getKey(), e.getValue());
      }
      opened = env.createSession(onnx.toString(), so);
      Map<String, NodeInfo> inputs = opened.getInputInfo();
      if (inputs.size() != 1) {
        throw new IllegalArgumentException("OnnxRuntimeBackend needs a model with exactly one input; "
            + onnx + " has " + inputs.keySet());
      }
      NodeInfo info = inputs.values().iterator().next();
      if (!(info.getInfo() instanceof TensorInfo tensor)
          || tensor.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
        throw new IllegalArgumentException("Input '" + info.getName() + "' of " + onnx
            + " must be a float32 tensor, got " + info.getInfo());
      }
      this.inputName = info.getName();
      this.inputShape = tensor.getShape();
      this.session = opened;
      this.executionProvider = provider;
      LOG.info("ONNX Runtime session on {}: input {} {}, {}, {} intra-op threads, batch {}",
          onnx.getFileName(), inputName, Arrays.toString(inputShape), provider,
          options.intraOpThreads(), options.batchSize());
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not load " + onnx.toAbsolutePath() + ": "
          + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(opened);
      throw e;
    }
  }

  @Override
  public INDArray predict(INDArray input) {
    checkInput(input);
    return Batches.run(input, options.batchSize(), part -> runOnce(part, null).get(0));
  }

  /**
   * Like {@link #predict} but returns the model output named {@code outputName} (e.g. ResNet-50's pooled
   * features {@code "avgpool"}, exported with {@code OnnxExportOptions.withAdditionalOutputs}); ONNX
   * Runtime is asked for that output only.
   *
   * @throws IllegalArgumentException if the model has no such output
   */
  public INDArray predict(INDArray input, String outputName) {
    checkInput(input);
    checkOutputs(List.of(outputName));
    return Batches.run(input, options.batchSize(), part -> runOnce(part, List.of(outputName)).get(0));
  }

  /**
   * Runs {@code input} in one {@code session.run} (no splitting into batches) and returns the named
   * outputs, in the order asked.
   */
  public List<INDArray> run(INDArray input, List<String> outputNames) {
    checkInput(input);
    checkOutputs(outputNames);
    return runOnce(input, outputNames);
  }

  private void checkOutputs(List<String> names) {
    for (String name : names) {
      if (!session.getOutputNames().contains(name)) {
        throw new IllegalArgumentException("Model " + model.getFileName() + " has no output '" + name
            + "'; outputs: " + session.getOutputNames());
      }
    }
  }

  private void checkInput(INDArray input) {
    Objects.requireNonNull(input, "input");
    if (input.rank() != inputShape.length) {
      throw new IllegalArgumentException("Model " + model.getFileName() + " expects a rank-"
          + inputShape.length + " input " + Arrays.toString(inputShape) + ", got shape "
          + Arrays.toString(input.shape()));
    }
    for (int d = 1; d < inputShape.length; d++) {
      if (inputShape[d] > 0 && inputShape[d] != input.size(d)) {
        throw new IllegalArgumentException("Model " + model.getFileName() + " expects dimension " + d
            + " = " + inputShape[d] + " (input " + Arrays.toString(inputShape) + "), got shape "
            + Arrays.toString(input.shape()));
      }
    }
  }

  /** Names of the model's outputs, in order; {@link #predict} returns the first. */
  public List<String> outputNames() {
    return List.copyOf(session.getOutputNames());
  }

  @Override
  public String name() {
    return "onnxruntime";
  }

  @Override
  public int batchSize() {
    return options.batchSize();
  }

  /** Where the session runs: {@code "CUDA:<device>"} or {@code "CPU"} (also after a CUDA fallback). */
  public String executionProvider() {
    return executionProvider;
  }

  /** Whether this ONNX Runtime build has the CUDA execution provider (the GPU build, {@code onnxruntime_gpu}). */
  public static boolean cudaBuild() {
    return OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
  }

  /**
   * Appends the CUDA execution provider for {@code device}, returning {@code null} when it started or the
   * reason it could not: the CPU build has no CUDA provider; the GPU build fails to load it when the CUDA or
   * cuDNN libraries or the GPU driver are missing.
   */
  static String addCuda(OrtSession.SessionOptions so, int device) {
    if (!cudaBuild()) {
      return "this ONNX Runtime build has no CUDA execution provider; build with -Ponnxruntime-gpu for"
          + " com.microsoft.onnxruntime:onnxruntime_gpu";
    }
    try {
      so.addCUDA(device);
      return null;
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
      return e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ');
    }
  }

  /** The settings this session was created with. */
  public Options options() {
    return options;
  }

  @Override
  public void close() {
    closeQuietly(session);
  }

  /** One {@code session.run}; {@code outputs == null} means the first output. */
  private List<INDArray> runOnce(INDArray part, List<String> outputs) {
    List<INDArray> arrays = new java.util.ArrayList<>();
    visit(part, outputs, (name, shape, fb) -> {
      float[] values = new float[fb.remaining()];
      fb.get(values);
      arrays.add(Nd4j.create(values, shape, 'c'));
    });
    return arrays;
  }

  /** Receives one output of a run: its name, shape and values (valid only during the call). */
  interface OutputVisitor {
    void accept(String name, long[] shape, FloatBuffer values);
  }

  /**
   * Runs {@code input} in one {@code session.run} and hands each named output to {@code visitor} without
   * copying it (calibration reads min/max straight from ONNX Runtime's buffers).
   */
  void visit(INDArray input, List<String> outputNames, OutputVisitor visitor) {
    if (outputNames != null) {
      checkInput(input);
      checkOutputs(outputNames);
    }
    runVisiting(input, outputNames, visitor);
  }

  private void runVisiting(INDArray part, List<String> outputs, OutputVisitor visitor) {
    INDArray c = part.dataType() == DataType.FLOAT && part.ordering() == 'c' && !part.isView()
        ? part : part.castTo(DataType.FLOAT).dup('c');
    // A direct buffer over ND4J's native memory: ONNX Runtime reads it without another copy.
    FloatBuffer data = c.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    data.limit((int) c.length());
    List<String> names = outputs == null ? List.of(session.getOutputNames().iterator().next()) : outputs;
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, data, c.shape());
         OrtSession.Result result = session.run(Map.of(inputName, tensor), new java.util.LinkedHashSet<>(names))) {
      for (String name : names) {
        OnnxValue value = result.get(name).orElseThrow();
        if (!(value instanceof OnnxTensor out)) {
          throw new IllegalStateException("Output '" + name + "' of " + model.getFileName() + " is not a tensor: "
              + value.getInfo());
        }
        visitor.accept(name, out.getInfo().getShape(), out.getFloatBuffer());
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed on input " + Arrays.toString(c.shape())
          + " with " + model.getFileName() + ": " + e.getMessage(), e);
    }
  }

  private static void closeQuietly(OrtSession s) {
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (OrtException e) {
      LOG.warn("Closing ONNX Runtime session failed: {}", e.getMessage());
    }
  }
}

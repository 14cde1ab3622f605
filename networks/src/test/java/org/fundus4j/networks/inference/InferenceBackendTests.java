package org.fundus4j.networks.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fundus4j.networks.onnx.OnnxExporter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Both backends on one small exported classifier: same numbers, batching, option and input checks. */
class InferenceBackendTests {
  @TempDir
  static Path dir;
  static ComputationGraph graph;
  static Path onnx;

  @BeforeAll
  static void exportSmallClassifier() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(3).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT).graphBuilder()
        .addInputs("in").setInputTypes(InputType.convolutional(16, 16, 3))
        .addLayer("conv", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(6)
            .activation(Activation.RELU).build(), "in")
        .addLayer("bn", new BatchNormalization.Builder().build(), "conv")
        .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "bn")
        .addLayer("out", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(4)
            .activation(Activation.SOFTMAX).build(), "pool")
        .setOutputs("out").build();
    graph = new ComputationGraph(conf);
    graph.init();
    onnx = dir.resolve("small.onnx");
    OnnxExporter.export(graph, onnx);
  }

  static INDArray images(long n) {
    Nd4j.getRandom().setSeed(n);
    return Nd4j.rand(DataType.FLOAT, n, 3, 16, 16);
  }

  @Test
  void onnxRuntimeEqualsDl4jWithBatchSplitting() {
    INDArray x = images(5);
    try (InferenceBackend dl4j = new Dl4jBackend(graph, 2);
         InferenceBackend ort = new OnnxRuntimeBackend(onnx,
             OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(1).withBatchSize(2))) {
      INDArray a = dl4j.predict(x);
      INDArray b = ort.predict(x);
      assertArrayEquals(new long[] {5, 4}, a.shape());
      assertArrayEquals(new long[] {5, 4}, b.shape());
      assertTrue(a.sub(b).amaxNumber().doubleValue() < 1e-4, () -> "DL4J " + a + "\nORT " + b);
      // Splitting into 2+2+1 gives the same rows as one whole-batch DL4J call.
      INDArray whole = graph.output(false, x.dup())[0];
      assertTrue(whole.sub(a).amaxNumber().doubleValue() < 1e-6);
      assertEquals("dl4j", dl4j.name());
      assertEquals("onnxruntime", ort.name());
      assertEquals(2, ort.batchSize());
    }
  }

  @Test
  void onnxRuntimeAcceptsViewsAndDoublesAndEveryOptionCombination() {
    INDArray x = images(4);
    INDArray expected = graph.output(false, x.dup())[0];
    OnnxRuntimeBackend.Options options = OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(2)
        .withInterOpThreads(2).withExecutionMode(ExecutionMode.PARALLEL).withOptimizationLevel(OptLevel.NO_OPT)
        .withMemoryPatternOptimization(false).withCpuArenaAllocator(false)
        .withConfigEntry("session.intra_op.allow_spinning", "0");
    try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(onnx, options)) {
      INDArray view = x.castTo(DataType.DOUBLE).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3));
      INDArray out = ort.predict(view);
      assertTrue(out.sub(expected.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3)))
          .amaxNumber().doubleValue() < 1e-4);
      assertEquals(List.of("out"), ort.outputNames());
      assertEquals(options, ort.options());
    }
  }

  /**
   * On a machine without a GPU or CUDA libraries (this one, and every CI runner), asking for GPU 0 runs on the
   * CPU with the same numbers; with the CPU build (the default) the reason is that the build has no CUDA
   * provider, with {@code -Ponnxruntime-gpu} that the provider could not load its CUDA libraries.
   */
  @Test
  void cudaRequestFallsBackToTheCpuWithTheSameOutputs() {
    INDArray x = images(3);
    OnnxRuntimeBackend.Options cpu = OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(1).withCudaDevice(-1);
    try (OnnxRuntimeBackend onCpu = new OnnxRuntimeBackend(onnx, cpu);
         OnnxRuntimeBackend asked = new OnnxRuntimeBackend(onnx, cpu.withCudaDevice(0))) {
      assertEquals("CPU", onCpu.executionProvider());
      assertEquals("CPU", asked.executionProvider());
      assertEquals(0, asked.options().cudaDevice());
      assertEquals(onCpu.predict(x), asked.predict(x));
    }
    try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions()) {
      String reason = OnnxRuntimeBackend.addCuda(so, 0);
      if (OnnxRuntimeBackend.cudaBuild()) {
        assertTrue(reason != null && !reason.isBlank(), "the GPU build should say why CUDA did not start");
      } else {
        assertEquals("this ONNX Runtime build has no CUDA execution provider; build with -Ponnxruntime-gpu for"
            + " com.microsoft.onnxruntime:onnxruntime_gpu", reason);
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.withCudaDevice(-2));
    assertEquals("cudaDevice must be a GPU index >= 0, or -1 for the CPU, got -2", e.getMessage());
  }

  @Test
  void wrongChannelCountIsRejectedWithTheModelsShape() {
    try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(onnx, 1)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ort.predict(Nd4j.zeros(DataType.FLOAT, 1, 1, 16, 16)));
      assertEquals("Model small.onnx expects dimension 1 = 3 (input [-1, 3, -1, -1]), got shape [1, 1, 16, 16]",
          e.getMessage());
      IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
          () -> ort.predict(Nd4j.zeros(DataType.FLOAT, 3, 16, 16)));
      assertEquals("Model small.onnx expects a rank-4 input [-1, 3, -1, -1], got shape [3, 16, 16]",
          rank.getMessage());
    }
  }

  @Test
  void missingModelAndBadOptionsAreRejected() {
    Path missing = dir.resolve("missing.onnx");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new OnnxRuntimeBackend(missing, 1));
    assertEquals("ONNX model not found: " + missing.toAbsolutePath(), e.getMessage());
    assertEquals("Batch size must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
        () -> OnnxRuntimeBackend.Options.defaults().withBatchSize(0)).getMessage());
    assertEquals("Thread counts must be >= 0 (0 = ONNX Runtime default), got intra=-1 inter=1",
        assertThrows(IllegalArgumentException.class,
            () -> OnnxRuntimeBackend.Options.defaults().withIntraOpThreads(-1)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Dl4jBackend(graph, 0));
  }

  @Test
  void notAnOnnxFileFailsWithTheFileName() throws Exception {
    Path bogus = dir.resolve("bogus.onnx");
    Files.writeString(bogus, "not a model");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new OnnxRuntimeBackend(bogus, 1));
    assertTrue(e.getMessage().startsWith("ONNX Runtime could not load " + bogus.toAbsolutePath()), e.getMessage());
  }

  @Test
  void closedDl4jBackendRefusesWork() {
    Dl4jBackend b = new Dl4jBackend(graph);
    b.close();
    assertEquals("Dl4jBackend is closed",
        assertThrows(IllegalStateException.class, () -> b.predict(images(1))).getMessage());
  }
}

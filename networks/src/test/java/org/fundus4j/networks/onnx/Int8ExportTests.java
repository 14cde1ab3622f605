package org.fundus4j.networks.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.fundus4j.networks.inference.StaticQuantization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Static int8 export (QDQ) of the project's ResNet-50: the file passes {@code onnx.checker}, ONNX Runtime
 * turns all 53 convolutions into integer {@code QLinearConv} kernels, and the probabilities of a linear
 * head stay within 0.03 of the float32 export's on a fixed set of 16 images (64 px, calibrated on 32
 * other images); a tensor kept in float32 leaves its convolution in float32, and the accuracy-driven
 * fallback keeps the fewest tensors in float32 that meet its bound.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Int8ExportTests {
  @TempDir
  Path dir;

  private ComputationGraph net;
  private INDArray test;
  private ActivationRanges ranges;

  @BeforeAll
  void buildAndCalibrate() {
    // The fixture network is built with DL4J's own BatchNorm helper, as when its bound was set: this random
    // network's all-int8 difference sits near the bound and moves with the float rounding of its batch statistics
    // (0.026 with DL4J's helper, 0.036 with OneDnnBatchNormHelper on an AVX2 EPYC); a trained network's would not.
    String helper = System.getProperty(org.fundus4j.networks.LayerHelpers.BATCH_NORM_PROPERTY);
    System.setProperty(org.fundus4j.networks.LayerHelpers.BATCH_NORM_PROPERTY, "false");
    try {
      net = ResNet50.build(Head.linear(2), 42);
    } finally {
      if (helper == null) {
        System.clearProperty(org.fundus4j.networks.LayerHelpers.BATCH_NORM_PROPERTY);
      } else {
        System.setProperty(org.fundus4j.networks.LayerHelpers.BATCH_NORM_PROPERTY, helper);
      }
    }
    OnnxExporterTests.calibrateBatchNormStatistics(net, OnnxExporterTests.input(44, 4, 3, 64, 64), 43);
    dampResidualBranches(net);
    test = OnnxExporterTests.input(45, 16, 3, 64, 64);
    spreadHead(net, test);
    INDArray calibration = OnnxExporterTests.input(46, 32, 3, 64, 64);
    ranges = StaticQuantization.calibrate(net, List.of(
        calibration.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 16)).dup(),
        calibration.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(16, 32)).dup()), 2);
  }

  /**
   * Scales the last BatchNorm of every bottleneck by 0.2 (torchvision's {@code zero_init_residual} idea):
   * a randomly initialised ResNet-50 with BatchNorm is chaotic, 1 % input noise changes its pooled
   * features by ~75 % in float32, so no 8-bit (or any) rounding could keep its outputs; trained networks
   * are not, and a damped one is not either (1 % noise moves its features by a few %).
   */
  private static void dampResidualBranches(ComputationGraph g) {
    for (org.deeplearning4j.nn.api.Layer layer : g.getLayers()) {
      String name = layer.getConfig().getLayerName();
      if (name.endsWith(".bn3")) {
        layer.paramTable().get("gamma").muli(0.2);
        layer.paramTable().get("beta").muli(0.2);
      }
    }
  }

  /**
   * Gives the linear head weights along a direction in which the test images' features vary, scaled so
   * that the two-class logit difference has standard deviation 2 on the test set: probabilities then
   * spread over roughly 0.1-0.9 instead of sitting at 0.5, where any quantisation error would vanish.
   */
  private static void spreadHead(ComputationGraph g, INDArray images) {
    INDArray f = g.output(List.of(ResNet50.FEATURES), false, new INDArray[] {images.dup()}, null)[0];
    INDArray centred = f.subRowVector(f.mean(0));
    Nd4j.getRandom().setSeed(7);
    INDArray v = centred.transpose().mmul(Nd4j.randn(DataType.FLOAT, f.size(0), 1)); // [2048, 1]
    INDArray d = f.mmul(v);                                                           // [N, 1]
    double std = d.stdNumber().doubleValue();
    double mean = d.meanNumber().doubleValue();
    INDArray w = Nd4j.concat(1, v.mul(1.0 / std), v.mul(-1.0 / std)); // logit difference = 2 (d - mean)/std
    Map<String, INDArray> p = g.getLayer(ResNet50.OUTPUT).paramTable();
    p.get("W").assign(w);
    p.get("b").assign(Nd4j.create(new float[] {(float) (-mean / std), (float) (mean / std)}, 1, 2));
  }

  @Test
  void int8ExportPassesTheCheckerAndOrtRunsIntegerConvolutions() throws Exception {
    assertEquals(OnnxExporter.quantizedTensors(net).size(), ranges.ranges().size());
    assertEquals(32, ranges.images());
    Path int8 = dir.resolve("int8.onnx");
    ExportSummary s = OnnxExporter.export(net, int8, OnnxExportOptions.defaults().withInt8(ranges));
    String checked = OnnxChecker.check(int8);
    // 53 weight + 53 bias DequantizeLinear, one Q/DQ pair per quantised tensor; no BatchNorm left.
    int tensors = ranges.ranges().size() - 1; // the max pooling's output reuses its input's range ...
    assertTrue(checked.contains("Conv:53,"), checked);
    assertFalse(checked.contains("BatchNormalization"), checked);
    assertTrue(checked.contains("QuantizeLinear:" + (tensors + 1) + ","), checked); // ... but has its own pair
    assertTrue(checked.contains("DequantizeLinear:" + (tensors + 1 + 2 * 53) + ","), checked);
    assertTrue(s.fileBytes() < 35_000_000, "int8 file should be ~1/4 of the fp32 one: " + s.fileBytes());

    String ops = opsOrtRuns(int8, dir.resolve("int8-optimized.onnx"));
    assertEquals("53 0 16", ops, "ONNX Runtime should run every convolution and residual add on integers");
  }

  @Test
  void int8ProbabilitiesStayWithinThreeHundredthsOfFloat32() throws Exception {
    Path fp32 = dir.resolve("fp32.onnx");
    Path int8 = dir.resolve("int8-probabilities.onnx");
    OnnxExporter.export(net, fp32);
    OnnxExporter.export(net, int8, OnnxExportOptions.defaults().withInt8(ranges));
    INDArray p32;
    INDArray p8;
    try (OnnxRuntimeBackend a = new OnnxRuntimeBackend(fp32, 2); OnnxRuntimeBackend b = new OnnxRuntimeBackend(int8, 2)) {
      p32 = a.predict(test);
      p8 = b.predict(test);
    }
    INDArray dl4j = net.output(false, test.dup())[0];
    double exportDiff = OnnxExporterTests.Transforms.maxAbsDiff(dl4j, p32);
    double diff = OnnxExporterTests.Transforms.maxAbsDiff(p32, p8);
    double spread = p32.getColumn(1).stdNumber().doubleValue();
    System.out.printf("int8 vs fp32: max |p diff| %.4f (fp32 p std %.3f, DL4J vs fp32 ONNX %.2g)%n",
        diff, spread, exportDiff);
    assertTrue(exportDiff < 1e-4, "fp32 export must match DL4J: " + exportDiff);
    assertTrue(spread > 0.15, "probabilities must spread for the bound to mean anything: std " + spread);
    assertTrue(diff > 1e-6, "int8 probabilities identical to fp32: nothing was quantised");
    assertTrue(diff <= 0.03, "max |p_int8 - p_fp32| = " + diff + " > 0.03");
  }

  @Test
  void aTensorKeptInFloat32LeavesItsConvolutionInFloat32() throws Exception {
    Path int8 = dir.resolve("int8-input-float.onnx");
    OnnxExporter.export(net, int8, OnnxExportOptions.defaults().withInt8(ranges, List.of(ResNet50.INPUT)));
    String ops = opsOrtRuns(int8, dir.resolve("int8-input-float-optimized.onnx"));
    assertEquals("52 1 16", ops, "only the stem convolution, whose input stays float32, should run in float32");
  }

  @Test
  void fallbackMeasuresTheAllInt8ModelFirstAndReturnsWhatItMeasured() throws Exception {
    List<INDArray> calibration = List.of(test);
    // budget 0: the all-int8 model is only measured
    StaticQuantization.Choice measured = StaticQuantization.quantize(net, calibration,
        new StaticQuantization.Fallback(0.03, 0), 2);
    double allInt8 = measured.maxDifference();
    assertEquals(List.of(), measured.floatTensors());
    StaticQuantization.Correction correction = measured.correction();
    // the all-int8 model, then the shift's pass and the same with its output bias corrected, kept only if no worse
    assertEquals(3, measured.exportsTried());
    assertEquals(correction.kept() ? correction.maxAfter() : correction.maxBefore(), allInt8, 0);
    assertTrue(correction.maxBefore() > 1e-6, "int8 probabilities identical to fp32: nothing was quantised");
    assertEquals(correction.maxBefore(), maxDifference(measured.ranges(), List.of(), test), 1e-6,
        "the uncorrected all-int8 model's difference");
    assertEquals(allInt8, maxDifference(measured.graph(), measured.ranges(), List.of(), test), 1e-6,
        "the difference of the graph to export");

    // a bound the all-int8 model meets: nothing kept in float32, nothing more measured
    StaticQuantization.Choice met = StaticQuantization.quantize(net, calibration,
        new StaticQuantization.Fallback(allInt8 * 1.01, 8), 2);
    assertEquals(List.of(), met.floatTensors());
    assertEquals(measured.exportsTried(), met.exportsTried());
    assertTrue(met.withinBound());

    assertEquals(Map.of(), met.sensitivity(), "no sensitivity measured when the all-int8 model is within");
    // the fallback proper (a missed bound: sensitivities, then the most sensitive in float32) is FallbackTests', on a
    // graph of 3 quantised tensors instead of ResNet-50's 71 (one export each)
  }

  @Test
  void theSearchKeepsTheRangeMethodWithTheSmallestDifferenceOnTheCalibrationImages() throws Exception {
    List<INDArray> calibration = List.of(test);
    StaticQuantization.Fallback measureOnly = new StaticQuantization.Fallback(0.03, 0);
    StaticQuantization.Choice searched = StaticQuantization.quantize(net, calibration, measureOnly, 2,
        StaticQuantization.SEARCHED);
    // one all-int8 export per method, then the chosen one's shift pass and its export with the output bias corrected
    assertEquals(StaticQuantization.SEARCHED.size() + 2, searched.exportsTried());
    // methods are compared before the correction
    double chosen = searched.correction().maxBefore();
    assertEquals(chosen, maxDifference(searched.ranges(), List.of(), test), 1e-6, "the chosen model's difference");
    StringBuilder each = new StringBuilder();
    for (StaticQuantization.Calibration c : StaticQuantization.SEARCHED) {
      StaticQuantization.Choice one = StaticQuantization.quantize(net, calibration, measureOnly, 2, c);
      double own = one.correction().maxBefore();
      each.append(String.format(java.util.Locale.ROOT, " %s %.4f", c.method(), own));
      assertTrue(chosen <= own + 1e-6, c.method() + " does better than the choice: " + each);
    }
    System.out.println("range methods, all-int8 max |dP| on the calibration images:" + each + "; chosen "
        + searched.ranges().method());
    assertTrue(StaticQuantization.SEARCHED.stream().anyMatch(c -> c.method().equals(searched.ranges().method())));
  }

  @Test
  void aFloat32TensorThatIsNotQuantisedIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExporter.export(net,
        dir.resolve("bad.onnx"), OnnxExportOptions.defaults().withInt8(ranges, List.of(ResNet50.OUTPUT))));
    assertTrue(e.getMessage().contains("'" + ResNet50.OUTPUT + "'"), e.getMessage());
  }

  /** max |p_int8 - p_fp32| on {@code images} with {@code keepFloat} in float32, exported and run here. */
  private double maxDifference(ActivationRanges calibrated, List<String> keepFloat, INDArray images) {
    return maxDifference(net, calibrated, keepFloat, images);
  }

  /** Largest |P int8 - P fp32|: the int8 export of {@code quantised} against net's float32 export. */
  private double maxDifference(ComputationGraph quantised, ActivationRanges calibrated, List<String> keepFloat,
      INDArray images) {
    Path fp32 = dir.resolve("fp32-reference.onnx");
    Path int8 = dir.resolve("int8-reference.onnx");
    OnnxExporter.export(net, fp32);
    OnnxExporter.export(quantised, int8, OnnxExportOptions.defaults().withInt8(calibrated, keepFloat));
    try (OnnxRuntimeBackend a = new OnnxRuntimeBackend(fp32, 2); OnnxRuntimeBackend b = new OnnxRuntimeBackend(int8, 2)) {
      return OnnxExporterTests.Transforms.maxAbsDiff(a.predict(images), b.predict(images));
    }
  }

  @Test
  void missingRangeNamesTheTensor() {
    ActivationRanges partial = new ActivationRanges(Map.of(ResNet50.INPUT, new ActivationRanges.Range(-2f, 2f)),
        1, StaticQuantization.MINMAX);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxExporter.export(net, dir.resolve("partial.onnx"), OnnxExportOptions.defaults().withInt8(partial)));
    assertTrue(e.getMessage().contains("'relu'"), e.getMessage());
  }

  @Test
  void uint8ParametersOfRangesWorkedByHand() {
    // [-1, 3]: scale 4/255, zero point round(1 / (4/255)) = round(63.75) = 64
    ActivationRanges.Range r = new ActivationRanges.Range(-1f, 3f);
    assertEquals(4f / 255f, r.uint8Scale(), 1e-9);
    assertEquals(64, r.uint8ZeroPoint());
    // after a ReLU: [0, 5.1] -> scale 0.02, zero point 0 (ONNX Runtime then drops the ReLU)
    assertEquals(0.02f, new ActivationRanges.Range(0f, 5.1f).uint8Scale(), 1e-7);
    assertEquals(0, new ActivationRanges.Range(0f, 5.1f).uint8ZeroPoint());
    // a positive-only range is widened to include 0
    assertEquals(0, new ActivationRanges.Range(1f, 2.55f).uint8ZeroPoint());
    assertEquals(0.01f, new ActivationRanges.Range(1f, 2.55f).uint8Scale(), 1e-7);
  }

  /**
   * The graph ONNX Runtime runs for {@code model} (its optimised form, written to {@code optimized}): the counts of
   * {@code QLinearConv}, float convolutions ({@code Conv} + {@code FusedConv}) and {@code QLinearAdd}, by onnx.
   */
  private static String opsOrtRuns(Path model, Path optimized) throws Exception {
    try (ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions()) {
      so.setOptimizedModelFilePath(optimized.toString());
      so.setIntraOpNumThreads(1);
      ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(model.toString(), so).close();
    }
    return python("import sys, collections, onnx\n"
        + "m = onnx.load(sys.argv[1])\n"
        + "c = collections.Counter(n.op_type for n in m.graph.node)\n"
        + "print(c['QLinearConv'], c['Conv'] + c['FusedConv'], c['QLinearAdd'])", optimized);
  }

  private static String python(String script, Path arg) throws Exception {
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", script, arg.toString()).redirectErrorStream(true).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("python timed out");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.exitValue(), out);
    return out;
  }
}

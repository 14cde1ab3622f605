package org.fundus4j.networks.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.graph.PreprocessorVertex;
import org.deeplearning4j.nn.conf.graph.ScaleVertex;
import org.deeplearning4j.nn.conf.graph.ShiftVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.CnnLossLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Deconvolution2D;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.DropoutLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SeparableConvolution2D;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.Upsampling2D;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.conf.layers.convolutional.Cropping2D;
import org.deeplearning4j.nn.conf.layers.misc.FrozenLayerWithBackprop;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.weights.WeightInit;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Exports small DL4J graphs covering every supported layer, vertex and activation, checks each file
 * with {@code onnx.checker.check_model(full_check=True)} and compares ONNX Runtime's output with
 * DL4J's on the same input (max absolute difference below 1e-4), at two spatial sizes to prove the
 * dynamic dimensions.
 */
class OnnxExporterTests {
  static final double TOLERANCE = 1e-4;

  @TempDir
  Path dir;

  /** ResNet-like: strided/dilated/biased convs, BN (log-std and var), max/avg pool, residual, paper head. */
  static ComputationGraph classifier(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT)
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.convolutional(32, 32, 3))
        .addLayer("conv1", new ConvolutionLayer.Builder(7, 7).stride(2, 2).padding(3, 3).nOut(8)
            .hasBias(false).activation(Activation.IDENTITY).build(), "in")
        // DL4J ignores a BatchNormalization's activation; the export must do the same.
        .addLayer("bn1", new BatchNormalization.Builder().activation(Activation.RELU).build(), "conv1")
        .addLayer("relu1", new ActivationLayer(Activation.RELU), "bn1")
        .addLayer("pool1", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(3, 3).stride(2, 2)
            .padding(1, 1).build(), "relu1")
        .addLayer("conv2a", new ConvolutionLayer.Builder(3, 3).dilation(2, 2).padding(2, 2).nOut(8)
            .activation(Activation.RELU).build(), "pool1")
        .addLayer("conv2b", new ConvolutionLayer.Builder(1, 1).nOut(8).hasBias(false)
            .activation(Activation.IDENTITY).build(), "conv2a")
        .addLayer("bn2", new BatchNormalization.Builder().useLogStd(false).eps(1e-3).build(), "conv2b")
        .addVertex("add", new ElementWiseVertex(ElementWiseVertex.Op.Add), "bn2", "pool1")
        .addLayer("relu", new ActivationLayer(Activation.RELU), "add")
        .addLayer("pool2", new SubsamplingLayer.Builder(PoolingType.AVG).kernelSize(3, 3).stride(2, 2)
            .padding(1, 1).build(), "relu")
        .addLayer("conv3", new ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(12)
            .convolutionMode(ConvolutionMode.Same).activation(Activation.RELU).build(), "pool2")
        .addLayer("avgpool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv3")
        .addLayer("fc0", new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build(), "avgpool")
        .addLayer("fc1", new BatchNormalization.Builder().build(), "fc0")
        .addLayer("fc2", new ActivationLayer(Activation.RELU), "fc1")
        .addLayer("fc3", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(5)
            .activation(Activation.SOFTMAX).build(), "fc2")
        .setOutputs("fc3")
        .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    randomizeBatchNormStatistics(g, seed);
    return g;
  }

  /** U-Net-like: Same-mode convs, pooling, Upsampling2D, Deconvolution2D, MergeVertex, CnnLossLayer. */
  static ComputationGraph unetLike(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT)
        .convolutionMode(ConvolutionMode.Same)
        .graphBuilder()
        .addInputs("image")
        .setInputTypes(InputType.convolutional(16, 16, 2))
        .addLayer("enc1", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.RELU).build(), "image")
        .addLayer("down", new SubsamplingLayer.Builder(PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build(), "enc1")
        .addLayer("enc2", new ConvolutionLayer.Builder(3, 3).nOut(10).activation(Activation.RELU).build(), "down")
        .addLayer("bn", new BatchNormalization.Builder().build(), "enc2")
        .addLayer("up", new Upsampling2D.Builder(2).build(), "bn")
        .addLayer("deconv", new Deconvolution2D.Builder(2, 2).stride(2, 2).nOut(4)
            .convolutionMode(ConvolutionMode.Truncate).activation(Activation.IDENTITY).build(), "bn")
        .addLayer("deconvSame", new Deconvolution2D.Builder(3, 3).stride(2, 2).nOut(3)
            .activation(Activation.TANH).build(), "enc2")
        .addVertex("concat", new MergeVertex(), "enc1", "up", "deconv", "deconvSame")
        .addLayer("head", new ConvolutionLayer.Builder(1, 1).nOut(1).activation(Activation.IDENTITY).build(), "concat")
        .addLayer("mask", new CnnLossLayer.Builder(LossFunctions.LossFunction.XENT)
            .activation(Activation.SIGMOID).build(), "head")
        .setOutputs("mask")
        .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    randomizeBatchNormStatistics(g, seed);
    return g;
  }

  /** Everything else: padding/cropping, p-norm pooling, scale/shift, element-wise ops, activations. */
  static ComputationGraph assorted(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT)
        .graphBuilder()
        .addInputs("x")
        .setInputTypes(InputType.convolutional(20, 20, 3))
        .addLayer("pad", new ZeroPaddingLayer.Builder(1, 2, 3, 4).build(), "x")
        .addLayer("c1", new ConvolutionLayer.Builder(3, 3).nOut(6).activation(Activation.LEAKYRELU).build(), "pad")
        .addLayer("crop", new Cropping2D(1, 0, 2, 1), "c1")
        .addLayer("c2", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(6).activation(Activation.ELU).build(), "crop")
        .addLayer("lp", new SubsamplingLayer.Builder(PoolingType.PNORM).pnorm(2).kernelSize(2, 2).stride(1, 1).build(), "c2")
        .addLayer("c3", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(6)
            .activation(Activation.HARDSIGMOID).build(), "lp")
        .addVertex("scale", new ScaleVertex(0.5), "c3")
        .addVertex("shift", new ShiftVertex(-0.25), "scale")
        .addLayer("c4", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(6).activation(Activation.SWISH).build(), "lp")
        .addLayer("c5", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(6).activation(Activation.SOFTPLUS).build(), "lp")
        .addLayer("c6", new ConvolutionLayer.Builder(3, 3).padding(1, 1).nOut(6)
            .activation(new ActivationReLU(6.0, 0.0, 0.0)).build(), "lp")
        .addVertex("prod", new ElementWiseVertex(ElementWiseVertex.Op.Product), "shift", "c4", "c5")
        .addVertex("max", new ElementWiseVertex(ElementWiseVertex.Op.Max), "prod", "c6")
        .addVertex("avg", new ElementWiseVertex(ElementWiseVertex.Op.Average), "max", "c4", "c6")
        .addVertex("sub", new ElementWiseVertex(ElementWiseVertex.Op.Subtract), "avg", "c5")
        .addVertex("sum", new ElementWiseVertex(ElementWiseVertex.Op.Add), "sub", "c4", "c6")
        .addLayer("drop", new DropoutLayer.Builder(0.5).build(), "sum")
        .addLayer("gmax", new GlobalPoolingLayer.Builder(PoolingType.MAX).build(), "drop")
        .addLayer("gsum", new GlobalPoolingLayer.Builder(PoolingType.SUM).build(), "drop")
        .addLayer("gp2", new GlobalPoolingLayer.Builder(PoolingType.PNORM).pnorm(3).build(), "drop")
        .addVertex("pooled", new MergeVertex(), "gmax", "gsum", "gp2")
        .addLayer("fc", new DenseLayer.Builder().nOut(7).hasBias(false).activation(Activation.TANH).build(), "pooled")
        .addLayer("labels", new OutputLayer.Builder(LossFunctions.LossFunction.XENT).nOut(4)
            .activation(Activation.SIGMOID).build(), "fc")
        .setOutputs("labels")
        .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  /** Fixed-size graph: conv -> flatten preprocessor -> dense -> reshape to CNN -> conv; two outputs. */
  static ComputationGraph preprocessors(long seed) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(seed).weightInit(WeightInit.XAVIER).dataType(DataType.FLOAT)
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.convolutional(8, 8, 1))
        .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).activation(Activation.RELU).build(), "in")
        .addLayer("dense", new DenseLayer.Builder().nOut(2 * 4 * 4).activation(Activation.RELU).build(), "conv")
        .addVertex("toCnn", new PreprocessorVertex(new FeedForwardToCnnPreProcessor(4, 4, 2)), "dense")
        .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(3).activation(Activation.IDENTITY).build(), "toCnn")
        .addLayer("gpool", new GlobalPoolingLayer.Builder(PoolingType.AVG).collapseDimensions(false).build(), "conv2")
        .addLayer("out", new LossLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).build(), "dense")
        .setOutputs("gpool", "out")
        .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    return g;
  }

  /** Sets BatchNorm running mean/variance to non-trivial values so that export mistakes show up. */
  static void randomizeBatchNormStatistics(ComputationGraph g, long seed) {
    Nd4j.getRandom().setSeed(seed);
    for (org.deeplearning4j.nn.api.Layer l : g.getLayers()) {
      Map<String, INDArray> p = l.paramTable();
      if (p.containsKey("mean")) {
        p.get("mean").assign(Nd4j.randn(DataType.FLOAT, p.get("mean").shape()).muli(0.3));
        p.get("gamma").assign(Nd4j.rand(DataType.FLOAT, p.get("gamma").shape()).addi(0.5));
        p.get("beta").assign(Nd4j.randn(DataType.FLOAT, p.get("beta").shape()).muli(0.2));
        INDArray var = Nd4j.rand(DataType.FLOAT, p.get("mean").shape()).addi(0.2);
        if (p.containsKey("log10stdev")) {
          p.get("log10stdev").assign(org.nd4j.linalg.ops.transforms.Transforms.log(var, 10).muli(0.5));
        } else {
          p.get("var").assign(var);
        }
      }
    }
  }

  /**
   * Sets every BatchNorm's running statistics to the batch statistics of its input on {@code input}
   * in one training-mode forward pass (slightly perturbed, seeded), so that deep random networks keep
   * activations of order 1 in inference mode and export mistakes in BN are not hidden.
   */
  static void calibrateBatchNormStatistics(ComputationGraph g, INDArray input, long seed) {
    java.util.Random random = new java.util.Random(seed);
    for (org.deeplearning4j.nn.api.Layer l : g.getLayers()) {
      Map<String, INDArray> p = l.paramTable();
      if (p.containsKey("mean")) {
        for (int c = 0; c < p.get("gamma").length(); c++) {
          p.get("gamma").putScalar(c, 0.5 + random.nextDouble());
          p.get("beta").putScalar(c, (random.nextDouble() - 0.5) * 0.4);
        }
      }
    }
    Map<String, INDArray> trainActivations = g.feedForward(input.dup(), true);
    for (String name : g.getConfiguration().getTopologicalOrderStr()) {
      org.deeplearning4j.nn.api.Layer layer = g.getLayer(name);
      if (layer == null || !layer.paramTable().containsKey("mean")) {
        continue;
      }
      Map<String, INDArray> p = layer.paramTable();
      String source = g.getConfiguration().getVertexInputs().get(name).get(0);
      INDArray x = trainActivations.get(source);
      int[] dims = x.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
      INDArray mean = x.mean(dims);
      INDArray var = x.var(false, dims);
      for (int c = 0; c < mean.length(); c++) {
        double f = Math.exp((random.nextDouble() - 0.5) * 0.45);
        var.putScalar(c, Math.max(var.getDouble(c) * f, 1e-2)); // no 30x amplification of rounding
        mean.putScalar(c, mean.getDouble(c) + (random.nextDouble() - 0.5) * 0.1 * Math.sqrt(var.getDouble(c)));
      }
      p.get("mean").assign(mean.reshape(p.get("mean").shape()));
      if (p.containsKey("log10stdev")) {
        p.get("log10stdev").assign(org.nd4j.linalg.ops.transforms.Transforms.log(var, 10).muli(0.5)
            .reshape(p.get("log10stdev").shape()));
      } else {
        p.get("var").assign(var.reshape(p.get("var").shape()));
      }
    }
  }

  static INDArray input(long seed, long... shape) {
    Nd4j.getRandom().setSeed(seed);
    return Nd4j.randn(DataType.FLOAT, shape);
  }

  /** Exports {@code g}, runs the checker, and compares DL4J with ONNX Runtime for each input. */
  static String exportAndCompare(ComputationGraph g, Path file, INDArray... inputs) throws Exception {
    ExportSummary summary = OnnxExporter.export(g, file);
    String checked = OnnxChecker.check(file);
    try (OnnxRuntimeBackend ort = new OnnxRuntimeBackend(file, 1)) {
      for (INDArray in : inputs) {
        INDArray expected = g.output(false, in.dup())[0];
        INDArray actual = ort.predict(in);
        assertArrayEquals(expected.shape(), actual.shape(), "output shape for input " + in.shapeInfoToString());
        double diff = Transforms.maxAbsDiff(expected, actual);
        assertTrue(diff < TOLERANCE, "max |DL4J - ONNX Runtime| = " + diff + " for input "
            + java.util.Arrays.toString(in.shape()) + " of " + file.getFileName());
      }
    }
    assertEquals(file.toAbsolutePath(), summary.file());
    return checked;
  }

  @Test
  void classifierMatchesDl4jAtTwoSizesAndPassesChecker() throws Exception {
    ComputationGraph g = classifier(1);
    String checked = exportAndCompare(g, dir.resolve("classifier.onnx"),
        input(2, 2, 3, 32, 32), input(3, 3, 3, 45, 37));
    assertTrue(checked.startsWith("ir=7 opset=13 "), checked);
    assertTrue(checked.contains("BatchNormalization:3"), checked);
    assertTrue(checked.contains("Conv:4"), checked);
    assertTrue(checked.contains("Gemm:2"), checked);
    assertTrue(checked.contains("MaxPool:1") && checked.contains("AveragePool:1"), checked);
  }

  @Test
  void unetLikeGraphMatchesDl4jAndKeepsSpatialSize() throws Exception {
    ComputationGraph g = unetLike(4);
    String checked = exportAndCompare(g, dir.resolve("unet.onnx"),
        input(5, 1, 2, 16, 16), input(6, 2, 2, 24, 32));
    assertTrue(checked.contains("ConvTranspose:2") && checked.contains("Resize:1")
        && checked.contains("Concat:1"), checked);
  }

  @Test
  void assortedLayersAndActivationsMatchDl4j() throws Exception {
    String checked = exportAndCompare(assorted(7), dir.resolve("assorted.onnx"),
        input(8, 2, 3, 20, 20), input(9, 1, 3, 13, 17));
    for (String op : new String[] {"Pad:1", "Slice:1", "LpPool:1", "LeakyRelu:1", "Elu:1", "HardSigmoid:1",
        "Softplus:1", "Clip:1", "Max:1", "Mean:1", "Sub:1", "Sum:1", "GlobalMaxPool:1", "ReduceSum:1",
        "GlobalLpPool:1", "MatMul:1", "Tanh:1"}) {
      assertTrue(checked.contains(op), op + " missing in " + checked);
    }
  }

  @Test
  void preprocessorsAndMultipleOutputsMatchDl4j() throws Exception {
    ComputationGraph g = preprocessors(10);
    Path file = dir.resolve("pre.onnx");
    ExportSummary s = OnnxExporter.export(g, file);
    assertEquals(java.util.List.of("gpool", "out"), s.outputNames());
    String checked = OnnxChecker.check(file);
    assertTrue(checked.contains("Flatten:1") && checked.contains("Reshape:1"), checked);
    INDArray in = input(11, 3, 1, 8, 8);
    INDArray[] expected = g.output(false, in.dup());
    try (ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
         ai.onnxruntime.OrtSession session = env.createSession(file.toString());
         ai.onnxruntime.OnnxTensor t = ai.onnxruntime.OnnxTensor.createTensor(env,
             java.nio.FloatBuffer.wrap(in.data().asFloat()), in.shape());
         ai.onnxruntime.OrtSession.Result r = session.run(Map.of("in", t))) {
      for (int k = 0; k < 2; k++) {
        ai.onnxruntime.OnnxTensor o = (ai.onnxruntime.OnnxTensor) r.get(k);
        float[] v = new float[o.getFloatBuffer().remaining()];
        o.getFloatBuffer().get(v);
        INDArray actual = Nd4j.create(v, o.getInfo().getShape(), 'c');
        assertArrayEquals(expected[k].shape(), actual.shape());
        assertTrue(Transforms.maxAbsDiff(expected[k], actual) < TOLERANCE, "output " + k);
      }
    }
  }

  @Test
  void frozenLayersAreUnwrapped() throws Exception {
    ComputationGraph base = classifier(12);
    ComputationGraph frozen = new TransferLearning.GraphBuilder(base).setFeatureExtractor("add").build();
    assertTrue(frozen.getLayer("conv1").getClass().getSimpleName().startsWith("Frozen"),
        "TransferLearning should have wrapped conv1");
    exportAndCompare(frozen, dir.resolve("frozen.onnx"), input(13, 2, 3, 32, 32));

    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(14).dataType(DataType.FLOAT).graphBuilder()
        .addInputs("in").setInputTypes(InputType.convolutional(8, 8, 3))
        .addLayer("c", new FrozenLayerWithBackprop(new ConvolutionLayer.Builder(3, 3).nOut(2)
            .activation(Activation.SIGMOID).build()), "in")
        .addLayer("p", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "c")
        .addLayer("o", new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nOut(2)
            .activation(Activation.IDENTITY).build(), "p")
        .setOutputs("o").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    exportAndCompare(g, dir.resolve("frozen-backprop.onnx"), input(15, 2, 3, 8, 8));
  }

  @Test
  void metadataAndOpsetAreRecorded() throws Exception {
    Path file = dir.resolve("meta.onnx");
    OnnxExportOptions options = OnnxExportOptions.defaults().withOpset(17)
        .withNormalization(new double[] {0.485, 0.456, 0.406}, new double[] {0.229, 0.224, 0.225})
        .withMetadata("weights", "torchvision IMAGENET1K_V1");
    ExportSummary s = OnnxExporter.export(classifier(16), file, options);
    assertEquals(17, s.opset());
    assertEquals(java.util.List.of("in"), s.inputNames());
    assertEquals(java.util.List.of("fc3"), s.outputNames());
    assertEquals(Files.size(file), s.fileBytes());
    String checked = OnnxChecker.check(file);
    assertTrue(checked.startsWith("ir=7 opset=17 "), checked);
    assertTrue(checked.endsWith("meta=normalization.mean=0.485,0.456,0.406;normalization.std=0.229,0.224,0.225;"
        + "input.layout=NCHW float32, RGB scaled to [0,1], then (x - mean) / std per channel;"
        + "weights=torchvision IMAGENET1K_V1"), checked);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> options.withNormalization(new double[] {0.5}, new double[] {0.0}));
    assertEquals("Normalisation std must be > 0, got [0.0]", e.getMessage());
  }

  @Test
  void parameterCountEqualsDl4jsExceptBatchNormLayout() {
    ComputationGraph g = assorted(17); // no BatchNorm: every DL4J parameter becomes one ONNX float
    ExportSummary s = OnnxExporter.export(g, dir.resolve("count.onnx"));
    // Plus the constants we add: 2 for Clip, 1 scale, 1 shift, 4 Resize scales (none here).
    assertEquals(g.numParams() + 2 + 1 + 1, s.parameterCount());
  }

  @Test
  void unsupportedLayerIsNamedInTheError() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(8, 8, 3))
        .addLayer("sepconv", new SeparableConvolution2D.Builder(3, 3).nOut(4).build(), "in")
        .addLayer("out", new CnnLossLayer.Builder(LossFunctions.LossFunction.XENT).activation(Activation.SIGMOID).build(), "sepconv")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    Path file = dir.resolve("never.onnx");
    UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class, () -> OnnxExporter.export(g, file));
    assertEquals("sepconv", e.vertexName());
    assertEquals("Cannot export vertex 'sepconv' to ONNX: layer type "
        + "org.deeplearning4j.nn.conf.layers.SeparableConvolution2D is not supported", e.getMessage());
    assertFalse(Files.exists(file), "no partial file may be left behind");
  }

  @Test
  void nhwcConvolutionIsRejected() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .graphBuilder().addInputs("in").setInputTypes(InputType.convolutional(8, 8, 3, CNN2DFormat.NHWC))
        .addLayer("conv", new ConvolutionLayer.Builder(3, 3).nOut(4).dataFormat(CNN2DFormat.NHWC).build(), "in")
        .addLayer("out", new CnnLossLayer.Builder(LossFunctions.LossFunction.XENT).format(CNN2DFormat.NHWC)
            .activation(Activation.SIGMOID).build(), "conv")
        .setOutputs("out").build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    UnsupportedLayerException e = assertThrows(UnsupportedLayerException.class,
        () -> OnnxExporter.export(g, dir.resolve("nhwc.onnx")));
    assertEquals("Cannot export vertex 'conv' to ONNX: ConvolutionLayer uses NHWC; only NCHW graphs can be exported",
        e.getMessage());
  }

  @Test
  void opsetOutsideSupportedRangeIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxExportOptions.defaults().withOpset(18));
    assertEquals("ONNX opset must be 13..17, got 18", e.getMessage());
  }

  /** Small numeric helpers. */
  static final class Transforms {
    static double maxAbsDiff(INDArray a, INDArray b) {
      return a.castTo(DataType.DOUBLE).sub(b.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    }
  }
}

package org.fundus4j.networks;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_data_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_backward_weights_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_convolution_forward_desc_init;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_equal;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.AlgoMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdDataAlgo;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.BwdFilterAlgo;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer.FwdAlgo;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.mkldnn.MKLDNNConvHelper;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * 2-D convolution, forward and backward, as oneDNN primitives made once per shape and kept (issue #19).
 *
 * <p>DL4J's {@link MKLDNNConvHelper} runs libnd4j's {@code conv2d} and {@code conv2d_bp}, which build their oneDNN
 * primitives again in every call. Here each layer's forward, backward-data and backward-weights primitives are
 * made on first use with oneDNN's preferred ({@code any}) layouts and kept with the reorders between those layouts
 * and DL4J's NCHW / OIHW arrays; a reorder is left out where oneDNN picks DL4J's layout. On 2 AVX-512 cores, for
 * one forward and backward at batch 8, this took 22 ms where libnd4j took 49 ms for a 1x1 convolution 64 -> 256 at
 * 56x56 (most of ResNet-50's convolutions are 1x1), and 29 vs 33 ms for a 3x3 64 -> 64 at 56x56, with the same
 * values (outputs within 6e-5 of values up to 6e3).
 *
 * <p>A convolution that reads the network's input, and is its only reader, can be made with
 * {@code inputGradient == false} ({@link LayerHelpers#install} does so): its backprop then runs no backward-data
 * primitive and returns no gradient for the input, which DL4J 1.0.0-M2.1's {@code ComputationGraph} computes but
 * never exposes or uses (its backprop stops at input vertices). For ResNet-50's 7x7 stem with 3 input channels this
 * was the slowest convolution of a training step: about 50 ms of 1.7 s at 224 px, batch 8 (oneDNN's verbose log,
 * 2 cores).
 *
 * <p>Inherits {@link ReusingConvHelper}'s skipped second forward. float32 NCHW with dilation 1 outside
 * {@link ConvolutionMode#Same} runs here; anything else falls back to DL4J's helper, call by call. Blocked
 * intermediate arrays live in a per-thread scratch area that grows to the largest layer's need and is kept.
 * One helper belongs to one layer and, like DL4J's layers, is not thread-safe.
 */
final class OneDnnConvHelper extends ReusingConvHelper {

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private final dnnl_stream stream = OneDnn.newStream();
  private final Map<List<Long>, Primitives> primitives = new HashMap<>();

  private final boolean inputGradient;
  private long inputGradientsSkipped;

  OneDnnConvHelper(DataType dataType, boolean reuseForward) {
    this(dataType, reuseForward, true);
  }

  /**
   * @param inputGradient whether backprop computes the gradient for the layer's input; {@code false} only for a
   *     layer whose input gradient nothing reads (see the class comment)
   */
  OneDnnConvHelper(DataType dataType, boolean reuseForward, boolean inputGradient) {
    super(dataType, reuseForward);
    this.inputGradient = inputGradient;
  }

  /** The number of backprop calls that left out the input gradient. */
  long inputGradientsSkipped() {
    return inputGradientsSkipped;
  }

  @Override
  INDArray convolve(INDArray input, INDArray weights, INDArray bias, int[] kernel, int[] strides, int[] pad,
      AlgoMode mode, FwdAlgo fwdAlgo, ConvolutionMode convolutionMode, int[] dilation, CNN2DFormat format,
      LayerWorkspaceMgr workspaceMgr) {
    if (!supported(input, weights, bias, convolutionMode, dilation, format)) {
      return super.convolve(input, weights, bias, kernel, strides, pad, mode, fwdAlgo, convolutionMode, dilation,
          format, workspaceMgr);
    }
    INDArray x = OneDnn.dense(input);
    INDArray w = OneDnn.dense(weights);
    Primitives p = primitives(x, w, strides, pad, bias != null);
    INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, DataType.FLOAT, p.dstShape);
    Scratch scratch = SCRATCH.get();
    INDArray xb = p.forward.src.from(stream, x, scratch, 0);
    INDArray wb = p.forward.weights.from(stream, w, scratch, 1);
    INDArray zb = p.forward.dst.target(out, scratch, 2);
    List<Object> args = new ArrayList<>(List.of(DNNL_ARG_SRC, p.forward.src.md, xb, DNNL_ARG_WEIGHTS,
        p.forward.weights.md, wb, DNNL_ARG_DST, p.forward.dst.md, zb));
    if (bias != null) {
      args.addAll(List.of(DNNL_ARG_BIAS, p.biasMd, OneDnn.dense(bias)));
    }
    OneDnn.execute(stream, p.forward.primitive, args.toArray());
    p.forward.dst.to(stream, zb, out);
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray input, INDArray weights, INDArray bias, INDArray delta,
      int[] kernel, int[] strides, int[] pad, INDArray biasGradView, INDArray weightGradView, IActivation afn,
      AlgoMode mode, BwdFilterAlgo bwdFilterAlgo, BwdDataAlgo bwdDataAlgo, ConvolutionMode convolutionMode,
      int[] dilation, CNN2DFormat format, LayerWorkspaceMgr workspaceMgr) {
    if (!supported(input, weights, bias, convolutionMode, dilation, format) || delta.dataType() != DataType.FLOAT
        || !OneDnn.contiguous(weightGradView) || (bias != null && !OneDnn.contiguous(biasGradView))) {
      return super.backpropGradient(input, weights, bias, delta, kernel, strides, pad, biasGradView, weightGradView,
          afn, mode, bwdFilterAlgo, bwdDataAlgo, convolutionMode, dilation, format, workspaceMgr);
    }
    INDArray x = OneDnn.dense(input);
    INDArray w = OneDnn.dense(weights);
    INDArray dz = OneDnn.dense(delta);
    Primitives p = primitives(x, w, strides, pad, bias != null);
    Backward b = p.backward(inputGradient);
    Scratch scratch = SCRATCH.get();
    INDArray epsOut = null;
    INDArray dzData = null;
    if (inputGradient) {
      epsOut = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, DataType.FLOAT, x.shape());
      dzData = b.data.diffDst.from(stream, dz, scratch, 0);
      INDArray wData = b.data.weights.from(stream, w, scratch, 1);
      INDArray dxData = b.data.diffSrc.target(epsOut, scratch, 2);
      OneDnn.execute(stream, b.data.primitive, DNNL_ARG_DIFF_DST, b.data.diffDst.md, dzData, DNNL_ARG_WEIGHTS,
          b.data.weights.md, wData, DNNL_ARG_DIFF_SRC, b.data.diffSrc.md, dxData);
      b.data.diffSrc.to(stream, dxData, epsOut);
    } else {
      inputGradientsSkipped++;
    }

    INDArray xWeights = b.weights.src.from(stream, x, scratch, 2);
    INDArray dzWeights = b.sameDiffDst && dzData != null ? dzData : b.weights.diffDst.from(stream, dz, scratch, 3);
    INDArray dwWeights = b.weights.diffWeights.target(weightGradView, scratch, 1);
    List<Object> args = new ArrayList<>(List.of(DNNL_ARG_SRC, b.weights.src.md, xWeights, DNNL_ARG_DIFF_DST,
        b.weights.diffDst.md, dzWeights, DNNL_ARG_DIFF_WEIGHTS, b.weights.diffWeights.md, dwWeights));
    if (bias != null) {
      args.addAll(List.of(DNNL_ARG_DIFF_BIAS, p.biasMd, biasGradView));
    }
    OneDnn.execute(stream, b.weights.primitive, args.toArray());
    b.weights.diffWeights.to(stream, dwWeights, weightGradView);

    Gradient gradient = new DefaultGradient();
    if (bias != null) {
      gradient.gradientForVariable().put("b", biasGradView);
    }
    gradient.gradientForVariable().put("W", weightGradView);
    return new Pair<>(gradient, epsOut);
  }

  private static boolean supported(INDArray input, INDArray weights, INDArray bias, ConvolutionMode convolutionMode,
      int[] dilation, CNN2DFormat format) {
    return input.dataType() == DataType.FLOAT && weights.dataType() == DataType.FLOAT
        && (bias == null || bias.dataType() == DataType.FLOAT) && input.rank() == 4 && weights.rank() == 4
        && format == CNN2DFormat.NCHW && convolutionMode != ConvolutionMode.Same
        && (dilation == null || (dilation[0] == 1 && dilation[1] == 1));
  }

  private Primitives primitives(INDArray x, INDArray w, int[] strides, int[] pad, boolean bias) {
    List<Long> key = new ArrayList<>(13);
    for (long s : x.shape()) {
      key.add(s);
    }
    for (long s : w.shape()) {
      key.add(s);
    }
    key.addAll(List.of((long) strides[0], (long) strides[1], (long) pad[0], (long) pad[1], bias ? 1L : 0L));
    return primitives.computeIfAbsent(key, k -> new Primitives(x.shape(), w.shape(), strides, pad, bias));
  }

  /**
   * One argument of a primitive: the layout oneDNN chose ({@link #md}) and, when it differs from DL4J's
   * ({@link #user}), the reorder between them.
   */
  private record Arg(dnnl_memory_desc_t md, dnnl_memory_desc_t user, dnnl_primitive reorder) {

    /** An input: {@code array} itself when the layouts agree, else its reorder into scratch slot {@code slot}. */
    INDArray from(dnnl_stream stream, INDArray array, Scratch scratch, int slot) {
      if (reorder == null) {
        return array;
      }
      INDArray buffer = scratch.slot(slot, dnnl_memory_desc_get_size(md));
      OneDnn.execute(stream, reorder, DNNL_ARG_FROM, user, array, DNNL_ARG_TO, md, buffer);
      return buffer;
    }

    /** Where an output is written: {@code array} itself when the layouts agree, else scratch slot {@code slot}. */
    INDArray target(INDArray array, Scratch scratch, int slot) {
      return reorder == null ? array : scratch.slot(slot, dnnl_memory_desc_get_size(md));
    }

    /** Copies an output written by {@link #target} into {@code array} when it went to scratch. */
    void to(dnnl_stream stream, INDArray written, INDArray array) {
      if (reorder != null) {
        OneDnn.execute(stream, reorder, DNNL_ARG_FROM, md, written, DNNL_ARG_TO, user, array);
      }
    }

    static Arg input(dnnl_primitive_desc pd, int query, dnnl_memory_desc_t user) {
      dnnl_memory_desc_t md = query(pd, query);
      return new Arg(md, user, same(md, user) ? null : OneDnnConvHelper.reorder(user, md));
    }

    static Arg output(dnnl_primitive_desc pd, int query, dnnl_memory_desc_t user) {
      dnnl_memory_desc_t md = query(pd, query);
      return new Arg(md, user, same(md, user) ? null : OneDnnConvHelper.reorder(md, user));
    }
  }

  private record Forward(dnnl_primitive primitive, Arg src, Arg weights, Arg dst) {}

  private record BackwardData(dnnl_primitive primitive, Arg diffDst, Arg weights, Arg diffSrc) {}

  private record BackwardWeights(dnnl_primitive primitive, Arg src, Arg diffDst, Arg diffWeights) {}

  /** {@code data} is {@code null} for a convolution made without an input gradient. */
  private record Backward(BackwardData data, BackwardWeights weights, boolean sameDiffDst) {}

  /**
   * A layer's primitives for one input shape; the backward ones are made on the first backprop (the backward-data
   * one only for a layer that returns its input's gradient).
   */
  private static final class Primitives {
    final long[] dstShape;
    final dnnl_memory_desc_t biasMd;
    final Forward forward;
    private final dnnl_primitive_desc forwardPd;
    private final dnnl_memory_desc_t srcUser;
    private final dnnl_memory_desc_t weightsUser;
    private final dnnl_memory_desc_t dstUser;
    private final long[] xShape;
    private final long[] wShape;
    private final long[] strides;
    private final long[] padding;
    private final boolean bias;
    private Backward backward;

    Primitives(long[] xShape, long[] wShape, int[] strides, int[] pad, boolean bias) {
      long oh = (xShape[2] + 2L * pad[0] - wShape[2]) / strides[0] + 1;
      long ow = (xShape[3] + 2L * pad[1] - wShape[3]) / strides[1] + 1;
      dstShape = new long[] {xShape[0], wShape[0], oh, ow};
      this.xShape = xShape.clone();
      this.wShape = wShape.clone();
      this.strides = new long[] {strides[0], strides[1]};
      // DL4J's Truncate pads pad[] before and after and drops what the stride leaves over, as oneDNN does
      this.padding = new long[] {pad[0], pad[1]};
      this.bias = bias;
      srcUser = OneDnn.plain(xShape);
      weightsUser = OneDnn.plain(wShape);
      dstUser = OneDnn.plain(dstShape);
      biasMd = OneDnn.plain(new long[] {wShape[0]});
      dnnl_convolution_desc_t desc = new dnnl_convolution_desc_t();
      OneDnn.check(dnnl_convolution_forward_desc_init(desc, dnnl_forward_training, dnnl_convolution_direct,
          any(xShape), any(wShape), bias ? biasMd : null, any(dstShape), this.strides, padding, padding),
          "dnnl_convolution_forward_desc_init");
      forwardPd = OneDnn.primitiveDesc(desc, null, "convolution");
      forward = new Forward(OneDnn.primitive(forwardPd, "convolution"),
          Arg.input(forwardPd, dnnl_query_src_md, srcUser),
          Arg.input(forwardPd, dnnl_query_weights_md, weightsUser), Arg.output(forwardPd, dnnl_query_dst_md, dstUser));
    }

    Backward backward(boolean withData) {
      if (backward == null) {
        BackwardData backwardData = withData ? backwardData() : null;
        dnnl_convolution_desc_t weights = new dnnl_convolution_desc_t();
        OneDnn.check(dnnl_convolution_backward_weights_desc_init(weights, dnnl_convolution_direct, any(xShape),
            any(wShape), bias ? biasMd : null, any(dstShape), strides, padding, padding),
            "dnnl_convolution_backward_weights_desc_init");
        dnnl_primitive_desc weightsPd = OneDnn.primitiveDesc(weights, forwardPd, "convolution");
        BackwardWeights backwardWeights = new BackwardWeights(OneDnn.primitive(weightsPd, "convolution"),
            Arg.input(weightsPd, dnnl_query_src_md, srcUser), Arg.input(weightsPd, dnnl_query_diff_dst_md, dstUser),
            Arg.output(weightsPd, dnnl_query_diff_weights_md, weightsUser));
        backward = new Backward(backwardData, backwardWeights,
            backwardData != null && same(backwardData.diffDst().md(), backwardWeights.diffDst().md()));
      }
      return backward;
    }

    private BackwardData backwardData() {
      dnnl_convolution_desc_t data = new dnnl_convolution_desc_t();
      OneDnn.check(dnnl_convolution_backward_data_desc_init(data, dnnl_convolution_direct, any(xShape), any(wShape),
          any(dstShape), strides, padding, padding), "dnnl_convolution_backward_data_desc_init");
      dnnl_primitive_desc dataPd = OneDnn.primitiveDesc(data, forwardPd, "convolution");
      return new BackwardData(OneDnn.primitive(dataPd, "convolution"),
          Arg.input(dataPd, dnnl_query_diff_dst_md, dstUser), Arg.input(dataPd, dnnl_query_weights_md, weightsUser),
          Arg.output(dataPd, dnnl_query_diff_src_md, srcUser));
    }
  }

  private static dnnl_memory_desc_t any(long[] shape) {
    dnnl_memory_desc_t desc = new dnnl_memory_desc_t();
    OneDnn.check(dnnl_memory_desc_init_by_tag(desc, shape.length, shape, dnnl_f32, dnnl_format_tag_any),
        "dnnl_memory_desc_init_by_tag (any)");
    return desc;
  }

  /** A copy of the layout a primitive chose for one argument. */
  private static dnnl_memory_desc_t query(dnnl_primitive_desc pd, int what) {
    dnnl_memory_desc_t md = new dnnl_memory_desc_t();
    Pointer.memcpy(md, dnnl_primitive_desc_query_md(pd, what, 0), md.sizeof());
    return md;
  }

  private static boolean same(dnnl_memory_desc_t a, dnnl_memory_desc_t b) {
    return dnnl_memory_desc_equal(a, b) != 0;
  }

  private static dnnl_primitive reorder(dnnl_memory_desc_t from, dnnl_memory_desc_t to) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    OneDnn.check(dnnl_reorder_primitive_desc_create(pd, from, OneDnn.ENGINE, to, OneDnn.ENGINE, null),
        "dnnl_reorder_primitive_desc_create");
    return OneDnn.primitive(pd, "reorder");
  }

  /** Per-thread float32 buffers for blocked layouts, each grown to the largest request and kept. */
  private static final class Scratch {
    private final List<INDArray> slots = new ArrayList<>();

    INDArray slot(int index, long bytes) {
      while (slots.size() <= index) {
        slots.add(null);
      }
      INDArray buffer = slots.get(index);
      long floats = (bytes + Float.BYTES - 1) / Float.BYTES;
      if (buffer == null || buffer.length() < floats) {
        if (buffer != null) {
          buffer.close();
        }
        try (MemoryWorkspace ws = Nd4j.getMemoryManager().scopeOutOfWorkspaces()) {
          buffer = Nd4j.createUninitialized(DataType.FLOAT, floats);
        }
        slots.set(index, buffer);
      }
      return buffer;
    }
  }
}

package org.fundus4j.networks.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects ONNX nodes, initializers and graph inputs/outputs and encodes them as a {@code ModelProto}.
 *
 * <p>Field numbers follow {@code onnx.proto} of the ONNX specification (ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto, ValueInfoProto, TypeProto, TensorShapeProto,
 * OperatorSetIdProto, StringStringEntryProto). Only the default {@code ai.onnx} domain is used.
 */
final class OnnxGraphBuilder {
  // ModelProto
  private static final int MODEL_IR_VERSION = 1;
  private static final int MODEL_PRODUCER_NAME = 2;
  private static final int MODEL_PRODUCER_VERSION = 3;
  private static final int MODEL_DOMAIN = 4;
  private static final int MODEL_VERSION = 5;
  private static final int MODEL_DOC_STRING = 6;
  private static final int MODEL_GRAPH = 7;
  private static final int MODEL_OPSET_IMPORT = 8;
  private static final int MODEL_METADATA_PROPS = 14;
  // OperatorSetIdProto
  private static final int OPSET_DOMAIN = 1;
  private static final int OPSET_VERSION = 2;
  // StringStringEntryProto
  private static final int ENTRY_KEY = 1;
  private static final int ENTRY_VALUE = 2;
  // GraphProto
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_NAME = 2;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_DOC_STRING = 10;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  // NodeProto
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  // AttributeProto
  private static final int ATTR_NAME = 1;
  private static final int ATTR_F = 2;
  private static final int ATTR_I = 3;
  private static final int ATTR_S = 4;
  private static final int ATTR_INTS = 8;
  private static final int ATTR_TYPE = 20;
  private static final int ATTR_TYPE_FLOAT = 1;
  private static final int ATTR_TYPE_INT = 2;
  private static final int ATTR_TYPE_STRING = 3;
  private static final int ATTR_TYPE_INTS = 7;
  // TensorProto
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;
  static final int DATA_TYPE_FLOAT = 1;
  static final int DATA_TYPE_UINT8 = 2;
  static final int DATA_TYPE_INT8 = 3;
  static final int DATA_TYPE_INT32 = 6;
  static final int DATA_TYPE_INT64 = 7;
  // ValueInfoProto / TypeProto / TypeProto.Tensor / TensorShapeProto / Dimension
  private static final int VALUE_INFO_NAME = 1;
  private static final int VALUE_INFO_TYPE = 2;
  private static final int TYPE_TENSOR_TYPE = 1;
  private static final int TENSOR_TYPE_ELEM_TYPE = 1;
  private static final int TENSOR_TYPE_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_VALUE = 1;
  private static final int DIM_PARAM = 2;

  /** One ONNX attribute of a node; build with the static factories. */
  record Attribute(String name, int type, long i, float f, String s, long[] ints) {
    static Attribute ofInt(String name, long value) {
      return new Attribute(name, ATTR_TYPE_INT, value, 0f, null, null);
    }

    static Attribute ofFloat(String name, float value) {
      return new Attribute(name, ATTR_TYPE_FLOAT, 0, value, null, null);
    }

    static Attribute ofString(String name, String value) {
      return new Attribute(name, ATTR_TYPE_STRING, 0, 0f, value, null);
    }

    static Attribute ofInts(String name, long... values) {
      return new Attribute(name, ATTR_TYPE_INTS, 0, 0f, null, values.clone());
    }

    static Attribute ofInts(String name, int... values) {
      long[] longs = new long[values.length];
      for (int k = 0; k < values.length; k++) {
        longs[k] = values[k];
      }
      return new Attribute(name, ATTR_TYPE_INTS, 0, 0f, null, longs);
    }

    ProtoWriter encode() {
      ProtoWriter w = new ProtoWriter().string(ATTR_NAME, name);
      switch (type) {
        case ATTR_TYPE_FLOAT -> w.fixed32Float(ATTR_F, f);
        case ATTR_TYPE_INT -> w.varint(ATTR_I, i);
        case ATTR_TYPE_STRING -> w.string(ATTR_S, s);
        case ATTR_TYPE_INTS -> {
          for (long v : ints) {
            w.varint(ATTR_INTS, v);
          }
        }
        default -> throw new IllegalStateException("Unknown attribute type " + type);
      }
      return w.varint(ATTR_TYPE, type);
    }
  }

  /**
   * A graph input or output: name, element type and shape, where a dimension is a
   * {@code Long} (fixed size), a {@code String} (symbolic name) or {@code null} (unknown).
   */
  record ValueInfo(String name, List<Object> dims) {
    ValueInfo {
      dims = new ArrayList<>(dims); // may hold nulls, so no List.copyOf
    }

    ProtoWriter encode() {
      ProtoWriter shape = new ProtoWriter();
      for (Object d : dims) {
        ProtoWriter dim = new ProtoWriter();
        if (d instanceof Long v) {
          dim.varint(DIM_VALUE, v);
        } else if (d instanceof String p) {
          dim.string(DIM_PARAM, p);
        }
        shape.message(SHAPE_DIM, dim);
      }
      ProtoWriter tensorType = new ProtoWriter()
          .varint(TENSOR_TYPE_ELEM_TYPE, DATA_TYPE_FLOAT)
          .message(TENSOR_TYPE_SHAPE, shape);
      ProtoWriter type = new ProtoWriter().message(TYPE_TENSOR_TYPE, tensorType);
      return new ProtoWriter().string(VALUE_INFO_NAME, name).message(VALUE_INFO_TYPE, type);
    }
  }

  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private final List<ValueInfo> inputs = new ArrayList<>();
  private final List<ValueInfo> outputs = new ArrayList<>();
  private final Set<String> tensorNames = new HashSet<>();
  private final Map<String, Integer> opCounts = new LinkedHashMap<>();
  private long parameterCount;

  /** Adds a node; returns its (first) output name for chaining. */
  String node(String opType, String name, List<String> in, List<String> out, Attribute... attributes) {
    ProtoWriter n = new ProtoWriter();
    for (String s : in) {
      n.string(NODE_INPUT, s);
    }
    for (String s : out) {
      claim(s);
      n.string(NODE_OUTPUT, s);
    }
    n.string(NODE_NAME, name).string(NODE_OP_TYPE, opType);
    for (Attribute a : attributes) {
      n.message(NODE_ATTRIBUTE, a.encode());
    }
    nodes.add(n);
    opCounts.merge(opType, 1, Integer::sum);
    return out.get(0);
  }

  /** Adds a float32 initializer with the given shape; returns its name. */
  String floatInitializer(String name, long[] dims, float[] values) {
    long expected = 1;
    for (long d : dims) {
      expected *= d;
    }
    if (expected != values.length) {
      throw new IllegalStateException("Initializer " + name + ": shape product " + expected
          + " != " + values.length + " values");
    }
    ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(values);
    addInitializer(name, dims, DATA_TYPE_FLOAT, raw.array());
    parameterCount += values.length;
    return name;
  }

  /** Adds an int64 initializer (shapes, pads, axes); returns its name. */
  String int64Initializer(String name, long... values) {
    ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asLongBuffer().put(values);
    addInitializer(name, new long[] {values.length}, DATA_TYPE_INT64, raw.array());
    return name;
  }

  /**
   * Adds an 8-bit initializer ({@link #DATA_TYPE_INT8} or {@link #DATA_TYPE_UINT8}; each byte is one
   * element, two's complement for int8) with the given shape ({@code []} for a scalar); returns its name.
   */
  String byteInitializer(String name, long[] dims, int dataType, byte[] values) {
    if (dataType != DATA_TYPE_INT8 && dataType != DATA_TYPE_UINT8) {
      throw new IllegalArgumentException("Not an 8-bit ONNX data type: " + dataType);
    }
    checkCount(name, dims, values.length);
    addInitializer(name, dims, dataType, values.clone());
    parameterCount += values.length;
    return name;
  }

  /** Adds an int32 initializer (quantised biases) with the given shape; returns its name. */
  String int32Initializer(String name, long[] dims, int[] values) {
    checkCount(name, dims, values.length);
    ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asIntBuffer().put(values);
    addInitializer(name, dims, DATA_TYPE_INT32, raw.array());
    parameterCount += values.length;
    return name;
  }

  private static void checkCount(String name, long[] dims, int count) {
    long expected = 1;
    for (long d : dims) {
      expected *= d;
    }
    if (expected != count) {
      throw new IllegalStateException("Initializer " + name + ": shape product " + expected
          + " != " + count + " values");
    }
  }

  void input(ValueInfo info) {
    claim(info.name());
    inputs.add(info);
  }

  void output(ValueInfo info) {
    outputs.add(info);
  }

  boolean hasTensor(String name) {
    return tensorNames.contains(name);
  }

  /** Op type to number of nodes, in order of first use. */
  Map<String, Integer> opCounts() {
    return Map.copyOf(opCounts);
  }

  long parameterCount() {
    return parameterCount;
  }

  /**
   * Writes the complete {@code ModelProto} to {@code out}; the graph, which holds the weights, is
   * streamed after its length prefix instead of being copied into the model message.
   */
  void writeModel(OutputStream out, int irVersion, int opset, String graphName, String docString,
      String producerVersion, Map<String, String> metadata) throws IOException {
    ProtoWriter graph = new ProtoWriter();
    for (ProtoWriter n : nodes) {
      graph.message(GRAPH_NODE, n);
    }
    graph.string(GRAPH_NAME, graphName);
    for (ProtoWriter t : initializers) {
      graph.message(GRAPH_INITIALIZER, t);
    }
    if (!docString.isEmpty()) {
      graph.string(GRAPH_DOC_STRING, docString);
    }
    for (ValueInfo v : inputs) {
      graph.message(GRAPH_INPUT, v.encode());
    }
    for (ValueInfo v : outputs) {
      graph.message(GRAPH_OUTPUT, v.encode());
    }
    ProtoWriter model = new ProtoWriter()
        .varint(MODEL_IR_VERSION, irVersion)
        .string(MODEL_PRODUCER_NAME, "fundus4j")
        .string(MODEL_PRODUCER_VERSION, producerVersion)
        .string(MODEL_DOMAIN, "org.fundus4j")
        .varint(MODEL_VERSION, 1);
    if (!docString.isEmpty()) {
      model.string(MODEL_DOC_STRING, docString);
    }
    model.message(MODEL_OPSET_IMPORT,
        new ProtoWriter().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, opset));
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      model.message(MODEL_METADATA_PROPS,
          new ProtoWriter().string(ENTRY_KEY, e.getKey()).string(ENTRY_VALUE, e.getValue()));
    }
    model.lengthPrefix(MODEL_GRAPH, graph.size());
    model.writeTo(out);
    graph.writeTo(out);
  }

  private void addInitializer(String name, long[] dims, int dataType, byte[] raw) {
    claim(name);
    ProtoWriter t = new ProtoWriter();
    for (long d : dims) {
      t.varint(TENSOR_DIMS, d);
    }
    t.varint(TENSOR_DATA_TYPE, dataType).string(TENSOR_NAME, name).bytes(TENSOR_RAW_DATA, raw);
    initializers.add(t);
  }

  private void claim(String tensorName) {
    if (!tensorNames.add(tensorName)) {
      throw new IllegalStateException("ONNX tensor name used twice: '" + tensorName + "'");
    }
  }
}

package org.fundus4j.networks;

import static org.bytedeco.dnnl.global.dnnl.dnnl_a;
import static org.bytedeco.dnnl.global.dnnl.dnnl_ab;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcd;
import static org.bytedeco.dnnl.global.dnnl.dnnl_abcde;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_init_by_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_destroy;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_success;

import java.util.Arrays;
import org.bytedeco.dnnl.const_dnnl_op_desc_t;
import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What this module's oneDNN primitives share: the CPU engine, plain float32 memory descriptors over ND4J arrays,
 * and running a primitive on ND4J arrays (issue #19).
 *
 * <p>oneDNN comes from JavaCPP's {@code org.bytedeco:dnnl} preset (oneDNN 2.5.2); ND4J's oneDNN build links its
 * copy statically and exports none of it. {@link OneDnnBatchNormHelper} and {@link OneDnnReluLayer} use it.
 */
final class OneDnn {

  static final dnnl_engine ENGINE = new dnnl_engine();

  static {
    check(dnnl_engine_create(ENGINE, dnnl_cpu, 0), "dnnl_engine_create");
  }

  private OneDnn() {}

  /** Loads the native library; throws if it cannot. */
  static void load() {
    org.bytedeco.javacpp.Loader.load(org.bytedeco.dnnl.global.dnnl.class);
  }

  /** A new in-order stream on {@link #ENGINE}; one per user, since layers are not thread-safe. */
  static dnnl_stream newStream() {
    dnnl_stream stream = new dnnl_stream();
    check(dnnl_stream_create(stream, ENGINE, dnnl_stream_default_flags), "dnnl_stream_create");
    return stream;
  }

  /** A float32 descriptor of a dense row-major ({@code 'c'}) array of this shape, rank 1 to 5. */
  static dnnl_memory_desc_t plain(long[] shape) {
    int[] tags = {dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde};
    if (shape.length < 1 || shape.length > tags.length) {
      throw new IllegalArgumentException("oneDNN descriptors here take rank 1-5, not " + Arrays.toString(shape));
    }
    dnnl_memory_desc_t desc = new dnnl_memory_desc_t();
    check(dnnl_memory_desc_init_by_tag(desc, shape.length, shape, dnnl_f32, tags[shape.length - 1]),
        "dnnl_memory_desc_init_by_tag " + Arrays.toString(shape));
    return desc;
  }

  /** A primitive descriptor for an operation descriptor ({@code dnnl_*_desc_t}); {@code hint} is the forward one. */
  static dnnl_primitive_desc primitiveDesc(Pointer opDesc, dnnl_primitive_desc hint, String what) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_primitive_desc_create(pd, new const_dnnl_op_desc_t(opDesc), null, ENGINE, hint),
        "dnnl_primitive_desc_create (" + what + ")");
    return pd;
  }

  /** The primitive of a primitive descriptor. */
  static dnnl_primitive primitive(dnnl_primitive_desc pd, String what) {
    dnnl_primitive primitive = new dnnl_primitive();
    check(dnnl_primitive_create(primitive, pd), "dnnl_primitive_create (" + what + ")");
    return primitive;
  }

  /** Whether {@code a} is float32 with its elements side by side in row-major order. */
  static boolean denseFloat(INDArray a) {
    return a.dataType() == DataType.FLOAT && contiguous(a);
  }

  /**
   * Whether {@code a}'s elements lie side by side in row-major order. Strides of dimensions of size 1 do not count:
   * ND4J gives a {@code [256, 64, 1, 1]} weight view strides {@code [64, 1, 1, 1]}, which its own
   * {@code Shape.hasDefaultStridesForShape} rejects.
   */
  static boolean contiguous(INDArray a) {
    long[] shape = a.shape();
    long[] stride = a.stride();
    long expected = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && stride[i] != expected) {
        return false;
      }
      expected *= shape[i];
    }
    return true;
  }

  /** {@code a} itself when {@link #contiguous}, otherwise a row-major copy. */
  static INDArray dense(INDArray a) {
    return contiguous(a) ? a : a.dup('c');
  }

  /** Runs a primitive on {arg, memory descriptor, array} triples and waits for it. */
  static void execute(dnnl_stream stream, dnnl_primitive primitive, Object... args) {
    int n = args.length / 3;
    dnnl_memory[] memories = new dnnl_memory[n];
    try (dnnl_exec_arg_t exec = new dnnl_exec_arg_t(n)) {
      for (int i = 0; i < n; i++) {
        INDArray array = (INDArray) args[3 * i + 2];
        memories[i] = new dnnl_memory();
        check(dnnl_memory_create(memories[i], (dnnl_memory_desc_t) args[3 * i + 1], ENGINE, address(array)),
            "dnnl_memory_create");
        exec.position(i).arg((Integer) args[3 * i]).memory(memories[i]);
      }
      exec.position(0);
      check(dnnl_primitive_execute(primitive, stream, n, exec), "dnnl_primitive_execute");
      check(dnnl_stream_wait(stream), "dnnl_stream_wait");
    } finally {
      for (dnnl_memory m : memories) {
        if (m != null && !m.isNull()) {
          dnnl_memory_destroy(m);
        }
      }
    }
  }

  /** The first element of {@code a} as a native pointer. */
  static Pointer address(INDArray a) {
    long address = a.data().address() + a.offset() * a.data().getElementSize();
    return new Address(address);
  }

  private static final class Address extends Pointer {
    Address(long address) {
      this.address = address;
    }
  }

  static void check(int status, String call) {
    if (status != dnnl_success) {
      throw new IllegalStateException("oneDNN " + call + " failed with status " + status);
    }
  }
}

package org.fundus4j.networks.torch;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A tensor as {@code torch._utils._rebuild_tensor_v2} describes it: a view (offset, size, stride) of a storage. */
final class TensorRef {
  final Storage storage;
  final long offset;
  final long[] size;
  final long[] stride;

  TensorRef(Storage storage, long offset, long[] size, long[] stride) {
    if (size.length > 64) {
      throw new IllegalArgumentException("Tensor on storage '" + storage.key + "' has " + size.length
          + " dimensions; PyTorch allows at most 64");
    }
    if (size.length != stride.length) {
      throw new IllegalArgumentException("Tensor on storage '" + storage.key + "' has size "
          + Arrays.toString(size) + " but stride " + Arrays.toString(stride));
    }
    if (offset < 0 || Arrays.stream(size).anyMatch(v -> v < 0) || Arrays.stream(stride).anyMatch(v -> v < 0)) {
      throw new IllegalArgumentException("Tensor on storage '" + storage.key + "' has a negative offset, size or "
          + "stride");
    }
    this.storage = storage;
    this.offset = offset;
    this.size = size.clone();
    this.stride = stride.clone();
    long maxIndex = offset;
    for (int d = 0; d < size.length; d++) {
      if (size[d] == 0) {
        maxIndex = -1;
        break;
      }
      maxIndex = Math.addExact(maxIndex, Math.multiplyExact(size[d] - 1, stride[d]));
    }
    if (maxIndex >= storage.numel) {
      throw new IllegalArgumentException("Tensor view (offset " + offset + ", size " + Arrays.toString(size)
          + ", stride " + Arrays.toString(stride) + ") reaches element " + maxIndex + " of storage '"
          + storage.key + "' which has only " + storage.numel + " elements");
    }
    try {
      numel();
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("Tensor on storage '" + storage.key + "' has size " + Arrays.toString(size)
          + ": more than 2^63 elements");
    }
  }

  long numel() {
    long n = 1;
    for (long s : size) {
      n = Math.multiplyExact(n, s);
    }
    return n;
  }

  /**
   * Copies the view into a new C-order array: float32/float16/bfloat16 become FLOAT, float64 DOUBLE,
   * int64 LONG, the smaller integer types and bool INT.
   */
  INDArray materialize() {
    long count = numel();
    if (count > Integer.MAX_VALUE / 8) {
      throw new IllegalArgumentException("Tensor on storage '" + storage.key + "' has " + count
          + " elements, more than the " + Integer.MAX_VALUE / 8 + " this loader materialises");
    }
    int n = (int) count;
    ByteBuffer buf = storage.data();
    long[] index = new long[n];
    fillIndices(index);
    INDArray out;
    switch (storage.dtype) {
      case FLOAT32 -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = buf.getFloat(Math.toIntExact(index[i] * 4));
        }
        out = Nd4j.create(v, size, 'c');
      }
      case FLOAT16, BFLOAT16 -> {
        float[] v = new float[n];
        boolean half = storage.dtype == TorchDType.FLOAT16;
        for (int i = 0; i < n; i++) {
          short bits = buf.getShort(Math.toIntExact(index[i] * 2));
          v[i] = half ? halfToFloat(bits) : Float.intBitsToFloat((bits & 0xffff) << 16);
        }
        out = Nd4j.create(v, size, 'c');
      }
      case FLOAT64 -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = buf.getDouble(Math.toIntExact(index[i] * 8));
        }
        out = Nd4j.create(v, size, 'c');
      }
      case INT64 -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = buf.getLong(Math.toIntExact(index[i] * 8));
        }
        out = Nd4j.createFromArray(v).reshape('c', size);
      }
      default -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          int at = Math.toIntExact(index[i] * storage.dtype.bytes);
          v[i] = switch (storage.dtype) {
            case INT32 -> buf.getInt(at);
            case INT16 -> buf.getShort(at);
            case INT8 -> buf.get(at);
            case UINT8, BOOL -> buf.get(at) & 0xff;
            default -> throw new IllegalStateException("unhandled dtype " + storage.dtype);
          };
        }
        out = Nd4j.createFromArray(v).reshape('c', size);
      }
    }
    return size.length == 0 ? out.reshape(new long[0]) : out;
  }

  DataType nd4jType() {
    return switch (storage.dtype) {
      case FLOAT32, FLOAT16, BFLOAT16 -> DataType.FLOAT;
      case FLOAT64 -> DataType.DOUBLE;
      case INT64 -> DataType.LONG;
      default -> DataType.INT;
    };
  }

  /** IEEE 754 binary16 to float (Float.float16ToFloat needs Java 20). */
  static float halfToFloat(short bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >>> 10) & 0x1f;
    int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float value = mantissa * 0x1p-24f;
      return sign == 0 ? value : -value;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  /** Storage element index of each tensor element, in C order. */
  private void fillIndices(long[] index) {
    int rank = size.length;
    long[] counter = new long[rank];
    long position = offset;
    for (int i = 0; i < index.length; i++) {
      index[i] = position;
      for (int d = rank - 1; d >= 0; d--) {
        counter[d]++;
        position += stride[d];
        if (counter[d] < size[d]) {
          break;
        }
        position -= counter[d] * stride[d];
        counter[d] = 0;
      }
    }
  }
}

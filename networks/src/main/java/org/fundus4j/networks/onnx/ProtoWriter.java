package org.fundus4j.networks.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Minimal Protocol Buffers wire-format writer for one message.
 *
 * <p>Implements only what ONNX needs from the encoding described in the Protocol Buffers
 * "Encoding" guide: wire type 0 (varint) for {@code int32/int64/enum}, wire type 2
 * (length-delimited) for {@code string/bytes}/nested messages, and wire type 5 (fixed32) for
 * {@code float}. Repeated scalars are written unpacked, the proto2 default that {@code onnx.proto}
 * uses. Nested messages are written by building the child first and copying its bytes, so every
 * length prefix is exact.
 *
 * <pre>{@code
 * ProtoWriter dim = new ProtoWriter().string(2, "batch");   // Dimension.dim_param
 * ProtoWriter shape = new ProtoWriter().message(1, dim);    // TensorShapeProto.dim
 * }</pre>
 */
final class ProtoWriter {
  private static final int WIRE_VARINT = 0;
  private static final int WIRE_LENGTH_DELIMITED = 2;
  private static final int WIRE_FIXED32 = 5;

  private byte[] buffer = new byte[64];
  private int size;

  /** Writes a varint field ({@code int32}, {@code int64}, {@code enum}); negatives take 10 bytes. */
  ProtoWriter varint(int field, long value) {
    tag(field, WIRE_VARINT);
    rawVarint(value);
    return this;
  }

  /** Writes a {@code float} field as little-endian fixed32. */
  ProtoWriter fixed32Float(int field, float value) {
    tag(field, WIRE_FIXED32);
    int bits = Float.floatToIntBits(value);
    ensure(4);
    for (int i = 0; i < 4; i++) {
      buffer[size++] = (byte) (bits >>> (8 * i));
    }
    return this;
  }

  /** Writes a UTF-8 {@code string} field. */
  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes a {@code bytes} field. */
  ProtoWriter bytes(int field, byte[] value) {
    tag(field, WIRE_LENGTH_DELIMITED);
    rawVarint(value.length);
    ensure(value.length);
    System.arraycopy(value, 0, buffer, size, value.length);
    size += value.length;
    return this;
  }

  /** Writes an embedded message field. */
  ProtoWriter message(int field, ProtoWriter child) {
    tag(field, WIRE_LENGTH_DELIMITED);
    rawVarint(child.size);
    ensure(child.size);
    System.arraycopy(child.buffer, 0, buffer, size, child.size);
    size += child.size;
    return this;
  }

  /**
   * Writes only the tag and length of an embedded message whose {@code length} bytes the caller
   * writes right after this message (used to stream a large child without copying it).
   */
  ProtoWriter lengthPrefix(int field, int length) {
    tag(field, WIRE_LENGTH_DELIMITED);
    rawVarint(length);
    return this;
  }

  /** Number of bytes written so far. */
  int size() {
    return size;
  }

  /** Returns a copy of the encoded message. */
  byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }

  /** Writes the encoded message to {@code out} without copying it. */
  void writeTo(OutputStream out) throws IOException {
    out.write(buffer, 0, size);
  }

  private void tag(int field, int wireType) {
    if (field < 1 || field > (1 << 29) - 1) {
      throw new IllegalArgumentException("Protobuf field number must be 1..2^29-1, got " + field);
    }
    rawVarint(((long) field << 3) | wireType);
  }

  private void rawVarint(long value) {
    ensure(10);
    long v = value;
    while ((v & ~0x7FL) != 0) {
      buffer[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buffer[size++] = (byte) v;
  }

  private void ensure(int extra) {
    long needed = (long) size + extra;
    if (needed > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException(
          "Protobuf message exceeds 2 GB (" + needed + " bytes); ONNX external data is not supported");
    }
    if (needed > buffer.length) {
      long grown = Math.max(needed, Math.min((long) buffer.length * 2, Integer.MAX_VALUE - 8));
      buffer = Arrays.copyOf(buffer, (int) grown);
    }
  }
}

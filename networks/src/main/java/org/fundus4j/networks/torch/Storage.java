package org.fundus4j.networks.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** One PyTorch storage: a flat little-endian byte buffer of {@code numel} elements of one dtype. */
final class Storage {
  final String key;
  final TorchDType dtype;
  final long numel;
  private ByteBuffer data;

  Storage(String key, TorchDType dtype, long numel) {
    this.key = key;
    this.dtype = dtype;
    this.numel = numel;
  }

  void setData(byte[] bytes) {
    long expected = numel * dtype.bytes;
    if (bytes.length < expected) {
      throw new IllegalStateException("Storage '" + key + "' holds " + bytes.length + " bytes, expected "
          + expected + " (" + numel + " x " + dtype.pythonName + "); the file is truncated");
    }
    this.data = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  boolean hasData() {
    return data != null;
  }

  ByteBuffer data() {
    if (data == null) {
      throw new IllegalStateException("Storage '" + key + "' was referenced but its data was never found");
    }
    return data;
  }
}

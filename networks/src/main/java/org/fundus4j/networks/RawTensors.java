package org.fundus4j.networks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Raw little-endian float32 tensors in C order, the format of numpy's {@code arr.astype('<f4').tofile(f)}.
 *
 * <pre>{@code
 * INDArray x = RawTensors.readFloat32(Path.of("x.bin"), 1, 3, 224, 224);
 * }</pre>
 */
public final class RawTensors {
  private RawTensors() {}

  /**
   * Reads a tensor of the given shape.
   *
   * @throws IllegalArgumentException if the file size is not 4 bytes times the element count of {@code shape}
   */
  public static INDArray readFloat32(Path file, long... shape) throws IOException {
    long count = 1;
    for (long s : shape) {
      if (s <= 0) {
        throw new IllegalArgumentException("Shape " + Arrays.toString(shape) + " for " + file + " has a non-positive size");
      }
      count = Math.multiplyExact(count, s);
    }
    long size = Files.size(file);
    if (size != count * 4) {
      throw new IllegalArgumentException(file + " has " + size + " bytes; shape " + Arrays.toString(shape)
          + " needs " + count * 4 + " (float32, little-endian)");
    }
    float[] values = new float[Math.toIntExact(count)];
    ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return Nd4j.create(values, shape, 'c');
  }

  /** Writes the tensor's values in C order as little-endian float32. */
  public static void writeFloat32(Path file, INDArray tensor) throws IOException {
    float[] values = tensor.castTo(DataType.FLOAT).dup('c').data().asFloat();
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    Files.write(file, buf.array());
  }
}

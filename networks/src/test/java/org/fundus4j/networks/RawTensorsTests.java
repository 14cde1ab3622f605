package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RawTensorsTests {
  @TempDir
  Path tmp;

  @Test
  void readsLittleEndianFloat32InCOrder() throws Exception {
    Path f = tmp.resolve("x.bin");
    // 1.0f = 00 00 80 3F, -2.0f = 00 00 00 C0 (little-endian)
    Files.write(f, new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, (byte) 0xC0});
    INDArray x = RawTensors.readFloat32(f, 1, 2);
    assertEquals(1.0f, x.getFloat(0, 0));
    assertEquals(-2.0f, x.getFloat(0, 1));
    Path g = tmp.resolve("y.bin");
    RawTensors.writeFloat32(g, Nd4j.createFromArray(new float[][] {{1f, -2f}}));
    assertEquals(-1, Files.mismatch(f, g));
  }

  @Test
  void wrongSizeNamesFileAndBothSizes() throws Exception {
    Path f = tmp.resolve("x.bin");
    Files.write(f, new byte[12]);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RawTensors.readFloat32(f, 1, 2));
    assertEquals(f + " has 12 bytes; shape [1, 2] needs 8 (float32, little-endian)", e.getMessage());
  }
}

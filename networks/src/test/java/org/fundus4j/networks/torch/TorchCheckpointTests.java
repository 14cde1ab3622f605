package org.fundus4j.networks.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.networks.TorchFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TorchCheckpointTests {
  @TempDir
  Path tmp;

  @Test
  void zipStateDictHasTorchvisionKeysShapesAndCounts() throws Exception {
    StateDict sd = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_zip.pth"));
    assertEquals("zip, state_dict", sd.format());
    assertEquals(320, sd.keys().size()); // resnet50 state_dict: 320 keys
    assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean"), sd.keys().subList(0, 4));
    assertArrayEquals(new long[] {64, 3, 7, 7}, sd.shape("conv1.weight"));
    assertArrayEquals(new long[] {3, 2048}, sd.shape("fc.weight"));
    assertEquals("float32", sd.dtype("conv1.weight"));
    // num_batches_tracked: 0-d int64, 3 calibration batches in the fixture script
    assertEquals("int64", sd.dtype("bn1.num_batches_tracked"));
    assertArrayEquals(new long[0], sd.shape("bn1.num_batches_tracked"));
    INDArray tracked = sd.get("bn1.num_batches_tracked");
    assertEquals(DataType.LONG, tracked.dataType());
    assertEquals(0, tracked.rank());
    assertEquals(3L, tracked.getLong(0));
    // 23,508,032 backbone parameters + fc 3 x 2048 + 3 + 53 x (2 x C) running stats + 53 counters
    assertEquals(23_508_032L + 6_147 + 2 * 26_560 + 53, sd.elementCount());
  }

  @Test
  void legacyDataParallelAndCheckpointDictGiveTheSameTensors() throws Exception {
    StateDict zip = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_zip.pth"));
    StateDict legacy = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_legacy.pth"));
    StateDict parallel = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_dataparallel.pth"));
    StateDict checkpoint = TorchCheckpoint.read(TorchFixtures.file("resnet50_linear_checkpoint.pth"));
    assertEquals("legacy, state_dict", legacy.format());
    assertEquals("zip, state_dict, 'module.' prefix removed", parallel.format());
    assertEquals("legacy, checkpoint['state_dict'], state_dict", checkpoint.format());
    for (StateDict other : List.of(legacy, parallel, checkpoint)) {
      assertEquals(zip.keys(), other.keys(), other.format());
      for (String key : List.of("conv1.weight", "layer3.5.bn2.running_var", "fc.weight", "fc.bias",
          "layer4.2.bn3.num_batches_tracked")) {
        assertEquals(zip.get(key), other.get(key), key + " in " + other.format());
      }
    }
  }

  @Test
  void wholePickledDataParallelModuleYieldsItsStateDict() throws Exception {
    StateDict sd = TorchCheckpoint.read(TorchFixtures.file("resnet50_paper_module.pth"));
    assertEquals("zip, pickled module torch.nn.parallel.data_parallel.DataParallel, 'module.' prefix removed",
        sd.format());
    assertEquals(327, sd.keys().size()); // 318 backbone + fc.0 (2) + fc.1 (5) + fc.3 (2)
    assertEquals("fc.3.bias", sd.keys().get(sd.keys().size() - 1));
    assertArrayEquals(new long[] {512, 2048}, sd.shape("fc.0.weight"));
    assertArrayEquals(new long[] {512}, sd.shape("fc.1.running_mean"));
  }

  @Test
  void viewsWithOffsetsAndStridesAndOtherDtypes() throws Exception {
    for (String name : List.of("strided_zip.pth", "strided_legacy.pth")) {
      StateDict sd = TorchCheckpoint.read(TorchFixtures.file(name));
      // base = torch.arange(12.).view(3, 4)
      assertEquals(Nd4j.createFromArray(new float[][] {{0, 4, 8}, {1, 5, 9}, {2, 6, 10}, {3, 7, 11}}),
          sd.get("transposed"), name);
      assertEquals(Nd4j.createFromArray(new float[][] {{6, 7}, {10, 11}}), sd.get("slice"), name);
      assertEquals(Nd4j.createFromArray(1f, 3f, 5f, 7f, 9f, 11f), sd.get("every_other"), name);
      long t = 1_000_000_000_000L;
      assertEquals(Nd4j.createFromArray(new long[][] {{0, t, 2 * t}, {3 * t, 4 * t, 5 * t}}), sd.get("long"), name);
      assertEquals(42L, sd.get("scalar").getLong(0));
      assertEquals("float64", sd.dtype("double"));
      assertEquals(Nd4j.createFromArray(0.25, -1.5), sd.get("double"), name);
    }
  }

  @Test
  void tamperedPickleNamingOsSystemIsRefusedAndNothingRuns() throws Exception {
    Path tampered = TorchFixtures.file("tampered.pth");
    Path marker = TorchFixtures.file("PWNED");
    UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> TorchCheckpoint.read(tampered));
    assertEquals("os.system", e.global());
    assertTrue(e.getMessage().startsWith("Refusing to load " + tampered + ": its pickle names the Python global "
        + "'os.system'"), e.getMessage());
    assertTrue(e.getMessage().endsWith("Nothing was executed."), e.getMessage());
    assertFalse(Files.exists(marker), "the pickled os.system call must not have run");
  }

  @Test
  void fileThatIsNoCheckpointIsRejectedNamingIt() throws Exception {
    Path text = tmp.resolve("notes.pth");
    Files.writeString(text, "hello, not a pickle\n");
    IOException e = assertThrows(IOException.class, () -> TorchCheckpoint.read(text));
    assertTrue(e.getMessage().startsWith(text + " is neither a zip nor a legacy PyTorch checkpoint"), e.getMessage());
  }

  @Test
  void unknownKeyNamesFormat() throws Exception {
    StateDict sd = TorchCheckpoint.read(TorchFixtures.file("strided_zip.pth"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sd.get("fc.weight"));
    assertEquals("No tensor 'fc.weight' in state dict (6 keys, format zip, state_dict)", e.getMessage());
  }
}

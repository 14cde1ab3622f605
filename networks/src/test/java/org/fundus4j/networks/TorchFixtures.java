package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Test fixtures written by real PyTorch: runs {@code src/test/fixtures/make_torch_fixtures.py} with
 * Debian's {@code /usr/bin/python3} once per build into {@code target/torch-fixtures}.
 */
public final class TorchFixtures {
  private static final Path DIR = Path.of("target", "torch-fixtures");
  private static final Path SCRIPT = Path.of("src", "test", "fixtures", "make_torch_fixtures.py");
  private static boolean ready;

  private TorchFixtures() {}

  /** The fixture directory, generating it first if needed (10-30 s, about 680 MB). */
  public static synchronized Path dir() throws IOException, InterruptedException {
    Path done = DIR.resolve("DONE");
    // regenerate when the script changed since the fixtures were written
    String stamp = Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(SCRIPT))) + "\n";
    if (!ready && !(Files.exists(done) && Files.readString(done).equals(stamp))) {
      Files.createDirectories(DIR);
      Process p = new ProcessBuilder("/usr/bin/python3", SCRIPT.toString(), DIR.toString())
          .redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException("make_torch_fixtures.py timed out");
      }
      assertEquals(0, p.exitValue(), "make_torch_fixtures.py failed (needs python3-torch, python3-torchvision "
          + "from scripts/bootstrap.sh):\n" + output);
      Files.writeString(done, stamp);
    }
    ready = true;
    return DIR;
  }

  /** A fixture file. */
  public static Path file(String name) throws IOException, InterruptedException {
    return dir().resolve(name);
  }

  /** A raw float32 fixture tensor. */
  public static INDArray raw(String name, long... shape) throws IOException, InterruptedException {
    return RawTensors.readFloat32(file(name), shape);
  }
}

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
      try (java.util.stream.Stream<Path> old = Files.list(DIR)) { // batches written by an earlier script
        for (Path f : old.filter(f -> f.getFileName().toString().startsWith("train_loss_64_f64_c")).toList()) {
          Files.delete(f);
        }
      }
      run();
      Files.writeString(done, stamp);
    }
    ready = true;
    return DIR;
  }

  /**
   * Candidate training batch {@code k}'s float64 step (gradient folder and loss file), writing it with
   * {@code make_torch_fixtures.py OUT --train-candidate k} if this build has not yet (batch 0 is always there).
   */
  public static synchronized Path trainingCandidate(int k) throws IOException, InterruptedException {
    Path loss = dir().resolve("train_loss_64_f64_c" + k + ".txt");
    if (!Files.exists(loss)) {
      run("--train-candidate", Integer.toString(k));
    }
    return loss;
  }

  private static void run(String... more) throws IOException, InterruptedException {
    java.util.List<String> command = new java.util.ArrayList<>(
        java.util.List.of("/usr/bin/python3", SCRIPT.toString(), DIR.toString()));
    command.addAll(java.util.List.of(more));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("make_torch_fixtures.py timed out");
    }
    assertEquals(0, p.exitValue(), "make_torch_fixtures.py failed (needs python3-torch, python3-torchvision "
        + "from scripts/bootstrap.sh):\n" + output);
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

package org.fundus4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.apache.spark.SparkEnv;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * A training hook that holds a worker before a minibatch while the test arranges a fault: the deterministic
 * trigger of the cluster fault tests, so that no test waits a guessed time before killing something.
 *
 * <p>Runs on the executors ({@link SparkConfigs#TRAINING_HOOKS}); its folder comes from the Spark property
 * {@value #DIR_KEY}. A gate is a file {@code gate-<name>} holding a path (or nothing). Before each minibatch,
 * for every gate this executor JVM has not passed yet whose path is empty or exists: the executor writes
 * {@code paused-<name>-<pid>} and waits until {@code release-<name>} exists (at most 5 minutes), then
 * counts the gate as passed.
 */
public final class PauseHook implements TrainingHook {

  static final String DIR_KEY = "spark.fundus4j.test.pauseDir";
  private static final Set<String> PASSED = ConcurrentHashMap.newKeySet();

  @Override
  public void preUpdate(DataSet minibatch, Model model) {
    pauseAtOpenGates();
  }

  @Override
  public void postUpdate(DataSet minibatch, Model model) {}

  @Override
  public void preUpdate(MultiDataSet minibatch, Model model) {
    pauseAtOpenGates();
  }

  @Override
  public void postUpdate(MultiDataSet minibatch, Model model) {}

  private static void pauseAtOpenGates() {
    Path dir = Path.of(SparkEnv.get().conf().get(DIR_KEY));
    try (DirectoryStream<Path> gates = Files.newDirectoryStream(dir, "gate-*")) {
      for (Path gate : gates) {
        String name = gate.getFileName().toString().substring("gate-".length());
        String condition = Files.readString(gate).trim();
        if (PASSED.contains(name) || !(condition.isEmpty() || Files.exists(Path.of(condition)))) {
          continue;
        }
        Files.writeString(dir.resolve("paused-" + name + "-" + ProcessHandle.current().pid()), "paused\n");
        long deadline = System.nanoTime() + 300_000_000_000L;
        while (!Files.exists(dir.resolve("release-" + name)) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        PASSED.add(name);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Writes a jar holding this class only, for {@code spark-submit --jars}. */
  static Path jar(Path file) throws IOException {
    String entry = PauseHook.class.getName().replace('.', '/') + ".class";
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(file));
        var bytes = PauseHook.class.getClassLoader().getResourceAsStream(entry)) {
      jar.putNextEntry(new JarEntry(entry));
      bytes.transferTo(jar);
    }
    return file;
  }
}

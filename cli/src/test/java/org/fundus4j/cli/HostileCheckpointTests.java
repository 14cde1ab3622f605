package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code fundus weights info} on checkpoints built to starve a pickle loader (written at test time by
 * {@code src/test/fixtures/make_hostile_checkpoints.py} with python3-torch): each one is refused in a child
 * JVM at {@code -Xmx1g} with exit status 1 and one line on stderr naming the file and the cause.
 */
class HostileCheckpointTests {
  private static final Path DIR = Path.of("target", "hostile-checkpoints");

  @BeforeAll
  static void writeHostileFiles() throws Exception {
    Files.createDirectories(DIR);
    Process p = new ProcessBuilder("/usr/bin/python3", "src/test/fixtures/make_hostile_checkpoints.py", DIR.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "make_hostile_checkpoints.py did not finish");
    assertEquals(0, p.exitValue(), "make_hostile_checkpoints.py failed (needs python3-torch):\n" + out);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "laughs.pth       | unhashable value (a list of 2) used as a dict key",
      "deep-module.pth  | its modules nest deeper than 1000",
      "dag-module.pth   | number more than 1000000 visits",
      "zip-bomb.pth     | declares 2202009600 bytes but its pickle says 4 float32 elements (16 bytes)",
      "huge-storage.pth | declares 16 bytes but its pickle says 500000000 float32 elements",
      "legacy-1e12.pth  | declares 1000000000000 float32 elements (4000000000000 bytes), more than the 2147483639",
      "long-string.pth  | declares a value of 4294967295 bytes (limit 16777216)",
  })
  void weightsInfoRefusesInOneLineAtOneGigabyteOfHeap(String name, String cause) throws Exception {
    Path file = DIR.resolve(name);
    Path err = DIR.resolve(name + ".stderr");
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-cp", System.getProperty("java.class.path"), FundusCli.class.getName(), "weights", "info", file.toString());
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(err.toFile()).start();
    // a watchdog, not a timing assertion: a hang must fail the test instead of the build
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError(name + ": fundus weights info still running after 2 minutes");
    }
    System.out.printf("%s refused in %.1f s%n", name, (System.nanoTime() - start) / 1e9);
    List<String> lines = Files.readAllLines(err).stream().filter(l -> !l.startsWith("SLF4J")).toList();
    assertEquals(1, p.exitValue(), String.join("\n", lines));
    assertEquals(1, lines.size(), "one line on stderr:\n" + String.join("\n", lines));
    assertTrue(lines.get(0).contains(file.toString()), lines.get(0));
    assertTrue(lines.get(0).contains(cause), lines.get(0));
  }
}

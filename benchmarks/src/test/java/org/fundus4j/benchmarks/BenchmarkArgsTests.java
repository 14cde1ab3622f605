package org.fundus4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reproducing command that benchmarks write beside their numbers. */
class BenchmarkArgsTests {

  @Test
  void commandNamesThisJvmsHeapAndPropertiesAndQuotesArgumentsTheShellWouldSplit() {
    List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(o -> o.startsWith("-Xmx") || o.startsWith("-D")).toList();
    String options = String.join(" ", jvm);
    assertEquals(options, BenchmarkArgs.javaOptions());
    String expected = ("java " + options + " -cp \"benchmarks/target/classes:$(cat benchmarks/target/"
        + "runtime-classpath.txt)\" org.example.Bench --size 512 --out '/tmp/a b' --engines dl4j,pytorch")
        .replaceAll(" +", " ");
    assertEquals(expected, BenchmarkArgs.command("org.example.Bench",
        List.of("--size", "512", "--out", "/tmp/a b", "--engines", "dl4j,pytorch")));
  }
}

package org.fundus4j.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark harness on a tiny case; no timing is asserted, only that both sides ran and were recorded. */
class ResNet50BenchmarkTests {
  @TempDir
  Path out;

  @Test
  void tinyRunRecordsBothSides() throws Exception {
    ResNet50Benchmark.Config config = new ResNet50Benchmark.Config(
        List.of(ResNet50Benchmark.Case.parse("train:64:2")), 0, 1, 1, ResNet50Benchmark.defaultScript(), out);
    List<ResNet50Benchmark.Result> results = ResNet50Benchmark.run(config);
    assertEquals(1, results.size());
    assertTrue(results.get(0).dl4jSeconds() > 0 && results.get(0).torchSeconds() > 0, results.toString());
    assertTrue(results.get(0).torchVersion().startsWith("1.") || results.get(0).torchVersion().startsWith("2."));
    List<String> csv = Files.readAllLines(out.resolve("resnet50-benchmark.csv"));
    assertEquals("mode,size,batch,dl4j_seconds,torch_seconds,ratio", csv.get(0));
    assertTrue(csv.get(1).startsWith("train,64,2,"), csv.get(1));
    assertTrue(Files.readString(out.resolve("resnet50-benchmark.md")).contains("| train 64 px batch 2 |"));
  }

  @Test
  void parsesCasesAndPyTorchOutput() {
    assertEquals(new ResNet50Benchmark.Case(ResNet50Benchmark.Mode.INFER, 512, 2),
        ResNet50Benchmark.Case.parse("infer:512:2"));
    assertThrows(IllegalArgumentException.class, () -> ResNet50Benchmark.Case.parse("infer:500:2"));
    assertEquals(List.of(0.5, 0.25, 2.0),
        ResNet50Benchmark.parseSeconds("{\"mode\": \"train\", \"seconds\": [0.5, 0.25, 2.0], \"torch\": \"1.13\"}"));
    assertEquals(0.5, ResNet50Benchmark.median(List.of(0.5, 0.25, 2.0)));
    assertEquals(1.25, ResNet50Benchmark.median(List.of(0.5, 2.0)));
  }
}

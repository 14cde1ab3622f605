package org.fundus4j.pipelines.splits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.fundus4j.pipelines.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFractionsTests {

  /** 700 negatives and 300 positives. */
  static List<Sample> samples() {
    List<Sample> out = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      out.add(new Sample(Path.of("/data/img" + i + ".png"), "P" + i / 2, new int[] {i % 10 < 3 ? 1 : 0}, null));
    }
    return out;
  }

  @Test
  void fractionsAreNestedStratifiedAndSizedByRounding() {
    Map<Double, List<Sample>> m = DataFractions.nested(samples(), DataFractions.PAPER, 3);
    assertEquals(List.of(0.01, 0.05, 0.10, 0.25, 0.50, 1.0), new ArrayList<>(m.keySet()));
    // round(f * 700) negatives + round(f * 300) positives
    int[][] expected = {{7, 3}, {35, 15}, {70, 30}, {175, 75}, {350, 150}, {700, 300}};
    List<Sample> previous = List.of();
    int i = 0;
    for (Map.Entry<Double, List<Sample>> e : m.entrySet()) {
      int pos = (int) e.getValue().stream().filter(s -> s.label(0) == 1).count();
      assertEquals(expected[i][0], e.getValue().size() - pos, "negatives at " + e.getKey());
      assertEquals(expected[i][1], pos, "positives at " + e.getKey());
      assertTrue(new HashSet<>(e.getValue()).containsAll(previous), e.getKey() + " must contain the smaller fraction");
      previous = e.getValue();
      i++;
    }
  }

  @Test
  void smallestFractionKeepsEveryClass() {
    List<Sample> s = new ArrayList<>(samples().subList(0, 50)); // 15 positives, 35 negatives
    List<Sample> one = DataFractions.nested(s, new double[] {0.01}, 1).get(0.01);
    assertEquals(2, one.size());
    assertEquals(1, one.stream().filter(x -> x.label(0) == 1).count());
  }

  @Test
  void sameSeedGivesTheSameSplitFileAndItReadsBack(@TempDir Path dir) throws Exception {
    Path a = dir.resolve("a.csv");
    Path b = dir.resolve("b.csv");
    SplitFiles.writeFractions(DataFractions.nested(samples(), DataFractions.PAPER, 5), a);
    SplitFiles.writeFractions(DataFractions.nested(samples(), DataFractions.PAPER, 5), b);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    Map<Double, List<Sample>> read = SplitFiles.readFractions(a);
    Map<Double, List<Sample>> original = DataFractions.nested(samples(), DataFractions.PAPER, 5);
    assertEquals(original.keySet(), read.keySet());
    for (double f : original.keySet()) {
      assertEquals(new HashSet<>(original.get(f)), new HashSet<>(read.get(f)), "fraction " + f);
    }
  }
}

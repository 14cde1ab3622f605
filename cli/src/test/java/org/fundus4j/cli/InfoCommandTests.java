package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.fundus4j.networks.RuntimeReport;
import org.junit.jupiter.api.Test;

/** {@code fundus info} prints {@link RuntimeReport}'s lines and nothing else. */
class InfoCommandTests {

  @Test
  void infoPrintsTheRuntimeReportLineByLine() {
    CliRun r = CliRun.of("info");
    assertEquals(0, r.exit(), r.err());
    List<String> expected = RuntimeReport.collect().lines();
    List<String> printed = r.out().lines().toList();
    assertEquals(expected.size(), printed.size(), r.out());
    assertEquals(expected.get(0), printed.get(0));
    assertTrue(printed.stream().anyMatch(l -> l.startsWith("ONNX Runtime  providers")), r.out());
    assertTrue(printed.stream().anyMatch(l -> l.startsWith("ND4J build    oneDNN")), r.out());
  }
}

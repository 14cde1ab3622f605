package org.fundus4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.transfer.SmallCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCheckpointTests {

  private static final Map<String, String> OPTIONS = Map.of("--size", "32", "--seed", "5");

  @Test
  void writeThenReadGivesTheSameWeightsUpdaterAndLossesAndKeepsOneWeightsFile(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("model");
    Path checkpoint = RunCheckpoint.dirFor(out);
    assertEquals(dir.resolve("model.checkpoint"), checkpoint);
    assertTrue(RunCheckpoint.read(checkpoint, OPTIONS).isEmpty());
    ComputationGraph graph = SmallCnn.build(5, 32, 2);
    RunCheckpoint.write(checkpoint, graph, List.of(0.7), OPTIONS);
    RunCheckpoint.write(checkpoint, graph, List.of(0.7, 0.5), OPTIONS);

    RunCheckpoint.Saved saved = RunCheckpoint.read(checkpoint, OPTIONS).orElseThrow();
    assertEquals(List.of(0.7, 0.5), saved.losses());
    assertEquals(graph.params(), saved.graph().params());
    assertEquals(graph.getUpdater().getStateViewArray(), saved.graph().getUpdater().getStateViewArray());
    try (var files = Files.list(checkpoint)) {
      assertEquals(List.of("epoch-2.zip", "state.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void resumingWithADifferentOptionNamesIt(@TempDir Path dir) throws Exception {
    Path checkpoint = dir.resolve("m.checkpoint");
    RunCheckpoint.write(checkpoint, SmallCnn.build(5, 32, 2), List.of(0.7), OPTIONS);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunCheckpoint.read(checkpoint, Map.of("--size", "64")));
    assertEquals("Cannot resume from " + checkpoint + ": it was written with --size 32, this run has 64; use the same"
        + " option, or another --output", e.getMessage());
  }

  @Test
  void publishReplacesTheOldFolderInOneRename(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("model");
    Files.createDirectories(out);
    Files.writeString(out.resolve("old.txt"), "old");
    Path partial = RunCheckpoint.partialFor(out);
    assertEquals(dir.resolve(".model.partial"), partial);
    Files.createDirectories(partial);
    Files.writeString(partial.resolve("new.txt"), "new");

    RunCheckpoint.publish(partial, out);

    assertEquals("new", Files.readString(out.resolve("new.txt")));
    assertTrue(Files.notExists(out.resolve("old.txt")));
    assertTrue(Files.notExists(partial));
    try (var files = Files.list(dir)) {
      assertEquals(List.of("model"), files.map(p -> p.getFileName().toString()).toList());
    }
  }
}

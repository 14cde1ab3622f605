package org.fundus4j.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestsTests {

  @Test
  void writeThenReadGivesTheSameSamplesWithRelativePaths(@TempDir Path dir) throws Exception {
    List<Sample> samples = List.of(
        new Sample(dir.resolve("img/a, b.png"), "P1", new int[] {1, 0}, dir.resolve("masks/a.png")),
        new Sample(dir.resolve("img/c.png"), "P2", new int[] {0, 1}, null));
    Path csv = dir.resolve("manifest.csv");
    Manifests.writeCsv(samples, List.of("AMD", "RVO"), csv);
    assertEquals("image,AMD,RVO,mask,patient_id\n\"img/a, b.png\",1,0,masks/a.png,P1\nimg/c.png,0,1,,P2\n",
        Files.readString(csv));
    assertEquals(samples, Manifests.readCsv(csv));
  }
}

package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fundus4j.pipelines.sources.DataRequest;
import org.fundus4j.pipelines.sources.LabelMap;
import org.fundus4j.pipelines.sources.Layout;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The data options become the {@link DataRequest} that {@code TaskData.read} reads (its tests: datavec-pipelines). */
class TrainingDataOptionsTests {

  @Command(name = "test")
  static final class Holder {
    @Mixin
    TrainingData data;
  }

  private static DataRequest request(String... args) {
    Holder h = new Holder();
    new CommandLine(h).parseArgs(args);
    return h.data.request();
  }

  @Test
  void labelMapOptionTakesPaperOrTheTextForm() {
    DataRequest paper = request("--data", "RFMiD_Testing_Labels.csv", "--layout", "rfmid", "--label-map", "paper");
    assertEquals(LabelMap.paperSeven(Layout.RFMID), paper.labelMap());
    assertEquals("AMD=ARMD,Glaucoma=ODC,DR=DR,Pathologic myopia=MYA,ERM=ERM,RVO=BRVO|CRVO",
        paper.describe().get("labelMap"));

    DataRequest own = request("--data", "1000images", "--layout", "JSIEC", "--label-map", "RVO=2.0.BRVO|2.1.CRVO");
    assertEquals(Layout.JSIEC, own.layout());
    assertEquals(Map.of("RVO", List.of("2.0.BRVO", "2.1.CRVO")), own.labelMap().targets());
    assertEquals(Path.of("1000images"), own.path());
    assertNull(request("--data", "labels.csv").labelMap());
  }

  @Test
  void optionsOfAnotherLayoutAreRefusedByName() {
    assertEquals("--columns is for layout rfmid only, got layout jsiec; use --label-map to select or merge labels",
        assertThrows(IllegalArgumentException.class,
            () -> request("--data", "x", "--layout", "jsiec", "--columns", "DR")).getMessage());
    assertEquals("--layout must be dicom, csv, rfmid, jsiec, images or fives, got 'kaggle'",
        assertThrows(IllegalArgumentException.class, () -> request("--data", "x", "--layout", "kaggle")).getMessage());
  }
}

package org.fundus4j.pipelines.sources;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.junit.jupiter.api.Test;

/** How {@link TaskData#forKind} turns each source's labels into a task's labels (1 = abnormal). */
class TaskDataTests {

  private static LabelledSet set(LabelKind kind, List<String> classes, int[]... labels) {
    List<Sample> samples = new java.util.ArrayList<>();
    for (int i = 0; i < labels.length; i++) {
      samples.add(new Sample(Path.of("img" + i + ".png"), "P" + i, labels[i], null));
    }
    return new LabelledSet("test", samples, classes, kind);
  }

  private static int[] binaryLabels(LabelledSet set) {
    return set.samples().stream().mapToInt(s -> s.label(0)).toArray();
  }

  @Test
  void binaryFromMultiLabelIsAbnormalWhenAnyLabelIsSet() {
    LabelledSet multi = set(LabelKind.MULTI_LABEL, List.of("AMD", "DR"), new int[] {0, 0}, new int[] {0, 1},
        new int[] {1, 1});

    LabelledSet binary = TaskData.forKind(multi, LabelKind.BINARY);

    assertEquals(LabelKind.BINARY, binary.kind());
    assertArrayEquals(new int[] {0, 1, 1}, binaryLabels(binary));
  }

  @Test
  void binaryFromJsiecClassesTakesTheNormalClassAsNormal() {
    LabelledSet jsiec = set(LabelKind.MULTI_CLASS, List.of("0.0.Normal", "1.1.DR2", "10.0.Possible glaucoma"),
        new int[] {0}, new int[] {1}, new int[] {2});

    assertArrayEquals(new int[] {0, 1, 1}, binaryLabels(TaskData.forKind(jsiec, LabelKind.BINARY)));
  }

  @Test
  void twoClassFoldersSortedAbnormalFirstAreSwapped() {
    LabelledSet folders = set(LabelKind.BINARY, List.of("abnormal", "normal"), new int[] {0}, new int[] {1});

    assertArrayEquals(new int[] {1, 0}, binaryLabels(TaskData.forKind(folders, LabelKind.BINARY)));
    LabelledSet dicom = set(LabelKind.BINARY, List.of("normal", "abnormal"), new int[] {0}, new int[] {1});
    assertArrayEquals(new int[] {0, 1}, binaryLabels(TaskData.forKind(dicom, LabelKind.BINARY)));
  }

  @Test
  void aTaskTheLabelsCannotServeIsRefusedWithTheReason() {
    LabelledSet binary = set(LabelKind.BINARY, List.of("normal", "abnormal"), new int[] {0});

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TaskData.forKind(binary, LabelKind.SEGMENTATION));

    assertTrue(e.getMessage().startsWith("--task segmentation cannot train on test (binary labels); give vessel masks"),
        e.getMessage());
  }
}

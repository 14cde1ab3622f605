package org.fundus4j.pipelines.sources;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFMiD, JSIEC and FIVES read as their public downloads unpack (layouts built at test time by
 * {@link PublicLayouts}; sources in {@code datavec-pipelines/docs/public-layouts.md}): every image exactly
 * once, with the right label or mask, patients unique across splits.
 */
class PublicLayoutReadersTests {

  private static final List<List<String>> TRAINING = List.of(List.of(), List.of("DR", "ARMD"), List.of("CRVO"));
  private static final List<List<String>> VALIDATION = List.of(List.of("BRVO"), List.of());
  private static final List<List<String>> TEST = List.of(List.of("MYA", "ERM"), List.of("ODC"));

  private static LabelledSet rfmid(Path csv, LabelKind kind) {
    return TaskData.read(DataRequest.of(Layout.RFMID, csv), kind);
  }

  private static void assertEveryImageOnce(LabelledSet set, int expected) {
    assertEquals(expected, set.samples().size());
    assertEquals(expected, set.samples().stream().map(Sample::image).distinct().count(), "an image listed twice");
    assertEquals(expected, set.samples().stream().map(Sample::patientId).distinct().count(), "patients collide");
  }

  /** Checks one split's samples: image {@code <i+1>.png} in {@code dir}, the disease columns of row i. */
  private static void assertSplit(LabelledSet set, Path dir, List<List<String>> rows, String split) {
    assertEveryImageOnce(set, rows.size());
    assertEquals(PublicLayouts.RFMID_HEADER.subList(2, PublicLayouts.RFMID_HEADER.size()), set.classNames());
    for (int i = 0; i < rows.size(); i++) {
      Sample s = set.samples().get(i);
      assertEquals(dir.resolve((i + 1) + ".png").toAbsolutePath().normalize(), s.image());
      assertEquals("RFMiD-" + split + "-" + (i + 1), s.patientId());
      for (int c = 0; c < set.numClasses(); c++) {
        assertEquals(rows.get(i).contains(set.classNames().get(c)) ? 1 : 0, s.label(c),
            split + " row " + (i + 1) + " column " + set.classNames().get(c));
      }
    }
  }

  /**
   * The Kaggle mirror: {@code Training_Set/{RFMiD_Training_Labels.csv, Training/}}, {@code <evaluation>/{
   * RFMiD_Validation_Labels.csv, Validation/}}, {@code Test_Set/{RFMiD_Testing_Labels.csv, Test/}}; returns the
   * three CSVs.
   */
  private static List<Path> kaggle(Path root, String evaluation) throws Exception {
    return List.of(
        PublicLayouts.rfmidSplit(root.resolve("Training_Set/RFMiD_Training_Labels.csv"),
            root.resolve("Training_Set/Training"), TRAINING),
        PublicLayouts.rfmidSplit(root.resolve(evaluation).resolve("RFMiD_Validation_Labels.csv"),
            root.resolve(evaluation).resolve("Validation"), VALIDATION),
        PublicLayouts.rfmidSplit(root.resolve("Test_Set/RFMiD_Testing_Labels.csv"), root.resolve("Test_Set/Test"), TEST));
  }

  /** Writes the Kaggle layout and reads each split's CSV alone, multi-label, with {@code map} (nullable). */
  private static List<LabelledSet> readSplits(Path root, String evaluation, LabelMap map) throws Exception {
    List<LabelledSet> out = new ArrayList<>();
    for (Path csv : kaggle(root, evaluation)) {
      out.add(TaskData.read(new DataRequest(Layout.RFMID, csv, null, null, map), LabelKind.MULTI_LABEL));
    }
    return out;
  }

  @Test
  void rfmidKaggleLayoutReadsAllThreeSplitsFromTheirCsvsAlone(@TempDir Path root) throws Exception {
    // Kaggle mirror, unzipped one level deeper for the validation split
    List<LabelledSet> splits = readSplits(root, "Evaluation_Set/Evaluation_Set", null);
    Path train = root.resolve("Training_Set/RFMiD_Training_Labels.csv");
    LabelledSet t = splits.get(0);
    LabelledSet v = splits.get(1);
    LabelledSet s = splits.get(2);

    assertSplit(t, root.resolve("Training_Set/Training"), TRAINING, "Training");
    assertSplit(v, root.resolve("Evaluation_Set/Evaluation_Set/Validation"), VALIDATION, "Validation");
    assertSplit(s, root.resolve("Test_Set/Test"), TEST, "Test");
    Set<String> patients = new HashSet<>();
    for (LabelledSet set : List.of(t, v, s)) {
      set.samples().forEach(x -> patients.add(x.patientId()));
    }
    assertEquals(7, patients.size(), "IDs restart at 1 in each split; patient ids must not collide");
    // binary: Disease_Risk
    assertEquals(List.of(0, 1, 1), rfmid(train, LabelKind.BINARY).samples().stream().map(x -> x.label(0)).toList());
  }

  @Test
  void rfmidWithTheThreeCsvsInOneFolderFindsEachSplitsOwnFolder(@TempDir Path root) throws Exception {
    // Training/, Validation/ and Test/ all hold 1.png and 2.png: only the folder's name tells them apart
    PublicLayouts.rfmidSplit(root.resolve("RFMiD_Training_Labels.csv"), root.resolve("Training"), TRAINING);
    Path val = PublicLayouts.rfmidSplit(root.resolve("RFMiD_Validation_Labels.csv"), root.resolve("Validation"),
        VALIDATION);
    Path test = PublicLayouts.rfmidSplit(root.resolve("RFMiD_Testing_Labels.csv"), root.resolve("Test"), TEST);

    assertSplit(rfmid(val, LabelKind.MULTI_LABEL), root.resolve("Validation"), VALIDATION, "Validation");
    assertSplit(rfmid(test, LabelKind.MULTI_LABEL), root.resolve("Test"), TEST, "Test");
  }

  @Test
  void rfmidIeeeDataPortLayoutFindsTheImagesInOriginalImages(@TempDir Path root) throws Exception {
    Path top = root.resolve("A. RFMiD_All_Classes_Dataset");
    Path csv = PublicLayouts.rfmidSplit(top.resolve("2. Groundtruths/a. RFMiD_Training_Labels.csv"),
        top.resolve("1. Original Images/a. Training Set"), TRAINING);
    Path testCsv = PublicLayouts.rfmidSplit(top.resolve("2. Groundtruths/c. RFMiD_Testing_Labels.csv"),
        top.resolve("1. Original Images/c. Testing Set"), TEST);

    assertSplit(rfmid(csv, LabelKind.MULTI_LABEL), top.resolve("1. Original Images/a. Training Set"), TRAINING,
        "Training");
    assertSplit(rfmid(testCsv, LabelKind.MULTI_LABEL), top.resolve("1. Original Images/c. Testing Set"), TEST,
        "Test");
  }

  @Test
  void rfmidCsvWhoseNameSaysNoSplitIsAmbiguousAndTheErrorSaysWhatToPass(@TempDir Path root) throws Exception {
    Path csv = PublicLayouts.rfmidSplit(root.resolve("labels.csv"), root.resolve("Training"), VALIDATION);
    PublicLayouts.rfmidSplit(root.resolve("other.csv"), root.resolve("Test"), TEST);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rfmid(csv, LabelKind.MULTI_LABEL));

    assertTrue(e.getMessage().contains("2 folders hold all 2 images"), e.getMessage());
    assertTrue(e.getMessage().contains(root.resolve("Training").toString()), e.getMessage());
    assertTrue(e.getMessage().contains(root.resolve("Test").toString()), e.getMessage());
    assertTrue(e.getMessage().endsWith("give the image folder (--images)"), e.getMessage());
    // given the folder, it reads; the split word comes from the CSV's name
    LabelledSet set = TaskData.read(new DataRequest(Layout.RFMID, csv, root.resolve("Test"), null, null),
        LabelKind.MULTI_LABEL);
    assertEquals(root.resolve("Test/1.png").toAbsolutePath().normalize(), set.samples().get(0).image());
    assertEquals("RFMiD-labels-1", set.samples().get(0).patientId());
  }

  @Test
  void rfmidSplitFolderMissingImagesSaysHowManyItHolds(@TempDir Path root) throws Exception {
    Path csv = PublicLayouts.rfmidSplit(root.resolve("Test_Set/RFMiD_Testing_Labels.csv"), root.resolve("Test_Set/Test"),
        TEST);
    Files.delete(root.resolve("Test_Set/Test/2.png"));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rfmid(csv, LabelKind.MULTI_LABEL));

    assertTrue(e.getMessage().startsWith(csv.toAbsolutePath().normalize() + ": no folder named for split Test"),
        e.getMessage());
    assertTrue(e.getMessage().contains(root.resolve("Test_Set/Test") + " holds 1 of 2"), e.getMessage());
  }

  @Test
  void rfmidFolderInsteadOfCsvListsTheCsvsFound(@TempDir Path root) throws Exception {
    PublicLayouts.rfmidSplit(root.resolve("Test_Set/RFMiD_Testing_Labels.csv"), root.resolve("Test_Set/Test"), TEST);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> rfmid(root, LabelKind.MULTI_LABEL));

    assertEquals("--data " + root + " is a folder; layout rfmid wants one split's labels CSV (e.g. "
        + "Training_Set/RFMiD_Training_Labels.csv); found [Test_Set/RFMiD_Testing_Labels.csv]", e.getMessage());
  }

  @Test
  void rfmidPaperLabelMapMergesBrvoAndCrvoAndOmitsGlaucomaSuspect(@TempDir Path root) throws Exception {
    List<LabelledSet> splits = readSplits(root, "Evaluation_Set", LabelMap.paperSeven(Layout.RFMID));
    LabelledSet t = splits.get(0);
    LabelledSet v = splits.get(1);
    LabelledSet s = splits.get(2);

    assertEquals(List.of("AMD", "Glaucoma", "DR", "Pathologic myopia", "ERM", "RVO"), t.classNames());
    assertEquals(List.of("Glaucoma_suspect"), LabelMap.paperOmissions(Layout.RFMID));
    // rows by hand: [], [DR, ARMD], [CRVO] | [BRVO], [] | [MYA, ERM], [ODC]
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0}, t.samples().get(0).labels());
    assertArrayEquals(new int[] {1, 0, 1, 0, 0, 0}, t.samples().get(1).labels());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1}, t.samples().get(2).labels());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1}, v.samples().get(0).labels());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0}, v.samples().get(1).labels());
    assertArrayEquals(new int[] {0, 0, 0, 1, 1, 0}, s.samples().get(0).labels());
    assertArrayEquals(new int[] {0, 1, 0, 0, 0, 0}, s.samples().get(1).labels());
  }

  private static final List<String> JSIEC = List.of("0.0.Normal", "1.0.DR2", "10.0.Possible glaucoma", "2.0.BRVO",
      "2.1.CRVO", "9.Pathological myopia");

  @Test
  void jsiecTopFolderWithItsNestedCopyListsEveryImageOnceWithItsClass(@TempDir Path root) throws Exception {
    Path top = root.resolve("1000images");
    PublicLayouts.jsiecClasses(top, JSIEC, 2);
    PublicLayouts.copyTree(top, top.resolve("1000images"));
    assertEquals(JSIEC.size() + 1, ImageFolder.subfolders(top).size(), "the copy sits beside the classes");

    LabelledSet set = TaskData.read(DataRequest.of(Layout.JSIEC, top), LabelKind.MULTI_CLASS);

    assertEquals(JSIEC, set.classNames(), "the copy is no 40th class");
    assertEveryImageOnce(set, 12);
    for (Sample s : set.samples()) {
      String cls = JSIEC.get(s.label(0));
      assertEquals(top.resolve(cls).toAbsolutePath().normalize(), s.image().getParent());
      assertTrue(s.image().getFileName().toString().startsWith(cls.replace(' ', '_') + "-"), s.toString());
    }
    List<Integer> binary = TaskData.read(DataRequest.of(Layout.JSIEC, top), LabelKind.BINARY).samples().stream()
        .map(s -> s.label(0)).toList();
    assertEquals(List.of(0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), binary, "normal 0, every other class abnormal");
  }

  @Test
  void jsiecPointedAtTheWrapperFolderReadsTheSame(@TempDir Path root) throws Exception {
    Path inner = root.resolve("1000images/1000images");
    PublicLayouts.jsiecClasses(inner, JSIEC, 1);
    PublicLayouts.copyTree(inner, inner.resolve("1000images"));

    LabelledSet set = Jsiec.read(root.resolve("1000images"));

    assertEquals(JSIEC, set.classNames());
    assertEveryImageOnce(set, 6);
  }

  @Test
  void jsiecCopyThatDiffersIsAnErrorNamingTheFile(@TempDir Path root) throws Exception {
    PublicLayouts.jsiecClasses(root, JSIEC, 1);
    PublicLayouts.copyTree(root, root.resolve("copy"));
    Path changed = root.resolve("copy/2.0.BRVO/2.0.BRVO-0.jpg");
    PublicLayouts.image(changed);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jsiec.read(root));

    assertEquals("JSIEC: " + root.resolve("copy") + " repeats class folders of " + root + " but "
        + Path.of("copy/2.0.BRVO/2.0.BRVO-0.jpg") + " differs from " + Path.of("2.0.BRVO/2.0.BRVO-0.jpg")
        + "; point at the one folder that holds every class once", e.getMessage());
  }

  @Test
  void jsiecPartialCopyIsAnErrorNamingTheMissingClasses(@TempDir Path root) throws Exception {
    PublicLayouts.jsiecClasses(root, JSIEC, 1);
    PublicLayouts.jsiecClasses(root.resolve("1000images"), List.of("0.0.Normal", "1.0.DR2"), 1);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Jsiec.read(root));

    assertTrue(e.getMessage().contains("but not the same set (only in the top folder: [10.0.Possible glaucoma, "
        + "2.0.BRVO, 2.1.CRVO, 9.Pathological myopia]; only in the copy: [])"), e.getMessage());
  }

  @Test
  void jsiecPaperLabelMap(@TempDir Path root) throws Exception {
    List<String> classes = List.of("0.0.Normal", "0.3.DR1", "1.0.DR2", "1.1.DR3", "10.0.Possible glaucoma", "2.0.BRVO",
        "2.1.CRVO", "6.Maculopathy", "7.ERM", "9.Pathological myopia");
    PublicLayouts.jsiecClasses(root, classes, 1);

    LabelledSet set = TaskData.read(new DataRequest(Layout.JSIEC, root, null, null, LabelMap.paperSeven(Layout.JSIEC)),
        LabelKind.MULTI_LABEL);

    assertEquals(List.of("Glaucoma_suspect", "DR", "Pathologic myopia", "ERM", "RVO"), set.classNames());
    assertEquals(List.of("AMD", "Glaucoma"), LabelMap.paperOmissions(Layout.JSIEC));
    // by hand: normal and maculopathy (no paper label) all zeros; DR1-3 -> DR; BRVO, CRVO -> RVO
    List<int[]> expected = List.of(new int[] {0, 0, 0, 0, 0}, new int[] {0, 1, 0, 0, 0}, new int[] {0, 1, 0, 0, 0},
        new int[] {0, 1, 0, 0, 0}, new int[] {1, 0, 0, 0, 0}, new int[] {0, 0, 0, 0, 1}, new int[] {0, 0, 0, 0, 1},
        new int[] {0, 0, 0, 0, 0}, new int[] {0, 0, 0, 1, 0}, new int[] {0, 0, 1, 0, 0});
    for (int i = 0; i < classes.size(); i++) {
      assertArrayEquals(expected.get(i), set.samples().get(i).labels(), classes.get(i));
    }
  }

  @Test
  void fivesTopFolderListsTrainAndTestImagesOnceEachWithItsMask(@TempDir Path root) throws Exception {
    Path top = root.resolve("FIVES A Fundus Image Dataset");
    PublicLayouts.fivesSplit(top.resolve("train"), List.of("1_A.png", "2_D.png", "3_G.png", "4_N.png"));
    PublicLayouts.fivesSplit(top.resolve("test"), List.of("1_A.png", "2_N.png"));
    Files.writeString(top.resolve("train/Original/Thumbs.db"), "not an image");

    LabelledSet all = TaskData.read(DataRequest.of(Layout.FIVES, top), LabelKind.SEGMENTATION);
    LabelledSet wrapped = Fives.read(root);
    LabelledSet test = Fives.read(top.resolve("test"));

    assertEveryImageOnce(all, 6);
    assertEquals(all, wrapped);
    for (Sample s : all.samples()) {
      Path split = s.image().getParent().getParent();
      assertEquals(split.resolve("Ground truth").resolve(s.image().getFileName().toString()), s.mask());
      assertEquals("ADGN".indexOf(s.image().getFileName().toString().charAt(2)), s.label(0));
      assertEquals("FIVES-" + split.getFileName() + "-" + s.image().getFileName().toString().replace(".png", ""),
          s.patientId());
    }
    assertEquals(List.of("FIVES-test-1_A", "FIVES-test-2_N"), test.samples().stream().map(Sample::patientId).toList());
  }

  @Test
  void fivesMaskWithoutImageIsAnError(@TempDir Path root) throws Exception {
    PublicLayouts.fivesSplit(root, List.of("1_A.png"));
    PublicLayouts.image(root.resolve("Ground truth/2_D.png"));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Fives.read(root));

    assertEquals("FIVES: vessel mask " + root.resolve("Ground truth/2_D.png") + " has no image in "
        + root.resolve("Original"), e.getMessage());
  }

  @Test
  void labelMapTextRoundTripsAndUnknownSourcesAreNamed() {
    LabelMap m = LabelMap.parse(" RVO = BRVO|CRVO , AMD=ARMD", Layout.RFMID);
    assertEquals(Map.of("RVO", List.of("BRVO", "CRVO"), "AMD", List.of("ARMD")), m.targets());
    assertEquals(List.of("RVO", "AMD"), m.targetNames());
    assertEquals("RVO=BRVO|CRVO,AMD=ARMD", m.text());
    assertEquals(m, LabelMap.parse(m.text(), Layout.RFMID));
    assertEquals(LabelMap.paperSeven(Layout.JSIEC), LabelMap.parse("paper", Layout.JSIEC));

    List<Sample> samples = new ArrayList<>();
    samples.add(new Sample(Path.of("1.png"), "P1", new int[] {1, 0}, null));
    LabelledSet set = new LabelledSet("RFMiD", samples, List.of("BRVO", "DR"), LabelKind.MULTI_LABEL);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.apply(set));
    assertEquals("label map: target 'RVO' names column 'CRVO', which RFMiD does not have; its columns are "
        + "[BRVO, DR]", e.getMessage());
    assertEquals("--label-map: expected TARGET=SOURCE|SOURCE,... or 'paper', got 'RVO' in 'RVO'",
        assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("RVO", Layout.RFMID)).getMessage());
    assertEquals("label map: target 'RVO' has an empty source name",
        assertThrows(IllegalArgumentException.class, () -> LabelMap.parse("RVO=BRVO|", Layout.RFMID)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> LabelMap.paperSeven(Layout.FIVES));
  }

  @Test
  void dataRequestDescribesWhatDefinesTheDataAndRefusesOptionsOfOtherLayouts(@TempDir Path dir) {
    DataRequest r = new DataRequest(Layout.RFMID, dir.resolve("a/../RFMiD_Testing_Labels.csv"), null, null,
        LabelMap.parse("RVO=BRVO|CRVO", Layout.RFMID));
    assertEquals(List.of("layout", "data", "labelMap"), List.copyOf(r.describe().keySet()));
    assertEquals("rfmid", r.describe().get("layout"));
    assertEquals(dir.resolve("RFMiD_Testing_Labels.csv").toAbsolutePath().toString(), r.describe().get("data"));
    assertEquals("RVO=BRVO|CRVO", r.describe().get("labelMap"));
    assertEquals("--images is for layout rfmid only, got layout jsiec", assertThrows(IllegalArgumentException.class,
        () -> new DataRequest(Layout.JSIEC, dir, dir, null, null)).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new DataRequest(Layout.RFMID, dir, null, List.of("DR"), LabelMap.paperSeven(Layout.RFMID)));
    assertEquals(Layout.FIVES, Layout.parse(" FIVES "));
    assertEquals("--layout must be dicom, csv, rfmid, jsiec, images or fives, got 'kaggle'",
        assertThrows(IllegalArgumentException.class, () -> Layout.parse("kaggle")).getMessage());
  }
}

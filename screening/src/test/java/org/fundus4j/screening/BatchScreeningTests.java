package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batch screening of real OP files (dcmtk's img2dcm at test time) with a binary model. */
class BatchScreeningTests {

  @TempDir
  static Path dir;
  static FundusStudyFixture.Study study;
  static SavedModel model;

  @BeforeAll
  static void makeStudyAndModel() throws Exception {
    study = FundusStudyFixture.make(dir.resolve("data"), 3, "F4J-SCREEN-1", "R", "20240102", 96);
    ModelCard card = new ModelCard("test screener", "0.0.1", "binary", List.of("normal", "abnormal"), "Scratch",
        "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of());
    model = new SavedModel(ResNet50.build(Head.linear(2), 1), card);
  }

  @Test
  void badFilesGetAnErrorRowAndTheRestGetAnSr() throws Exception {
    Path data = dir.resolve("data");
    List<Path> images = study.files();
    byte[] whole = Files.readAllBytes(images.get(0));
    Path bad = Files.createDirectories(dir.resolve("bad"));
    Path truncated = Files.write(bad.resolve("truncated.dcm"), Arrays.copyOf(whole, 700));
    Path empty = Files.write(bad.resolve("empty.dcm"), new byte[0]);
    Path text = Files.writeString(bad.resolve("notes.txt"), "not DICOM");
    List<Path> inputs = BatchScreening.expand(List.of(data, bad));

    List<ScreeningRow> rows;
    ModelOutputs outputs;
    try (BatchScreening screening = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.ONNX, 2, 2)) {
      rows = screening.run(inputs, dir.resolve("out"), done -> {});
      outputs = screening.outputs();
    }
    BatchScreening.writeCsv(rows, outputs, dir.resolve("out/summary.csv"));

    assertEquals(inputs.size(), rows.size(), "every input gets exactly one row");
    for (ScreeningRow row : rows) {
      if (images.contains(row.file())) {
        assertEquals(ScreeningRow.Status.SCREENED, row.status(), row.toString());
        assertTrue(row.probability() >= 0 && row.probability() <= 1);
        assertNull(row.result().findings().get(0).call(), "no operating point in the card, no call");
        assertTrue(Files.size(row.output()) > 0);
        assertEquals(DicomImages.readInfo(row.file()).sopInstanceUid(), row.sopInstanceUid());
      } else {
        assertEquals(ScreeningRow.Status.ERROR, row.status(), row.toString());
        assertTrue(row.reason().contains(row.file().getFileName().toString()),
            "reason names the file: " + row.reason());
        assertNull(row.output());
      }
    }
    assertTrue(rows.stream().map(ScreeningRow::file).toList().containsAll(List.of(truncated, empty, text)));
    List<String> csv = Files.readAllLines(dir.resolve("out/summary.csv"));
    assertEquals(rows.size() + 1, csv.size());
    assertEquals("file,sop_instance_uid,status,abnormal_probability,abnormal_call,output,reason", csv.get(0));
    try (Stream<Path> srs = Files.list(dir.resolve("out/sr"))) {
      assertEquals(3, srs.count(), "one SR per decodable image");
    }
    try (BatchScreening dl4j = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.DL4J, 1, 3)) {
      List<ScreeningRow> again = dl4j.run(inputs, dir.resolve("out-dl4j"), done -> {});
      for (int i = 0; i < rows.size(); i++) {
        if (rows.get(i).status() == ScreeningRow.Status.SCREENED) {
          assertEquals(rows.get(i).probability(), again.get(i).probability(), 1e-4,
              "ONNX Runtime and DL4J agree on " + rows.get(i).file());
        }
      }
    }
  }

  @Test
  void aSecondFileWithAScreenedUidIsADuplicateNamingBothAndOutputsNeverCollide() throws Exception {
    Path in = Files.createDirectories(dir.resolve("dups"));
    Path original = Files.copy(study.files().get(1), in.resolve("a-original.dcm"));
    // dcmdjpeg keeps the SOP Instance UID: the same image re-exported uncompressed
    Path reexported = in.resolve("b-reexported.dcm");
    FundusStudyFixture.run(List.of("dcmdjpeg", original.toString(), reexported.toString()));
    Path other = Files.copy(study.files().get(2), in.resolve("c-other.dcm"));
    assertEquals(DicomImages.readInfo(original).sopInstanceUid(), DicomImages.readInfo(reexported).sopInstanceUid());

    List<ScreeningRow> rows;
    try (BatchScreening screening = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.ONNX, 2, 2)) {
      rows = screening.run(List.of(original, reexported, other), dir.resolve("dups-out"), done -> {});
      // a second run into the same folder, the copy first this time: distinct names, nothing replaced
      List<ScreeningRow> swapped = screening.run(List.of(reexported, original), dir.resolve("dups-out"), done -> {});
      assertEquals(ScreeningRow.Status.SCREENED, swapped.get(0).status());
      assertEquals(ScreeningRow.Status.DUPLICATE, swapped.get(1).status());
      assertNotEquals(rows.get(0).output(), swapped.get(0).output(), "other bytes, other SR file name");
    }

    assertEquals(List.of(ScreeningRow.Status.SCREENED, ScreeningRow.Status.DUPLICATE, ScreeningRow.Status.SCREENED),
        rows.stream().map(ScreeningRow::status).toList());
    String reason = rows.get(1).reason();
    assertTrue(reason.contains(original.toString()) && reason.contains(reexported.toString()), reason);
    assertNull(rows.get(1).output());
    assertEquals(2, new HashSet<>(List.of(rows.get(0).output(), rows.get(2).output())).size());
    try (Stream<Path> srs = Files.list(dir.resolve("dups-out/sr"))) {
      assertEquals(3, srs.count(), "two SRs from the first run, one more for the re-exported copy");
    }
  }

  @Test
  void outputNamesJoinTheUidAndTheContentHash() {
    String hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"; // SHA-256("test")
    assertEquals("1.2.3-9f86d081884c", BatchScreening.outputName("1.2.3", hash));
    assertEquals("1.2_3-9f86d081884c", BatchScreening.outputName("1.2\n3", hash));
    assertEquals("unknown-9f86d081884c", BatchScreening.outputName("", hash));
  }
}

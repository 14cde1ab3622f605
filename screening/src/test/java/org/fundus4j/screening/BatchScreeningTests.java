package org.fundus4j.samples.screening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchScreeningTests {

  @Test
  void badFilesGetAnErrorRowAndTheRestGetAnSr(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    SyntheticDataset.writeDicom(data, 3, 64, 5);
    List<Path> images;
    try (Stream<Path> files = Files.list(data)) {
      images = files.filter(f -> f.toString().endsWith(".dcm")).sorted().toList();
    }
    assertEquals(3, images.size());
    byte[] whole = Files.readAllBytes(images.get(0));
    Path truncated = Files.write(data.resolve("truncated.dcm"), Arrays.copyOf(whole, 700));
    Path empty = Files.write(data.resolve("empty.dcm"), new byte[0]);
    Path text = Files.writeString(data.resolve("notes.txt"), "not DICOM");
    ModelCard card = new ModelCard("test screener", "0.0.1", "binary", List.of("normal", "abnormal"), "Scratch", "FT",
        64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of());
    SavedModel model = new SavedModel(ResNet50.build(Head.linear(2), 1), card);
    List<Path> inputs = BatchScreening.expand(List.of(data));

    List<ScreeningRow> rows;
    try (BatchScreening screening = new BatchScreening(model, UidGenerator.uuidDerived(), InferenceEngine.ONNX, 2, 2)) {
      rows = screening.run(inputs, dir.resolve("out"), done -> {});
    }
    BatchScreening.writeCsv(rows, dir.resolve("out/summary.csv"));

    assertEquals(inputs.size(), rows.size(), "every input gets exactly one row");
    for (ScreeningRow row : rows) {
      if (images.contains(row.file())) {
        assertEquals(ScreeningRow.Status.SCREENED, row.status(), row.toString());
        assertTrue(row.probability() >= 0 && row.probability() <= 1);
        assertTrue(Files.size(row.srFile()) > 0);
        assertEquals(DicomImages.readInfo(row.file()).sopInstanceUid(), row.sopInstanceUid());
      } else {
        assertEquals(ScreeningRow.Status.ERROR, row.status(), row.toString());
        assertTrue(row.reason().contains(row.file().getFileName().toString()),
            "reason names the file: " + row.reason());
        assertEquals(null, row.srFile());
      }
    }
    assertTrue(rows.stream().map(ScreeningRow::file).toList().containsAll(List.of(truncated, empty, text)));
    List<String> csv = Files.readAllLines(dir.resolve("out/summary.csv"));
    assertEquals(rows.size() + 1, csv.size());
    assertEquals("file,sop_instance_uid,status,probability,sr_file,reason", csv.get(0));
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
}

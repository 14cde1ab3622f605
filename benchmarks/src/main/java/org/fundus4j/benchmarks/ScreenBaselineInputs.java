package org.fundus4j.benchmarks;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;

/**
 * The inputs of {@code benchmarks/run-screen-vs-baseline.sh}: {@code --images} synthetic OP DICOM files of
 * {@code --image-size} px in {@code --work/dicom} (only {@code .dcm} files: the generator's {@code labels.csv} is
 * removed, so every input is screened) and a fresh binary ResNet-50 at {@code --size} px in {@code --work/model}
 * (speed does not depend on the weights).
 *
 * <p>The model card is written without its null fields ({@code training}, {@code operatingPoint},
 * {@code quantization}): that is the card format of main at a65b440, whose reader fails on unknown properties,
 * and today's reader takes the absent fields as null, so both versions screen the very same model folder.
 *
 * <pre>
 * java -cp "benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)" \
 *   org.fundus4j.benchmarks.ScreenBaselineInputs --images 500 --work /tmp/screen-vs-baseline
 * </pre>
 */
public final class ScreenBaselineInputs {

  private ScreenBaselineInputs() {}

  public static void main(String[] args) throws Exception {
    BenchmarkArgs a = BenchmarkArgs.parse(ScreenBaselineInputs.class, args, "images=500", "image-size=1024",
        "size=512", "seed=7", "work=/tmp/screen-vs-baseline");
    Path work = a.path("work");
    Path dicom = work.resolve("dicom");
    Files.deleteIfExists(SyntheticDataset.writeDicom(dicom, a.integer("images"), a.integer("image-size"),
        a.integer("seed")));
    ModelCard card = new ModelCard("screen benchmark", "0.0.1", "binary", List.of("normal", "abnormal"),
        "Scratch", "FT", a.integer("size"), ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(),
        null, null, null);
    Path model = work.resolve("model");
    SavedModel.save(model, ResNet50.build(Head.linear(2), 1), card);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
        .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    AtomicFiles.write(model.resolve(SavedModel.CARD), stream -> json.writeValue(stream, card));
    try (var files = Files.list(dicom)) {
      System.out.println(files.count() + " DICOM files in " + dicom + "; model in " + model);
    }
  }
}

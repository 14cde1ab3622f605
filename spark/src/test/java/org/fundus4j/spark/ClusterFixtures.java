package org.fundus4j.spark;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** Synthetic image sets on disk and start models for the cluster tests. */
final class ClusterFixtures {

  private ClusterFixtures() {}

  /**
   * Writes {@code count} 64x64 PNGs of grey noise, every second one ("abnormal") with a white 20x20 square at
   * a seeded place, and {@code labels.csv} ({@code image,abnormal,patient_id}) listing them; returns the CSV.
   */
  static Path images(Path dir, int count, long seed) throws IOException {
    Files.createDirectories(dir);
    Random random = new Random(seed);
    List<String> lines = new ArrayList<>(List.of("image,abnormal,patient_id"));
    for (int i = 0; i < count; i++) {
      BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 64; y++) {
        for (int x = 0; x < 64; x++) {
          int v = 60 + random.nextInt(100);
          image.setRGB(x, y, new Color(v, v, v).getRGB());
        }
      }
      int label = i % 2;
      if (label == 1) {
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(random.nextInt(44), random.nextInt(44), 20, 20);
        g.dispose();
      }
      Path file = dir.resolve(String.format("img-%03d.png", i));
      ImageIO.write(image, "png", file.toFile());
      lines.add(file + "," + label + ",P" + i);
    }
    Path csv = dir.resolve("labels.csv");
    Files.write(csv, lines);
    return csv;
  }

  /** Saves {@code graph} as a model folder that {@code --init} accepts. */
  static Path startModel(Path dir, ComputationGraph graph, int size, String mode) throws IOException {
    ModelCard card = new ModelCard("fundus4j-spark-tests", "0.1.0", "binary", List.of("abnormal=0", "abnormal=1"),
        "Scratch", mode, size, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, false, Map.of());
    SavedModel.save(dir, graph, card);
    return dir;
  }

  /** The images of a labels CSV written by {@link #images}, through the evaluation pipeline, as one DataSet. */
  static DataSet evaluationSet(Path csv, int size) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    List<INDArray> features = new ArrayList<>();
    INDArray labels = Nd4j.zeros(lines.size() - 1, 2);
    for (int i = 1; i < lines.size(); i++) {
      String[] fields = lines.get(i).split(",");
      features.add(Pipelines.evaluation(size).apply(ImageFiles.read(Path.of(fields[0])), 0));
      labels.putScalar(i - 1, Integer.parseInt(fields[1]), 1.0);
    }
    return new DataSet(Nd4j.concat(0, features.toArray(INDArray[]::new)), labels);
  }
}

package org.fundus4j.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.fundus4j.pipelines.FundusPipeline;
import org.fundus4j.pipelines.ImageAndMask;
import org.fundus4j.pipelines.LabelKind;
import org.fundus4j.pipelines.Pipelines;
import org.fundus4j.pipelines.Sample;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds RDDs of one-example {@link DataSet}s from fundus {@link Sample}s, decoding the images on the executors.
 *
 * <p>Only the file paths, labels and augmentation draw numbers travel to the executors (never the patient
 * ids); each executor reads its images with {@link ImageFiles#read} (plain images and DICOM) and runs them
 * through the fundus pipeline of {@link Pipelines}, so every executor needs the image files at the same
 * path as the driver (a shared or distributed file system mounted alike on every node).
 *
 * <p>Tensors are those of {@code FundusDataSets}: features {@code [1, 3, size, size]} float, ImageNet
 * normalised RGB; labels one-hot {@code [1, numClasses]} for {@link LabelKind#BINARY} and
 * {@link LabelKind#MULTI_CLASS}, 0/1 {@code [1, numClasses]} for {@link LabelKind#MULTI_LABEL}, mask
 * {@code [1, 1, size, size]} for {@link LabelKind#SEGMENTATION}. Sample {@code i} of epoch {@code e} gets
 * augmentation draw {@code e * samples.size() + i}, as in {@code FundusDataSets}, so an epoch decodes to
 * the same tensors whichever executor handles it. An image that cannot be read fails its Spark task with
 * a message naming the file (check the data first with {@code FundusDataSets} and its {@code SkipReport}).
 *
 * <pre>{@code
 * SampleRdds.Decoding decoding = SampleRdds.Decoding.training(512, LabelKind.BINARY, 2, 42);
 * JavaRDD<DataSet> epoch0 = SampleRdds.decode(sc, samples, decoding, 0);
 * new SparkTraining(16, 4, 8, 2).fit(sc, net, epoch0, 1);
 * }</pre>
 */
public final class SampleRdds {

  private SampleRdds() {}

  /**
   * How the executors turn a sample into tensors.
   *
   * @param size output side in pixels
   * @param kind what the labels mean
   * @param numClasses label tensor width: classes (2 for binary) or labels; ignored for segmentation
   * @param augment whether to use the training pipeline (seeded augmentation) or the evaluation pipeline
   * @param seed augmentation seed of the training pipeline (unused without augmentation)
   */
  public record Decoding(int size, LabelKind kind, int numClasses, boolean augment, long seed)
      implements Serializable {

    /** Checks the size and the number of classes. */
    public Decoding {
      Objects.requireNonNull(kind, "kind");
      if (size < 1) {
        throw new IllegalArgumentException("Image size must be >= 1 pixel, got " + size);
      }
      if (kind != LabelKind.SEGMENTATION && numClasses < (kind == LabelKind.MULTI_LABEL ? 1 : 2)) {
        throw new IllegalArgumentException(kind + " needs at least " + (kind == LabelKind.MULTI_LABEL ? 1 : 2)
            + " classes, got " + numClasses);
      }
    }

    /** Returns the decoding of {@link Pipelines#training(int, long)}: with seeded augmentation. */
    public static Decoding training(int size, LabelKind kind, int numClasses, long seed) {
      return new Decoding(size, kind, numClasses, true, seed);
    }

    /** Returns the decoding of {@link Pipelines#evaluation(int)}: preprocessing only. */
    public static Decoding evaluation(int size, LabelKind kind, int numClasses) {
      return new Decoding(size, kind, numClasses, false, 0L);
    }

    /** Returns the pipeline this decoding describes (built where it is used; pipelines are not serialisable). */
    public FundusPipeline pipeline() {
      return augment ? Pipelines.training(size, seed) : Pipelines.evaluation(size);
    }
  }

  /**
   * Returns the samples of one epoch as an RDD of one-example DataSets, decoded lazily on the executors.
   *
   * <p>Labels are checked on the driver first. The RDD has {@code min(samples, defaultParallelism)}
   * partitions and is not persisted: each action decodes the images again unless it is
   * ({@link SparkTraining#fit} persists it).
   *
   * @param epoch selects the augmentation draws ({@code epoch * samples.size() + i}); 0 for evaluation
   * @throws IllegalArgumentException naming the file of the first sample whose labels do not fit
   */
  public static JavaRDD<DataSet> decode(JavaSparkContext sc, List<Sample> samples, Decoding decoding, int epoch) {
    Objects.requireNonNull(sc, "sc");
    Objects.requireNonNull(decoding, "decoding");
    if (samples.isEmpty()) {
      throw new IllegalArgumentException("No samples to decode");
    }
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
    }
    List<Item> items = new ArrayList<>(samples.size());
    for (int i = 0; i < samples.size(); i++) {
      Sample s = samples.get(i);
      checkLabels(s, decoding);
      items.add(new Item(s.image().toString(), s.mask() == null ? null : s.mask().toString(), s.labels(),
          (long) epoch * samples.size() + i));
    }
    int partitions = Math.max(1, Math.min(items.size(), sc.defaultParallelism()));
    return sc.parallelize(items, partitions).mapPartitions(new DecodePartition(decoding));
  }

  /** Decodes one sample on the calling thread: what an executor does for each item. */
  static DataSet decodeOne(FundusPipeline pipeline, Decoding decoding, Item item) {
    try {
      BufferedImage rgb = ImageFiles.read(Path.of(item.image()));
      if (decoding.kind() == LabelKind.SEGMENTATION) {
        BufferedImage mask = ImageFiles.read(Path.of(item.mask()));
        if (mask.getWidth() != rgb.getWidth() || mask.getHeight() != rgb.getHeight()) {
          throw new IOException("Mask " + item.mask() + " is " + mask.getWidth() + "x" + mask.getHeight()
              + " but image " + item.image() + " is " + rgb.getWidth() + "x" + rgb.getHeight());
        }
        ImageAndMask out = pipeline.apply(rgb, mask, item.draw());
        return new DataSet(out.image(), out.mask());
      }
      return new DataSet(pipeline.apply(rgb, item.draw()), labelRow(item.labels(), decoding));
    } catch (IOException e) {
      throw new UncheckedIOException(e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalStateException("Cannot preprocess " + item.image() + ": " + e.getMessage(), e);
    }
  }

  private static INDArray labelRow(int[] labels, Decoding decoding) {
    float[] row = new float[decoding.numClasses()];
    if (decoding.kind() == LabelKind.MULTI_LABEL) {
      for (int c = 0; c < row.length; c++) {
        row[c] = labels[c] != 0 ? 1f : 0f;
      }
    } else {
      row[labels[0]] = 1f;
    }
    return Nd4j.create(row, new long[] {1, row.length}, DataType.FLOAT);
  }

  private static void checkLabels(Sample s, Decoding decoding) {
    int n = decoding.numClasses();
    switch (decoding.kind()) {
      case BINARY, MULTI_CLASS -> {
        if (s.labelCount() != 1 || s.label(0) < 0 || s.label(0) >= n) {
          throw new IllegalArgumentException(decoding.kind() + " needs one label in [0, " + (n - 1) + "], "
              + s.image() + " has " + Arrays.toString(s.labels()));
        }
      }
      case MULTI_LABEL -> {
        if (s.labelCount() != n) {
          throw new IllegalArgumentException("MULTI_LABEL with " + n + " labels needs " + n + " 0/1 values, "
              + s.image() + " has " + s.labelCount());
        }
      }
      case SEGMENTATION -> {
        if (s.mask() == null) {
          throw new IllegalArgumentException("SEGMENTATION needs a mask for every sample; " + s.image()
              + " has none");
        }
      }
      default -> throw new AssertionError(decoding.kind());
    }
  }

  /**
   * What travels to an executor for one sample: paths as strings, labels and the augmentation draw.
   *
   * <p>A class, not a record: Spark ships the elements of a parallelized collection with Kryo, and the
   * Kryo 4 that Spark 3.1 uses cannot serialise Java records ("can't get field offset on a record class").
   */
  static final class Item implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String image;
    private final String mask;
    private final int[] labels;
    private final long draw;

    Item(String image, String mask, int[] labels, long draw) {
      this.image = image;
      this.mask = mask;
      this.labels = labels.clone();
      this.draw = draw;
    }

    String image() {
      return image;
    }

    String mask() {
      return mask;
    }

    int[] labels() {
      return labels;
    }

    long draw() {
      return draw;
    }
  }

  /** Decodes a partition lazily with one pipeline built on the executor. */
  private static final class DecodePartition implements FlatMapFunction<Iterator<Item>, DataSet> {
    private static final long serialVersionUID = 1L;
    private final Decoding decoding;

    DecodePartition(Decoding decoding) {
      this.decoding = decoding;
    }

    @Override
    public Iterator<DataSet> call(Iterator<Item> items) {
      FundusPipeline pipeline = decoding.pipeline();
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return items.hasNext();
        }

        @Override
        public DataSet next() {
          return decodeOne(pipeline, decoding, items.next());
        }
      };
    }
  }
}

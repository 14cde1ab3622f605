package org.fundus4j.pipelines;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Decodes one sample and runs it through a pipeline; shared by the record reader and the iterator. */
final class SampleLoader {

  private SampleLoader() {}

  /**
   * Returns the image {@code [1,3,s,s]} and, for segmentation, the mask {@code [1,1,s,s]} (else null).
   *
   * @throws IOException naming the file when the image or mask cannot be read or decoded
   */
  static ImageAndMaskOrImage load(Sample s, FundusPipeline pipeline, LabelKind kind, long draw) throws IOException {
    if (kind != LabelKind.SEGMENTATION) {
      ScalableImage img = ImageFiles.open(s.image());
      try {
        return new ImageAndMaskOrImage(pipeline.apply(img, draw), null);
      } catch (RuntimeException e) {
        throw new IOException("Cannot preprocess " + s.image() + ": " + e.getMessage(), e);
      }
    }
    // Segmentation: image and mask go through the same geometric stages at full size.
    BufferedImage img = ImageFiles.read(s.image());
    if (s.mask() == null) {
      throw new IOException("Segmentation sample has no mask: " + s.image());
    }
    BufferedImage mask = ImageFiles.read(s.mask());
    if (mask.getWidth() != img.getWidth() || mask.getHeight() != img.getHeight()) {
      throw new IOException("Mask " + s.mask() + " is " + mask.getWidth() + "x" + mask.getHeight()
          + " but image " + s.image() + " is " + img.getWidth() + "x" + img.getHeight());
    }
    ImageAndMask out = pipeline.apply(img, mask, draw);
    return new ImageAndMaskOrImage(out.image(), out.mask());
  }

  /**
   * Decodes one image sample into row {@code row} of {@code batch} ({@code [n, 3, s, s]}); for non-segmentation
   * kinds.
   *
   * @throws IOException naming the file when the image cannot be read, decoded or preprocessed
   */
  static void loadInto(Sample s, StagedPipeline pipeline, long draw, INDArray batch, int row) throws IOException {
    ScalableImage img = ImageFiles.open(s.image());
    try {
      pipeline.applyInto(img, draw, batch, row);
    } catch (RuntimeException e) {
      throw new IOException("Cannot preprocess " + s.image() + ": " + e.getMessage(), e);
    }
  }

  /** A loaded sample: image tensor and optional mask tensor. */
  record ImageAndMaskOrImage(INDArray image, INDArray mask) {}

  /** Checks that a sample's labels fit {@code kind} and {@code numClasses}; throws naming the file. */
  static void checkLabels(Sample s, LabelKind kind, int numClasses) {
    switch (kind) {
      case BINARY, MULTI_CLASS -> {
        if (s.labelCount() != 1 || s.label(0) < 0 || s.label(0) >= numClasses) {
          throw new IllegalArgumentException(kind + " needs one label in [0, " + (numClasses - 1) + "], "
              + s.image() + " has " + java.util.Arrays.toString(s.labels()));
        }
      }
      case MULTI_LABEL -> {
        if (s.labelCount() != numClasses) {
          throw new IllegalArgumentException("MULTI_LABEL with " + numClasses + " classes needs " + numClasses
              + " 0/1 labels, " + s.image() + " has " + s.labelCount());
        }
      }
      case SEGMENTATION -> {
        if (s.mask() == null) {
          throw new IllegalArgumentException("SEGMENTATION needs a mask for every sample; " + s.image()
              + " has none");
        }
      }
      default -> throw new AssertionError(kind);
    }
  }

  /** Returns the label matrix {@code [n, numClasses]} for non-segmentation kinds. */
  static INDArray labelMatrix(List<Sample> batch, LabelKind kind, int numClasses) {
    float[] out = new float[batch.size() * numClasses];
    for (int i = 0; i < batch.size(); i++) {
      Sample s = batch.get(i);
      if (kind == LabelKind.MULTI_LABEL) {
        for (int c = 0; c < numClasses; c++) {
          out[i * numClasses + c] = s.label(c) != 0 ? 1f : 0f;
        }
      } else {
        out[i * numClasses + s.label(0)] = 1f;
      }
    }
    return Nd4j.create(out, new long[] {batch.size(), numClasses}, DataType.FLOAT);
  }
}

package org.fundus4j.pipelines;

import java.awt.image.BufferedImage;
import java.io.IOException;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Turns a decoded fundus photograph into a network input tensor.
 *
 * <p>Output: {@code [1, 3, size, size]} float, RGB channel order, scaled to [0, 1] and normalised with the
 * ImageNet mean (0.485, 0.456, 0.406) and standard deviation (0.229, 0.224, 0.225) as torchvision's
 * {@code ToTensor} + {@code Normalize} do. Get one from {@link Pipelines#training(int, long)} or
 * {@link Pipelines#evaluation(int)}; implementations are thread-safe.
 *
 * <p>Random augmentations are a pure function of the pipeline's seed and a <em>draw number</em>:
 * {@link #apply(BufferedImage, long)} with the same draw gives the same tensor on any thread.
 * {@link #apply(BufferedImage)} takes the next draw number from an internal counter.
 *
 * <pre>{@code
 * FundusPipeline eval = Pipelines.evaluation(512);
 * INDArray x = eval.apply(DicomImages.read(file).rgb());   // [1, 3, 512, 512]
 * INDArray y = eval.apply(ImageFiles.open(file), 0);       // decodes a JPEG frame itself, reduced if it can
 * }</pre>
 */
public interface FundusPipeline {

  /** Applies the pipeline with the next draw number; see {@link #apply(BufferedImage, long)}. */
  INDArray apply(BufferedImage rgb);

  /** Applies the pipeline; augmentations (if any) are chosen by the seed and {@code draw}. */
  INDArray apply(BufferedImage rgb, long draw);

  /**
   * Applies the pipeline to an image that may still be a JPEG bitstream; augmentations are chosen by the seed
   * and {@code draw} as in {@link #apply(BufferedImage, long)}.
   *
   * <p>The pipeline decodes the image itself, and may decode a JPEG at reduced size (libjpeg's DCT scaling)
   * when that keeps at least {@code size()} pixels across the fundus disc; a decoded image gives the same tensor
   * as {@link #apply(BufferedImage, long)}.
   *
   * @throws IOException naming the image's origin when a JPEG bitstream cannot be decoded
   */
  INDArray apply(ScalableImage image, long draw) throws IOException;

  /**
   * Applies the pipeline to an image and its segmentation mask under the same geometric transforms.
   *
   * @param mask any image of the same size; pixels brighter than 127 (grey level) are foreground
   * @return the image {@code [1, 3, size, size]} and mask {@code [1, 1, size, size]} of 0/1 floats
   */
  ImageAndMask apply(BufferedImage rgb, BufferedImage mask, long draw);

  /** Returns the output height and width in pixels. */
  int size();

  /** Returns whether this pipeline applies random augmentation (true for training pipelines only). */
  boolean augments();
}

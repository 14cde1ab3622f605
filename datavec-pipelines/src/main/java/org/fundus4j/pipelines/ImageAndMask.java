package org.fundus4j.pipelines;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pipeline's output for segmentation: the image {@code [1, 3, H, W]} and its mask {@code [1, 1, H, W]}.
 */
public record ImageAndMask(INDArray image, INDArray mask) {

  /** Checks that both tensors are present and have the same height and width. */
  public ImageAndMask {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(mask, "mask");
    long[] i = image.shape();
    long[] m = mask.shape();
    if (i.length != 4 || m.length != 4 || i[2] != m[2] || i[3] != m[3] || m[1] != 1) {
      throw new IllegalArgumentException("Expected image [1,3,H,W] and mask [1,1,H,W], got "
          + Arrays.toString(i) + " and " + Arrays.toString(m));
    }
  }
}

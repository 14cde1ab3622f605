package org.fundus4j.samples.experiment;

import java.awt.image.BufferedImage;
import org.fundus4j.pipelines.preprocess.Normalization;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Turns network inputs back into pictures a person can look at, and loads the bundled CC0 photograph. */
final class ModelView {

  private ModelView() {}

  /**
   * The RGB picture the model sees: undoes the ImageNet normalisation of an input {@code [1, 3, H, W]}.
   */
  static BufferedImage toImage(INDArray input) {
    return Normalization.IMAGENET.toImage(input, 0);
  }
}

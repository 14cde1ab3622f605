package org.fundus4j.samples.experiment;

import java.awt.image.BufferedImage;
import org.fundus4j.transfer.ModelCard;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Turns network inputs back into pictures a person can look at, and loads the bundled CC0 photograph. */
final class ModelView {

  private ModelView() {}

  /**
   * The RGB picture the model sees: undoes the ImageNet normalisation of an input {@code [1, 3, H, W]}.
   */
  static BufferedImage toImage(INDArray input) {
    int h = (int) input.size(2);
    int w = (int) input.size(3);
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = 0;
        for (int c = 0; c < 3; c++) {
          double v = input.getDouble(0, c, y, x) * ModelCard.IMAGENET_STD[c] + ModelCard.IMAGENET_MEAN[c];
          rgb = (rgb << 8) | (int) Math.round(Math.max(0, Math.min(1, v)) * 255);
        }
        image.setRGB(x, y, rgb);
      }
    }
    return image;
  }
}

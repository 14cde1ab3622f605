package org.fundus4j.dicom;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * A decoded fundus photograph: its header record and its pixels as 8-bit RGB.
 *
 * <p>The image is always {@link BufferedImage#TYPE_INT_RGB} with the size given in
 * {@link InstanceInfo#rows()} and {@link InstanceInfo#columns()}; grey images carry three equal
 * channels and YBR colour spaces have been converted to RGB (see {@link DicomImages#read}).
 *
 * @param info header of the instance
 * @param rgb pixels, {@code TYPE_INT_RGB}, {@code info.columns()} wide and {@code info.rows()} high
 */
public record FundusImage(InstanceInfo info, BufferedImage rgb) implements FirstFrame {

  /** Checks that the image is {@code TYPE_INT_RGB} and matches the header's size. */
  public FundusImage {
    Objects.requireNonNull(info, "info");
    Objects.requireNonNull(rgb, "rgb");
    if (rgb.getType() != BufferedImage.TYPE_INT_RGB) {
      throw new IllegalArgumentException("Image must be TYPE_INT_RGB (1), got type " + rgb.getType());
    }
    if (rgb.getWidth() != info.columns() || rgb.getHeight() != info.rows()) {
      throw new IllegalArgumentException("Image is " + rgb.getWidth() + "x" + rgb.getHeight()
          + " but the header says " + info.columns() + "x" + info.rows() + " (columns x rows)");
    }
  }
}

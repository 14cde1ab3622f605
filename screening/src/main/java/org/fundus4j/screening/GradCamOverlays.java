package org.fundus4j.screening;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.fundus4j.dicom.DerivedImage;
import org.fundus4j.dicom.DerivedImageWriter;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.evaluation.visualize.GradCam;
import org.fundus4j.io.AtomicFiles;
import org.fundus4j.pipelines.preprocess.Normalization;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes the Grad-CAM overlays of one screened image, one per finding: the heat map blended over the model's
 * input picture ({@link GradCam#overlay}, jet colour map, bilinear upsampling of the {@code [h, w]} map) as
 * {@code <k>-<label>.png} and the same picture as a DICOM Secondary Capture derived from the source
 * ({@link DerivedImageWriter}: same patient and study, a new series, Source Image Sequence) as
 * {@code <k>-<label>.dcm}, in the SR's {@link org.fundus4j.dicom.sr.ScreeningReportWriter#derivedImagesFolder}.
 * The caller references the DICOM images from the image's SR.
 *
 * <p>Every label gets an overlay, called present or not (a reader can see what an "absent" rests on too).
 */
final class GradCamOverlays {

  private final DerivedImageWriter images;
  private final Normalization normalization;
  private final String layer;

  GradCamOverlays(UidGenerator uids, Normalization normalization, String layer) {
    this.images = new DerivedImageWriter(uids);
    this.normalization = normalization;
    this.layer = layer;
  }

  /**
   * Writes the overlays of {@code source}: {@code maps.get(k)} explains {@code findings.get(k)}; {@code input} is
   * the model input {@code [1, 3, size, size]} row {@code row}.
   *
   * @return the DICOM images written, in findings order
   */
  List<DerivedImage> write(Path source, INDArray input, int row, List<Finding> findings, List<INDArray> maps,
      Path dir) throws IOException {
    if (maps.size() != findings.size()) {
      throw new IllegalArgumentException(maps.size() + " Grad-CAM maps for " + findings.size() + " findings");
    }
    Files.createDirectories(dir);
    BufferedImage picture = normalization.toImage(input, row);
    List<DerivedImage> written = new ArrayList<>();
    for (int k = 0; k < findings.size(); k++) {
      Finding f = findings.get(k);
      BufferedImage overlay = GradCam.overlay(picture, maps.get(k));
      String base = k + "-" + f.concept().meaning().replaceAll("[^A-Za-z0-9]+", "_")
          .toLowerCase(Locale.ROOT);
      Path png = dir.resolve(base + ".png");
      AtomicFiles.write(png, out -> {
        if (!ImageIO.write(overlay, "png", out)) {
          throw new IOException("no PNG writer in this JVM");
        }
      });
      String description = String.format(Locale.ROOT, "Grad-CAM (Selvaraju et al. 2017) of %s (%s, %s), layer %s,"
          + " %d x %d map upsampled bilinearly to the %d px model input and blended over it; p = %.4f%s."
          + " Research use only, not for diagnosis", f.concept().meaning(), f.concept().value(),
          f.concept().scheme(), layer, maps.get(k).size(0), maps.get(k).size(1), picture.getWidth(),
          f.probability(), f.call() == null ? "" : ", " + f.call().name().toLowerCase(Locale.ROOT));
      written.add(images.write(source, overlay, description, dir.resolve(base + ".dcm")));
    }
    return written;
  }
}

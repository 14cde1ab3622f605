package org.fundus4j.dicom.testing;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.node.ImageScreener;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;

/**
 * A deterministic, real (not clinical) screener for node tests: the "probability" of an abnormal
 * fundus is the image's mean RGB value divided by 255, decoded with {@link DicomImages#read}.
 */
public final class MeanBrightnessScreener implements ImageScreener {

  private final AlgorithmId id;

  /** A screener reporting itself as {@code fundus4j mean brightness (test)} version {@code version}. */
  public MeanBrightnessScreener(String version) {
    this.id = new AlgorithmId("fundus4j mean brightness (test)", version);
  }

  @Override
  public AlgorithmId algorithm() {
    return id;
  }

  @Override
  public List<Finding> screen(Path dicomFile) throws Exception {
    BufferedImage rgb = DicomImages.read(dicomFile).rgb();
    long sum = 0;
    for (int y = 0; y < rgb.getHeight(); y++) {
      for (int x = 0; x < rgb.getWidth(); x++) {
        int p = rgb.getRGB(x, y);
        sum += ((p >> 16) & 0xff) + ((p >> 8) & 0xff) + (p & 0xff);
      }
    }
    double mean = sum / (3.0 * rgb.getWidth() * rgb.getHeight());
    return List.of(new Finding(Findings.ABNORMAL_FUNDUS, mean / 255.0));
  }
}

package org.fundus4j.pipelines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.pipelines.preprocess.BorderCrop;
import org.fundus4j.pipelines.preprocess.ImageNetNormalize;
import org.fundus4j.pipelines.preprocess.OpenCvImages;
import org.fundus4j.pipelines.preprocess.PadToSquare;
import org.fundus4j.pipelines.preprocess.Resize;
import org.fundus4j.pipelines.sources.ImageFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DICOM files with JPEG baseline frames, decoded by OpenCV (libjpeg-turbo) instead of PixelMed: exact at full
 * size, right channel order, reduced-size decoding only where the disc keeps the output size.
 *
 * <p>The DICOM files are made at test time by dcmtk's {@code img2dcm}, which wraps a JPEG file's bitstream
 * unchanged, from the CC0 photograph in {@code data/cc0} and from a JPEG of known colours written here.
 */
class JpegDicomTests {

  private static final Path CC0_JPEG = Path.of("..", "data", "cc0", "retina-normal-left.jpg");
  private static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] STD = {0.229f, 0.224f, 0.225f};

  @TempDir
  static Path dir;
  static Path photo;
  static Path colours;

  @BeforeAll
  static void makeDicomFiles() throws Exception {
    photo = img2dcm(CC0_JPEG, dir.resolve("cc0-op.dcm"));
    colours = img2dcm(writeJpeg(colourPatches(), dir.resolve("colours.jpg")), dir.resolve("colours-op.dcm"));
  }

  @Test
  void fullSizeOpenCvDecodeEqualsTheDicomModulesPixelsExactly() throws Exception {
    ScalableImage image = ImageFiles.open(photo);
    byte[] expected = OpenCvImages.bytes(OpenCvImages.toBgr(DicomImages.read(photo).rgb()));

    assertTrue(image.isJpeg(), "a JPEG baseline OP frame stays compressed: " + image);
    Mat decoded = image.decodeBgr(1);

    assertEquals(1411, decoded.cols());
    assertEquals(1411, decoded.rows());
    byte[] actual = OpenCvImages.bytes(decoded);
    int differing = 0;
    for (int i = 0; i < expected.length; i++) {
      if (expected[i] != actual[i]) {
        differing++;
      }
    }
    assertEquals(0, differing, "samples differing from PixelMed's decode (of " + expected.length + ")");
  }

  @Test
  void knownColoursComeOutBgrFromOpenCvAndRgbInTheTensor() throws Exception {
    ScalableImage image = ImageFiles.open(colours);
    int[][] rgbAt = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};

    assertTrue(image.isJpeg());
    for (int reduction : new int[] {1, 2, 4}) {
      byte[] bgr = OpenCvImages.bytes(image.decodeBgr(reduction));
      int width = 256 / reduction;
      for (int patch = 0; patch < 4; patch++) {
        int i = 3 * ((32 / reduction) * width + (32 + 64 * patch) / reduction);
        for (int c = 0; c < 3; c++) {
          assertEquals(rgbAt[patch][c], bgr[i + 2 - c] & 0xFF, 6, "patch " + patch + ", RGB channel " + c
              + " at reduction " + reduction);
        }
      }
    }
    // No black border, so the evaluation pipeline pads 256x64 to 256x256 and scales to 128x128 (no reduction:
    // the shorter side is 64).
    INDArray x = Pipelines.evaluation(128).apply(image, 0);
    for (int patch = 0; patch < 4; patch++) {
      for (int c = 0; c < 3; c++) {
        assertEquals((rgbAt[patch][c] / 255f - MEAN[c]) / STD[c], x.getFloat(0, c, 64, 16 + 32 * patch), 0.1,
            "tensor channel " + c + " of patch " + patch);
      }
    }
  }

  @Test
  void firstReductionKeeps90PercentOfTheShorterSideAtLeastTheOutputSize() {
    assertEquals(2, StagedPipeline.reductionFor(2000, 1500, 512, 8));   // 0.9 * 750 = 675
    assertEquals(4, StagedPipeline.reductionFor(2000, 1500, 256, 8));   // 0.9 * 375 = 337.5
    assertEquals(8, StagedPipeline.reductionFor(4000, 3000, 256, 8));   // 0.9 * 375, and 8 is the most
    assertEquals(1, StagedPipeline.reductionFor(1024, 1024, 512, 8));   // 0.9 * 512 = 460.8
    assertEquals(2, StagedPipeline.reductionFor(1140, 1500, 512, 8));   // 0.9 * 570 = 513
    assertEquals(1, StagedPipeline.reductionFor(1136, 1500, 512, 8));   // 0.9 * 568 = 511.2
    assertEquals(4, StagedPipeline.reductionFor(1411, 1411, 256, 8));   // 0.9 * ceil(1411 / 4) = 317.7
    assertEquals(1, StagedPipeline.reductionFor(4000, 3000, 256, 1));   // decoded images: full size only
  }

  @Test
  void aDiscSmallerThanTheFirstGuessIsDecodedAgainOneStepLarger() throws Exception {
    // 1400x1400 frame, disc 600 px across. First guess at 256 px: 1/4 (0.9 * 350 >= 256), where the disc is
    // 150 px: too small, so 1/2 (disc 300 px).
    BufferedImage frame = new BufferedImage(1400, 1400, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = frame.createGraphics();
    g.setColor(new Color(200, 90, 40));
    g.fillOval(400, 400, 600, 600);
    g.setColor(new Color(250, 220, 120));
    g.fillOval(600, 650, 80, 80);
    g.dispose();
    ScalableImage image = ImageFiles.open(img2dcm(writeJpeg(frame, dir.resolve("small-disc.jpg")),
        dir.resolve("small-disc.dcm")));

    INDArray x = Pipelines.evaluation(256).apply(image, 0);

    assertEquals(4, StagedPipeline.reductionFor(1400, 1400, 256, 8));
    assertEquals(0.0, meanAbsDifference(byHand(image, 2, 256), x), 0.0, "decoded at 1/2, then as evaluation does");
    assertTrue(meanAbsDifference(byHand(image, 4, 256), x) > 1e-3, "differs from the 1/4 decode");
  }

  /** The evaluation pipeline's stages applied by hand to the JPEG decoded at 1/reduction. */
  private static INDArray byHand(ScalableImage image, int reduction, int size) throws IOException {
    INDArray x = Nd4j.createUninitialized(DataType.FLOAT, 1, 3, size, size);
    Random unused = new Random(0);
    Frame f = new Frame(image.decodeBgr(reduction), null);
    f = new BorderCrop().apply(f, unused);
    f = new PadToSquare().apply(f, unused);
    f = new Resize(size).apply(f, unused);
    ImageNetNormalize.writeChw(f.image(), x);
    return x;
  }

  @Test
  void reducedDecodeIsCloseToTheFullPathAndUsedOnlyWhereTheDiscKeepsTheSize() throws Exception {
    BufferedImage rgb = DicomImages.read(photo).rgb();
    ScalableImage jpeg = ImageFiles.open(photo);
    // The disc spans 1391x1393 px. At 512 px it is decoded at 1/2 (696 px across): close, not identical
    // (mean |difference| 0.011, i.e. about 0.6 grey levels, when this test was written).
    FundusPipeline eval512 = Pipelines.evaluation(512);
    double reduced = meanAbsDifference(eval512.apply(rgb, 0), eval512.apply(jpeg, 0));
    // At 700 px a 1/2 decode would leave 696 < 700 px of disc: the pipeline decodes at full size.
    FundusPipeline eval700 = Pipelines.evaluation(700);
    double full = meanAbsDifference(eval700.apply(rgb, 0), eval700.apply(jpeg, 0));

    assertTrue(reduced > 0 && reduced < 0.02, "mean |difference| at 512 px (normalised units): " + reduced);
    assertEquals(0.0, full, 1e-6, "at 700 px the JPEG must be decoded at full size, exactly as PixelMed does");
  }

  @Test
  void trainingAugmentsJpegFramesWithTheSameDrawsAsDecodedImages() throws Exception {
    FundusPipeline train = Pipelines.training(700, 5);   // full-size decode, so the tensors must be equal
    BufferedImage rgb = DicomImages.read(photo).rgb();
    ScalableImage jpeg = ImageFiles.open(photo);

    for (long draw = 0; draw < 6; draw++) {
      assertEquals(0.0, meanAbsDifference(train.apply(rgb, draw), train.apply(jpeg, draw)), 1e-6, "draw " + draw);
    }
  }

  @Test
  void iteratorReadsJpegDicomFilesOnTwoThreads() {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      samples.add(new Sample(i % 2 == 0 ? photo : colours, "P" + i, new int[] {i % 2}, null));
    }
    SkipReport skips = new SkipReport();
    List<DataSet> batches = new ArrayList<>();
    try (FundusDataSetIterator it = FundusDataSets.iterator(samples, Pipelines.training(64, 3), LabelKind.BINARY, 2,
        4, skips, new IteratorOptions(2, 2, false, 0))) {
      while (it.hasNext()) {
        batches.add(it.next());
      }
    }

    assertEquals(0, skips.count(), skips.entries().toString());
    assertArrayEquals(new long[] {4, 3, 64, 64}, batches.get(0).getFeatures().shape());
    assertArrayEquals(new long[] {2, 3, 64, 64}, batches.get(1).getFeatures().shape());
  }

  @Test
  void undecodableJpegFailsNamingItsOrigin() {
    ScalableImage broken = ScalableImage.jpeg(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xD9}, 64,
        48, "broken.dcm");

    IOException e = assertThrows(IOException.class, () -> broken.decodeBgr(1));
    IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
        () -> ScalableImage.of(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB)).decodeBgr(2));

    assertEquals("Cannot decode the JPEG bitstream of broken.dcm (4 bytes)", e.getMessage());
    assertTrue(tooSmall.getMessage().contains("at most 1"), tooSmall.getMessage());
  }

  @Test
  void uncompressedDicomStaysOnTheDecodedPath() throws Exception {
    Path uncompressed = Path.of("src", "test", "resources", "fixtures", "dicom", "0001_R.dcm");

    assertFalse(ImageFiles.open(uncompressed).isJpeg());
    assertEquals(0.0, meanAbsDifference(Pipelines.evaluation(32).apply(ImageFiles.read(uncompressed), 0),
        Pipelines.evaluation(32).apply(ImageFiles.open(uncompressed), 0)), 0.0);
  }

  private static double meanAbsDifference(INDArray a, INDArray b) {
    assertArrayEquals(a.shape(), b.shape());
    return a.sub(b).norm1Number().doubleValue() / a.length();
  }

  /** 256x64: red, green, blue and white 64x64 patches, left to right. */
  private static BufferedImage colourPatches() {
    BufferedImage img = new BufferedImage(256, 64, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.WHITE};
    for (int i = 0; i < 4; i++) {
      g.setColor(colours[i]);
      g.fillRect(64 * i, 0, 64, 64);
    }
    g.dispose();
    return img;
  }

  private static Path writeJpeg(BufferedImage img, Path file) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam param = writer.getDefaultWriteParam();
    param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
    param.setCompressionQuality(0.95f);
    try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(img, null, null), param);
    } finally {
      writer.dispose();
    }
    return file;
  }

  /** Wraps a JPEG file's bitstream unchanged into an Ophthalmic Photography 8 Bit instance (dcmtk img2dcm). */
  private static Path img2dcm(Path jpeg, Path out) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("img2dcm", "-q", "-oph", "-k", "ImageLaterality=L",
        "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeValue=409898007",
        "-k", "AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SCT",
        "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus Camera",
        jpeg.toString(), out.toString()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("img2dcm (dcmtk) failed on " + jpeg + ": " + output);
    }
    return out;
  }
}

package org.fundus4j.pipelines;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.opencv_core.Rect;
import org.fundus4j.pipelines.preprocess.BorderCrop;
import org.fundus4j.pipelines.preprocess.ImageNetNormalize;
import org.fundus4j.pipelines.preprocess.Normalization;
import org.fundus4j.pipelines.preprocess.OpenCvImages;
import org.fundus4j.pipelines.preprocess.PadToSquare;
import org.fundus4j.pipelines.preprocess.Resize;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A fixed list of stages followed by normalisation (ImageNet's unless told); built by {@link Pipelines}. */
final class StagedPipeline implements FundusPipeline {

  private final String name;
  private final int size;
  private final long seed;
  private final boolean augments;
  private final List<Stage> stages;
  private final Normalization normalization;
  /**
   * The fundus disc usually spans at least this fraction of a photograph's shorter side; a smaller first guess
   * would waste a reduced decode on most 1024 px images at 512 px (their disc is about 920 px across).
   */
  static final double EXPECTED_DISC_FRACTION = 0.9;
  /** The leading BorderCrop when the stages start with BorderCrop, PadToSquare, Resize(size); else null. */
  private final BorderCrop discCrop;
  private final AtomicLong nextDraw = new AtomicLong();

  StagedPipeline(String name, int size, long seed, boolean augments, List<Stage> stages) {
    this(name, size, seed, augments, stages, Normalization.IMAGENET);
  }

  StagedPipeline(String name, int size, long seed, boolean augments, List<Stage> stages,
      Normalization normalization) {
    this.normalization = java.util.Objects.requireNonNull(normalization, "normalization");
    this.name = name;
    this.size = size;
    this.seed = seed;
    this.augments = augments;
    this.stages = List.copyOf(stages);
    this.discCrop = this.stages.size() >= 3 && this.stages.get(0) instanceof BorderCrop crop
        && this.stages.get(1) instanceof PadToSquare && this.stages.get(2) instanceof Resize resize
        && resize.size() == size ? crop : null;
  }

  @Override
  public INDArray apply(BufferedImage rgb) {
    return apply(rgb, nextDraw.getAndIncrement());
  }

  @Override
  public INDArray apply(BufferedImage rgb, long draw) {
    INDArray x = newImageTensor();
    try (PointerScope scope = new PointerScope()) {
      Frame out = run(new Frame(OpenCvImages.toBgr(rgb), null), 0, draw);
      ImageNetNormalize.writeChw(out.image(), x, 0, normalization);
    }
    return x;
  }

  /**
   * {@inheritDoc}
   *
   * <p>When the pipeline starts with {@link BorderCrop}, {@link PadToSquare} and {@link Resize} to its size (the
   * {@link Pipelines#training training} and {@link Pipelines#evaluation evaluation} pipelines do), a JPEG is
   * decoded at the largest reduction (1/2, 1/4, 1/8) at which 90 % of its shorter side still has {@code size}
   * pixels, and decoded again at the next smaller reduction while the disc found there (the larger side of its
   * bounding box, the side of the padded square) is smaller than {@code size}; so the final resize never
   * enlarges what a full decode would have shrunk, and the reduction depends on the image alone. Other pipelines
   * decode at full size.
   */
  @Override
  public INDArray apply(ScalableImage image, long draw) throws IOException {
    INDArray x = newImageTensor();
    applyInto(image, draw, x, 0);
    return x;
  }

  /**
   * As {@link #apply(ScalableImage, long)}, writing into row {@code row} of {@code batch} (c-ordered FLOAT
   * {@code [N, 3, size, size]}, not a view, allocated outside any {@code PointerScope}).
   */
  void applyInto(ScalableImage image, long draw, INDArray batch, int row) throws IOException {
    try (PointerScope scope = new PointerScope()) {
      Frame out = run(decodeAndCrop(image), discCrop == null ? 0 : 1, draw);
      ImageNetNormalize.writeChw(out.image(), batch, row, normalization);
    }
  }

  /** Decodes {@code image} at the reduction described in {@link #apply(ScalableImage, long)}; crops if known. */
  private Frame decodeAndCrop(ScalableImage image) throws IOException {
    if (discCrop == null) {
      return new Frame(image.decodeBgr(1), null);
    }
    int reduction = reductionFor(image.width(), image.height(), size, image.maxReduction());
    while (true) {
      Frame frame = new Frame(image.decodeBgr(reduction), null);
      Rect disc = discCrop.discBounds(frame.image());
      if (reduction == 1 || Math.max(disc.width(), disc.height()) >= size) {
        return BorderCrop.crop(frame, disc);
      }
      reduction /= 2;
    }
  }

  /**
   * The reduction tried first: the largest power of two up to {@code max} that keeps
   * {@link #EXPECTED_DISC_FRACTION} of the shorter side at least {@code size} pixels. A guess from the image's
   * size alone, so the choice never depends on other images; the disc check after decoding has the last word.
   */
  static int reductionFor(int width, int height, int size, int max) {
    int shorter = Math.min(width, height);
    int r = 1;
    while (r * 2 <= max && ceilDiv(shorter, r * 2) * EXPECTED_DISC_FRACTION >= size) {
      r *= 2;
    }
    return r;
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }

  @Override
  public ImageAndMask apply(BufferedImage rgb, BufferedImage mask, long draw) {
    if (rgb.getWidth() != mask.getWidth() || rgb.getHeight() != mask.getHeight()) {
      throw new IllegalArgumentException("Mask size " + mask.getWidth() + "x" + mask.getHeight()
          + " differs from image size " + rgb.getWidth() + "x" + rgb.getHeight());
    }
    INDArray x = newImageTensor();
    float[] m;
    try (PointerScope scope = new PointerScope()) {
      Frame out = run(new Frame(OpenCvImages.toBgr(rgb), OpenCvImages.toGray(mask)), 0, draw);
      ImageNetNormalize.writeChw(out.image(), x, 0, normalization);
      m = ImageNetNormalize.maskToFloats(out.mask());
    }
    return new ImageAndMask(x, Nd4j.create(m, new long[] {1, 1, size, size}, DataType.FLOAT));
  }

  private INDArray newImageTensor() {
    return Nd4j.createUninitialized(DataType.FLOAT, 1, 3, size, size);
  }

  /** Runs the stages from index {@code from} on; the random stream depends on seed and draw only. */
  private Frame run(Frame frame, int from, long draw) {
    Random rnd = new Random(mix(seed, draw));
    Frame f = frame;
    for (Stage s : stages.subList(from, stages.size())) {
      f = s.apply(f, rnd);
    }
    if (f.width() != size || f.height() != size) {
      throw new IllegalStateException("Pipeline '" + name + "' produced " + f.width() + "x" + f.height()
          + " instead of " + size + "x" + size + "; its last geometric stage must be Resize(" + size + ")");
    }
    return f;
  }

  /** SplitMix64 finaliser over seed and draw, so neighbouring draws get unrelated random streams. */
  static long mix(long seed, long draw) {
    long z = seed + 0x9E3779B97F4A7C15L * (draw + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public boolean augments() {
    return augments;
  }

  @Override
  public String toString() {
    return name + "(" + size + " px, " + stages.size() + " stages)";
  }
}

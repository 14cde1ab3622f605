package org.fundus4j.pipelines;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.PointerScope;
import org.fundus4j.pipelines.preprocess.ImageNetNormalize;
import org.fundus4j.pipelines.preprocess.OpenCvImages;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A fixed list of stages followed by ImageNet normalisation; built by {@link Pipelines}. */
final class StagedPipeline implements FundusPipeline {

  private final String name;
  private final int size;
  private final long seed;
  private final boolean augments;
  private final List<Stage> stages;
  private final AtomicLong nextDraw = new AtomicLong();

  StagedPipeline(String name, int size, long seed, boolean augments, List<Stage> stages) {
    this.name = name;
    this.size = size;
    this.seed = seed;
    this.augments = augments;
    this.stages = List.copyOf(stages);
  }

  @Override
  public INDArray apply(BufferedImage rgb) {
    return apply(rgb, nextDraw.getAndIncrement());
  }

  @Override
  public INDArray apply(BufferedImage rgb, long draw) {
    float[] chw;
    try (PointerScope scope = new PointerScope()) {
      Frame out = run(new Frame(OpenCvImages.toBgr(rgb), null), draw);
      chw = ImageNetNormalize.toChw(out.image());
    }
    return Nd4j.create(chw, new long[] {1, 3, size, size}, DataType.FLOAT);
  }

  @Override
  public ImageAndMask apply(BufferedImage rgb, BufferedImage mask, long draw) {
    if (rgb.getWidth() != mask.getWidth() || rgb.getHeight() != mask.getHeight()) {
      throw new IllegalArgumentException("Mask size " + mask.getWidth() + "x" + mask.getHeight()
          + " differs from image size " + rgb.getWidth() + "x" + rgb.getHeight());
    }
    float[] chw;
    float[] m;
    try (PointerScope scope = new PointerScope()) {
      Frame out = run(new Frame(OpenCvImages.toBgr(rgb), OpenCvImages.toGray(mask)), draw);
      chw = ImageNetNormalize.toChw(out.image());
      m = ImageNetNormalize.maskToFloats(out.mask());
    }
    return new ImageAndMask(Nd4j.create(chw, new long[] {1, 3, size, size}, DataType.FLOAT),
        Nd4j.create(m, new long[] {1, 1, size, size}, DataType.FLOAT));
  }

  private Frame run(Frame frame, long draw) {
    Random rnd = new Random(mix(seed, draw));
    Frame f = frame;
    for (Stage s : stages) {
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

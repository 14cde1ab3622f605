package org.fundus4j.networks.inference;

import java.util.Objects;
import org.fundus4j.networks.onnx.ActivationRanges;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Rint;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * What an int8 export's {@code QuantizeLinear -> DequantizeLinear} pair does to a tensor, as a DL4J activation
 * for quantisation-aware training: {@code y = (clamp(rint(x / scale) + zeroPoint, 0, 255) - zeroPoint) * scale},
 * in float32 with ties to even, as ONNX Runtime's {@code QuantizeLinear} rounds; the scale and zero point are the
 * export's ({@link ActivationRanges.Range#uint8Scale()}, {@link ActivationRanges.Range#uint8ZeroPoint()}).
 *
 * <p>Its gradient is the straight-through estimator: the incoming gradient where {@code x} lies inside the
 * representable range {@code [(0 - zeroPoint) * scale, (255 - zeroPoint) * scale]}, 0 where it is clipped.
 */
public final class FakeQuantization extends BaseActivationFunction {
  private final float scale;
  private final int zeroPoint;

  /** The quantisation of an int8 export for {@code range}. */
  public FakeQuantization(ActivationRanges.Range range) {
    this(Objects.requireNonNull(range, "range").uint8Scale(), range.uint8ZeroPoint());
  }

  @JsonCreator
  public FakeQuantization(@JsonProperty("scale") float scale, @JsonProperty("zeroPoint") int zeroPoint) {
    if (!(scale > 0) || !Float.isFinite(scale) || zeroPoint < 0 || zeroPoint > 255) {
      throw new IllegalArgumentException("uint8 quantisation needs a finite scale > 0 and a zero point in 0..255, "
          + "got " + scale + " and " + zeroPoint);
    }
    this.scale = scale;
    this.zeroPoint = zeroPoint;
  }

  @JsonProperty("scale")
  public float scale() {
    return scale;
  }

  @JsonProperty("zeroPoint")
  public int zeroPoint() {
    return zeroPoint;
  }

  /** The smallest value the quantised tensor holds, {@code -zeroPoint * scale}. */
  public float lowest() {
    return (0 - zeroPoint) * scale;
  }

  /** The largest value the quantised tensor holds, {@code (255 - zeroPoint) * scale}. */
  public float highest() {
    return (255 - zeroPoint) * scale;
  }

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    // in place, as DL4J's activations are: in inference its ActivationLayer hands over its input itself
    in.divi(scale);
    Nd4j.exec(new Rint(in, in));
    in.addi(zeroPoint);
    Transforms.max(in, 0, false);
    Transforms.min(in, 255, false);
    return in.subi(zeroPoint).muli(scale);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    assertShape(in, epsilon);
    INDArray inside = in.gte(lowest()).castTo(in.dataType()).muli(in.lte(highest()).castTo(in.dataType()));
    return new Pair<>(inside.muli(epsilon), null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FakeQuantization f && f.scale == scale && f.zeroPoint == zeroPoint;
  }

  @Override
  public int hashCode() {
    return Objects.hash(scale, zeroPoint);
  }

  @Override
  public String toString() {
    return "fakequant(scale=" + scale + ", zeroPoint=" + zeroPoint + ")";
  }
}

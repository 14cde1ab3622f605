package org.fundus4j.networks.torch;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The tensors of a PyTorch checkpoint by state-dict key ({@code "layer1.0.conv1.weight"}), in file order.
 *
 * <p>Tensors are copied out of the file's storages on each {@link #get(String)}; {@link #shape(String)}
 * and {@link #dtype(String)} do not copy. Obtain one with {@link TorchCheckpoint#read(java.nio.file.Path)}.
 *
 * <pre>{@code
 * StateDict sd = TorchCheckpoint.read(path);
 * for (String key : sd.keys()) System.out.println(key + " " + Arrays.toString(sd.shape(key)));
 * }</pre>
 */
public final class StateDict {
  private final Map<String, TensorRef> tensors;
  private final String format;

  StateDict(Map<String, TensorRef> tensors, String format) {
    this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    this.format = format;
  }

  /** The keys in file order. */
  public List<String> keys() {
    return List.copyOf(tensors.keySet());
  }

  /** Whether the state dict has this key. */
  public boolean contains(String key) {
    return tensors.containsKey(key);
  }

  /**
   * A fresh C-order copy of the tensor: FLOAT for float32/16/bfloat16, DOUBLE for float64, LONG for int64,
   * INT for the smaller integer types and bool. 0-d tensors are rank-0 arrays.
   */
  public INDArray get(String key) {
    return ref(key).materialize();
  }

  /** The tensor's PyTorch size, e.g. {@code [64, 3, 7, 7]}; {@code []} for a 0-d tensor. */
  public long[] shape(String key) {
    return ref(key).size.clone();
  }

  /** The PyTorch dtype name, e.g. {@code "float32"}, {@code "int64"}. */
  public String dtype(String key) {
    return ref(key).storage.dtype.pythonName;
  }

  /** Number of elements summed over all tensors. */
  public long elementCount() {
    return tensors.values().stream().mapToLong(TensorRef::numel).sum();
  }

  /**
   * How the file was laid out, e.g. {@code "zip, state_dict"}, {@code "legacy, checkpoint['state_dict'],
   * state_dict"} or {@code "zip, pickled module torch.nn.parallel.data_parallel.DataParallel, 'module.' prefix
   * removed"}.
   */
  public String format() {
    return format;
  }

  private TensorRef ref(String key) {
    TensorRef t = tensors.get(key);
    if (t == null) {
      throw new IllegalArgumentException("No tensor '" + key + "' in state dict (" + tensors.size()
          + " keys, format " + format + ")");
    }
    return t;
  }

  @Override
  public String toString() {
    return "StateDict[" + tensors.size() + " tensors, " + format + "]";
  }

  static String shapeString(long[] shape) {
    return Arrays.toString(shape);
  }
}

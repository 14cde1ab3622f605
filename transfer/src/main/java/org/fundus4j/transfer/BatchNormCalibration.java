package org.fundus4j.transfer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Re-estimates the running mean and variance of every BatchNorm layer of a graph from sample images.
 *
 * <p>Why: DL4J runs frozen layers in inference mode, so a randomly initialised ResNet-50 frozen for
 * linear probing normalises with its initial statistics (mean 0, variance 1) and its activations grow
 * through 50 layers until they overflow to NaN. Setting each layer's statistics to those of its real
 * inputs makes the frozen "Scratch" backbone produce finite features, as PyTorch users get by running a
 * few batches in {@code train()} mode before {@code eval()}.
 *
 * <p>How: one training-mode forward pass per batch normalises every BatchNorm layer with the statistics
 * of the batch itself, so the inputs it records for each layer are exactly those the layer sees once its
 * running statistics equal the batch statistics. The statistics of several batches are averaged,
 * weighted by batch size; the variance is the biased one that training mode normalises with.
 *
 * <pre>{@code
 * BatchNormCalibration.reestimate(graph, List.of(imagesNchw));
 * }</pre>
 */
public final class BatchNormCalibration {

  private BatchNormCalibration() {}

  /**
   * Sets every BatchNorm layer's running statistics from the given image batches ([N, C, H, W]).
   *
   * @return the names of the layers that were re-estimated, in topological order
   */
  public static List<String> reestimate(ComputationGraph graph, List<INDArray> batches) {
    if (batches.isEmpty()) {
      throw new IllegalArgumentException("BatchNorm re-estimation needs at least one batch of images");
    }
    ComputationGraphConfiguration conf = graph.getConfiguration();
    Map<String, String> inputOf = new LinkedHashMap<>();
    for (String name : conf.getTopologicalOrderStr()) {
      if (conf.getVertices().get(name) instanceof LayerVertex vertex
          && unwrap(vertex.getLayerConf().getLayer()) instanceof BatchNormalization) {
        List<String> inputs = conf.getVertexInputs().get(name);
        inputOf.put(name, inputs.get(0));
      }
    }
    Map<String, INDArray> sums = new LinkedHashMap<>();
    Map<String, INDArray> squareSums = new LinkedHashMap<>();
    Map<String, Double> counts = new LinkedHashMap<>();
    for (INDArray batch : batches) {
      Map<String, INDArray> activations = graph.feedForward(batch, true);
      for (Map.Entry<String, String> e : inputOf.entrySet()) {
        INDArray x = activations.get(e.getValue()).castTo(DataType.DOUBLE);
        int[] reduce = x.rank() == 4 ? new int[] {0, 2, 3} : new int[] {0};
        sums.merge(e.getKey(), x.sum(reduce).reshape(-1), INDArray::addi);
        squareSums.merge(e.getKey(), x.mul(x).sum(reduce).reshape(-1), INDArray::addi);
        counts.merge(e.getKey(), (double) (x.length() / x.size(1)), Double::sum);
      }
      graph.clearLayersStates();
    }
    List<String> done = new ArrayList<>();
    for (String name : inputOf.keySet()) {
      double n = counts.get(name);
      INDArray mean = sums.get(name).div(n);
      INDArray var = squareSums.get(name).div(n).subi(mean.mul(mean));
      setStatistics(graph, name, mean, Transforms.max(var, 0.0, false));
      done.add(name);
    }
    return done;
  }

  private static void setStatistics(ComputationGraph graph, String layer, INDArray mean, INDArray var) {
    Map<String, INDArray> params = graph.getLayer(layer).paramTable();
    BatchNormalization conf = (BatchNormalization) unwrap(graph.getLayer(layer).conf().getLayer());
    INDArray target = params.get(BatchNormalizationParamInitializer.GLOBAL_MEAN);
    target.assign(mean.reshape(target.shape()).castTo(target.dataType()));
    if (params.containsKey(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)) {
      INDArray logStd = params.get(BatchNormalizationParamInitializer.GLOBAL_LOG_STD);
      INDArray std = Transforms.sqrt(var.add(conf.getEps()), true);
      logStd.assign(Transforms.log(std, 10.0, true).reshape(logStd.shape()).castTo(logStd.dataType()));
    } else {
      INDArray v = params.get(BatchNormalizationParamInitializer.GLOBAL_VAR);
      v.assign(var.reshape(v.shape()).castTo(v.dataType()));
    }
  }

  private static Layer unwrap(Layer layer) {
    return org.fundus4j.networks.Frozen.unwrap(layer);
  }
}

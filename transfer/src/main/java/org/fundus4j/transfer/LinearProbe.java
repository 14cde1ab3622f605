package org.fundus4j.transfer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.inference.Featurizer;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.deeplearning4j.nn.transferlearning.FineTuneConfiguration;
import org.deeplearning4j.nn.transferlearning.TransferLearning;
import org.deeplearning4j.nn.transferlearning.TransferLearningHelper;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.learning.config.IUpdater;
import org.fundus4j.networks.LayerHelpers;

/**
 * Linear probing (LP): the backbone is frozen and only the head is trained, as in the paper's LP rows.
 *
 * <p>The backbone runs once per image: {@link #train} featurizes the training set through the frozen
 * layers (up to and including {@code featureLayer}) and fits the head on the cached features for every
 * epoch, so an LP epoch costs a small fraction of a fine-tuning epoch. Frozen layers always run in
 * inference mode in DL4J; a backbone whose BatchNorm statistics were never estimated (the Scratch start)
 * must go through {@link BatchNormCalibration#reestimate} first.
 *
 * <pre>{@code
 * ComputationGraph model = LinearProbe.freeze(pretrained, ResNet50.FEATURES, new Adam(1e-3), 42);
 * LinearProbe.train(model, ResNet50.FEATURES, trainIterator, 10, EpochListener.none());
 * }</pre>
 *
 * <p>For a training loop of one's own (early stopping, checkpoints), the same steps are public:
 * {@link #featurize} once, train {@link #head} on the cached features, then {@link #setHead}.
 */
public final class LinearProbe {

  private LinearProbe() {}

  /**
   * Returns a copy of {@code pretrained} whose layers up to {@code featureLayer} are frozen and whose head
   * trains with {@code updater}.
   */
  public static ComputationGraph freeze(ComputationGraph pretrained, String featureLayer, IUpdater updater,
      long seed) {
    FineTuneConfiguration fineTune = new FineTuneConfiguration.Builder().updater(updater).seed(seed).build();
    ComputationGraph frozen = new TransferLearning.GraphBuilder(pretrained)
        .fineTuneConfiguration(fineTune)
        .setFeatureExtractor(featureLayer)
        .build();
    LayerHelpers.installIfOneDnn(frozen);
    return frozen;
  }

  /**
   * Runs every image of {@code images} once through the frozen layers of {@code frozen} (up to and
   * including {@code featureLayer}) and returns the features ({@code [N, 2048]} for ResNet-50) with their
   * labels, in iterator order.
   *
   * @param imagesDone called after each batch with the number of images featurized so far
   */
  public static DataSet featurize(ComputationGraph frozen, String featureLayer, DataSetIterator images,
      IntConsumer imagesDone) {
    return DataSet.merge(featurizeBatches(frozen, featureLayer, images, imagesDone));
  }

  /**
   * The features batch by batch, through ONNX Runtime on fundus4j's own export of the frozen graph (with the
   * feature layer as an extra output; about 5x DL4J's forward at 224 px, within 1e-4 of the largest feature), or
   * DL4J's forward up to {@code featureLayer} where ONNX Runtime is missing or the graph cannot be exported (see
   * {@link Featurizer}). {@code TransferLearningHelper.featurize} keeps every activation of the graph detached,
   * and one of its batches (8 images, 224 px) once took 85 s instead of 9-10 s.
   */
  private static List<DataSet> featurizeBatches(ComputationGraph frozen, String featureLayer,
      DataSetIterator images, IntConsumer imagesDone) {
    List<DataSet> features = new ArrayList<>();
    int done = 0;
    images.reset();
    try (Featurizer featurizer = Featurizer.of(frozen, featureLayer)) {
      while (images.hasNext()) {
        DataSet batch = images.next();
        features.add(new DataSet(featurizer.apply(batch.getFeatures()), batch.getLabels()));
        done += batch.numExamples();
        imagesDone.accept(done);
      }
    }
    if (features.isEmpty()) {
      throw new IllegalArgumentException("Linear probing got no images to featurize");
    }
    return features;
  }

  /**
   * Returns the trainable part of {@code frozen} as a graph of its own whose input is the output of
   * {@code featureLayer}: fit it on {@link #featurize featurized} data, then {@link #setHead copy} it back.
   */
  public static ComputationGraph head(ComputationGraph frozen, String featureLayer) {
    return new TransferLearningHelper(frozen, featureLayer).unfrozenGraph();
  }

  /** Copies the parameters of every layer of {@code head} into the layer of the same name in {@code frozen}. */
  public static void setHead(ComputationGraph frozen, ComputationGraph head) {
    for (GraphVertex vertex : head.getVertices()) {
      if (!vertex.hasLayer() || vertex.getLayer().numParams() == 0) {
        continue;
      }
      org.deeplearning4j.nn.api.Layer target = frozen.getLayer(vertex.getVertexName());
      if (target == null || target.numParams() != vertex.getLayer().numParams()) {
        throw new IllegalArgumentException("Head layer '" + vertex.getVertexName()
            + "' has no counterpart of the same size in the frozen model");
      }
      target.setParams(vertex.getLayer().params());
    }
  }

  /**
   * Trains the head of a model made by {@link #freeze} on cached backbone features.
   *
   * @param train images [N, 3, H, W] with labels; read once
   * @return the mean training loss of each epoch
   */
  public static List<Double> train(ComputationGraph frozen, String featureLayer, DataSetIterator train,
      int epochs, EpochListener listener) {
    TransferLearningHelper helper = new TransferLearningHelper(frozen, featureLayer);
    List<DataSet> features = featurizeBatches(frozen, featureLayer, train, n -> {});
    int batchSize = features.get(0).numExamples();
    List<DataSet> examples = new ArrayList<>();
    for (DataSet batch : features) {
      examples.addAll(batch.asList());
    }
    ComputationGraph head = helper.unfrozenGraph();
    List<Double> losses = new ArrayList<>();
    for (int epoch = 0; epoch < epochs; epoch++) {
      ListDataSetIterator<DataSet> cached = new ListDataSetIterator<>(examples, batchSize);
      double sum = 0;
      int batches = 0;
      while (cached.hasNext()) {
        DataSet batch = cached.next();
        helper.fitFeaturized(batch);
        double loss = head.score();
        sum += loss;
        batches++;
        listener.batchDone(epoch, batches, loss);
      }
      double mean = sum / batches;
      losses.add(mean);
      listener.epochDone(epoch, mean);
    }
    return losses;
  }
}

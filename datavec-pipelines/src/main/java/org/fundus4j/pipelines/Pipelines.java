package org.fundus4j.pipelines;

import java.util.ArrayList;
import java.util.List;
import org.fundus4j.pipelines.augment.Clahe;
import org.fundus4j.pipelines.augment.GaussianBlur;
import org.fundus4j.pipelines.augment.Grayscale;
import org.fundus4j.pipelines.augment.HorizontalFlip;
import org.fundus4j.pipelines.preprocess.BorderCrop;
import org.fundus4j.pipelines.preprocess.Normalization;
import org.fundus4j.pipelines.preprocess.PadToSquare;
import org.fundus4j.pipelines.preprocess.Resize;

/**
 * The two named fundus pipelines: training (with seeded augmentation) and evaluation (without).
 *
 * <p>Both crop the black border around the fundus disc, pad to a square, resize to {@code size} and
 * normalise with ImageNet mean/std into {@code [1, 3, size, size]} float RGB. Training then adds, each with
 * its own probability: horizontal flip, grayscale, Gaussian blur, CLAHE (see {@link Augmentations}).
 * They are two methods on purpose: an evaluation set must never go through augmentation by a flag left on.
 *
 * <pre>{@code
 * FundusPipeline train = Pipelines.training(512, 42);
 * FundusPipeline eval = Pipelines.evaluation(512);
 * }</pre>
 */
public final class Pipelines {

  private Pipelines() {}

  /** Returns the training pipeline with the {@link Augmentations#defaults() default} augmentations. */
  public static FundusPipeline training(int size, long seed) {
    return training(size, seed, Augmentations.defaults());
  }

  /** Returns the training pipeline with the given augmentation probabilities. */
  public static FundusPipeline training(int size, long seed, Augmentations aug) {
    List<Stage> stages = new ArrayList<>(preprocessing(size));
    stages.add(new HorizontalFlip(aug.flip()));
    stages.add(new Grayscale(aug.grayscale()));
    stages.add(new GaussianBlur(aug.blur(), 0.1, 2.0));
    stages.add(new Clahe(aug.clahe()));
    return new StagedPipeline("training", size, seed, true, stages);
  }

  /** Returns the evaluation pipeline: preprocessing and ImageNet normalisation only, no randomness. */
  public static FundusPipeline evaluation(int size) {
    return evaluation(size, Normalization.IMAGENET);
  }

  /**
   * Returns the evaluation pipeline with a model's own mean and standard deviation (its model card's), e.g. for
   * screening with a model trained on other statistics than ImageNet's.
   */
  public static FundusPipeline evaluation(int size, Normalization normalization) {
    return new StagedPipeline("evaluation", size, 0L, false, preprocessing(size), normalization);
  }

  /** Returns a pipeline of the caller's own stages, ending in normalisation (last stage must produce size). */
  public static FundusPipeline custom(String name, int size, long seed, List<Stage> stages) {
    return new StagedPipeline(name, size, seed, true, stages);
  }

  private static List<Stage> preprocessing(int size) {
    return List.of(new BorderCrop(), new PadToSquare(), new Resize(size));
  }
}

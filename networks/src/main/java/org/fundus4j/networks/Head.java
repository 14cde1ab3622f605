package org.fundus4j.networks;

/**
 * The classifier placed on the 2048-wide pooled ResNet-50 features.
 *
 * <p>Three heads are supported, each mapped onto torchvision's {@code fc} module so that PyTorch
 * weights load one-to-one (see {@link ResNet50} for the layer-name table):
 * <ul>
 *   <li>{@link #linear(int)}: {@code fc = Linear(2048, n)}, softmax output, multi-class cross-entropy;</li>
 *   <li>{@link #multiLabel(int)}: {@code fc = Linear(2048, n)}, sigmoid output, binary cross-entropy from the logits
 *       ({@link SigmoidCrossEntropy}, as PyTorch's {@code BCEWithLogitsLoss})
 *       per label;</li>
 *   <li>{@link #paper(int)}: the head of Jang et al. (arXiv 2408.08790),
 *       {@code fc = Sequential(Linear(2048, 512), BatchNorm1d(512), ReLU(), Linear(512, n))},
 *       softmax output.</li>
 * </ul>
 *
 * <pre>{@code
 * ComputationGraph net = ResNet50.build(Head.paper(2), 42);
 * }</pre>
 */
public sealed interface Head permits Head.Linear, Head.MultiLabel, Head.Paper {

  /** Width of the hidden layer of {@link #paper(int)}. */
  int PAPER_HIDDEN = 512;

  /** Number of network outputs (classes or labels). */
  int outputs();

  /** A single {@code Linear(2048, classes)} with softmax output. */
  static Head linear(int classes) {
    return new Linear(classes);
  }

  /** A single {@code Linear(2048, labels)} with one independent sigmoid per label. */
  static Head multiLabel(int labels) {
    return new MultiLabel(labels);
  }

  /** The paper's {@code Linear(2048,512) -> BatchNorm1d(512) -> ReLU -> Linear(512,classes)}, softmax. */
  static Head paper(int classes) {
    return new Paper(classes);
  }

  /** Softmax head over {@code classes} mutually exclusive classes. */
  record Linear(int classes) implements Head {
    public Linear {
      requireAtLeast(classes, 2, "classes of a linear softmax head");
    }

    @Override
    public int outputs() {
      return classes;
    }
  }

  /** Sigmoid head over {@code labels} independent labels. */
  record MultiLabel(int labels) implements Head {
    public MultiLabel {
      requireAtLeast(labels, 1, "labels of a multi-label head");
    }

    @Override
    public int outputs() {
      return labels;
    }
  }

  /** The paper's two-layer head with softmax over {@code classes}. */
  record Paper(int classes) implements Head {
    public Paper {
      requireAtLeast(classes, 2, "classes of the paper head");
    }

    @Override
    public int outputs() {
      return classes;
    }
  }

  private static void requireAtLeast(int value, int min, String what) {
    if (value < min) {
      throw new IllegalArgumentException("Number of " + what + " must be >= " + min + ", got " + value);
    }
  }
}

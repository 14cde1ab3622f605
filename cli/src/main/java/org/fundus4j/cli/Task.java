package org.fundus4j.cli;

import java.util.Locale;
import org.fundus4j.pipelines.LabelKind;

/** What a trained model predicts; the words of {@code --task} and of the model card. */
enum Task {
  /** Normal/abnormal, softmax over two classes; validated by AUC. */
  BINARY("binary", "binary", LabelKind.BINARY, "AUC"),
  /** One sigmoid per label column (the paper's seven diseases); validated by the macro AUC over labels. */
  MULTILABEL("multilabel", "multi-label", LabelKind.MULTI_LABEL, "macro AUC"),
  /** Vessel segmentation with a U-Net and Dice loss; validated by the mean per-image Dice. */
  SEGMENTATION("segmentation", "segmentation", LabelKind.SEGMENTATION, "Dice");

  private final String word;
  private final String cardName;
  private final LabelKind kind;
  private final String metric;

  Task(String word, String cardName, LabelKind kind, String metric) {
    this.word = word;
    this.cardName = cardName;
    this.kind = kind;
    this.metric = metric;
  }

  /** The task's name in model cards ({@code binary}, {@code multi-label}, {@code segmentation}). */
  String cardName() {
    return cardName;
  }

  /** How the data pipelines shape this task's labels. */
  LabelKind kind() {
    return kind;
  }

  /** The validation score that early stopping watches. */
  String metric() {
    return metric;
  }

  /** Parses {@code --task}. */
  static Task parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT).replace("-", "");
    for (Task t : values()) {
      if (t.word.equals(key)) {
        return t;
      }
    }
    throw new IllegalArgumentException("--task must be binary, multilabel or segmentation, got '" + text + "'");
  }
}

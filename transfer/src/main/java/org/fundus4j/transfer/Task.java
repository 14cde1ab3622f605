package org.fundus4j.transfer;

import java.util.Locale;
import org.fundus4j.pipelines.LabelKind;

/**
 * What a trained model predicts; the words of {@code --task}, of grid files and of the model card.
 *
 * <pre>{@code Task t = Task.parse("multilabel");   // t.cardName() == "multi-label"}</pre>
 */
public enum Task {
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
  public String cardName() {
    return cardName;
  }

  /** How the data pipelines shape this task's labels. */
  public LabelKind kind() {
    return kind;
  }

  /**
   * The network's output width for {@code labels} label columns: 2 for binary (softmax over normal/abnormal), 1
   * for segmentation (the vessel map), one sigmoid per label for multi-label.
   */
  public int outputs(int labels) {
    return this == BINARY ? 2 : this == SEGMENTATION ? 1 : labels;
  }

  /** The validation score that early stopping watches. */
  public String metric() {
    return metric;
  }

  /** The word of {@code --task} and grid files: {@code binary}, {@code multilabel} or {@code segmentation}. */
  public String word() {
    return word;
  }

  /** The task whose model-card name is {@code cardName}, e.g. {@code multi-label}. */
  public static Task ofCardName(String cardName) {
    for (Task t : values()) {
      if (t.cardName.equals(cardName)) {
        return t;
      }
    }
    throw new IllegalArgumentException("Unknown task in model card: '" + cardName
        + "'; expected binary, multi-label or segmentation");
  }

  /** Parses {@code --task} (also accepts the model-card names, e.g. {@code multi-label}). */
  public static Task parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT).replace("-", "");
    for (Task t : values()) {
      if (t.word.equals(key)) {
        return t;
      }
    }
    throw new IllegalArgumentException("--task must be binary, multilabel or segmentation, got '" + text + "'");
  }
}

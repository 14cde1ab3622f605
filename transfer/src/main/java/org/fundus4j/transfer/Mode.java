package org.fundus4j.transfer;

import java.util.Locale;

/**
 * How a network trains: the paper's two downstream protocols and upstream pretraining.
 *
 * <pre>{@code Mode m = Mode.parse("lp");   // m.cardName() == "LP"}</pre>
 */
public enum Mode {
  /** Upstream pretraining: every layer, binary normal/abnormal ({@code fundus pretrain}). */
  UPSTREAM("upstream"),
  /** Linear probing: frozen backbone (or U-Net encoder), new head (decoder) trained. */
  LP("LP"),
  /** Fine-tuning: every layer trains. */
  FT("FT");

  private final String cardName;

  Mode(String cardName) {
    this.cardName = cardName;
  }

  /** The mode's name in model cards, grid files and reports: {@code upstream}, {@code LP} or {@code FT}. */
  public String cardName() {
    return cardName;
  }

  /** Parses {@code lp}, {@code ft} or {@code upstream}, in any case. */
  public static Mode parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT);
    for (Mode m : values()) {
      if (m.cardName.toLowerCase(Locale.ROOT).equals(key)) {
        return m;
      }
    }
    throw new IllegalArgumentException("Mode must be LP, FT or upstream, got '" + text + "'");
  }
}

package org.fundus4j.networks.torch;

import java.util.List;

/**
 * What {@link TorchWeights#load} did, in the terms of PyTorch's {@code load_state_dict(strict=False)}.
 *
 * @param missingKeys keys the network has but the state dict lacks (those weights keep their initialisation)
 * @param unexpectedKeys keys of the state dict that the network has no place for (ignored)
 */
public record LoadReport(List<String> missingKeys, List<String> unexpectedKeys) {
  public LoadReport {
    missingKeys = List.copyOf(missingKeys);
    unexpectedKeys = List.copyOf(unexpectedKeys);
  }

  /** True when every network weight was loaded and nothing was left over, as {@code strict=True} requires. */
  public boolean isExact() {
    return missingKeys.isEmpty() && unexpectedKeys.isEmpty();
  }
}

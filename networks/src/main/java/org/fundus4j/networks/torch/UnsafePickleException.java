package org.fundus4j.networks.torch;

import java.io.IOException;

/**
 * Thrown when a checkpoint's pickle names a Python global that is not a known tensor, storage or
 * {@code torch.nn} module class; nothing named in the file is ever executed or instantiated.
 */
public final class UnsafePickleException extends IOException {
  private static final long serialVersionUID = 1L;
  private final String global;

  UnsafePickleException(String source, String global) {
    super("Refusing to load " + source + ": its pickle names the Python global '" + global
        + "', which is not a PyTorch tensor, storage or module class. A PyTorch checkpoint never needs it; "
        + "the file may be tampered with. Nothing was executed.");
    this.global = global;
  }

  /** The offending global as {@code module.name}, e.g. {@code os.system}. */
  public String global() {
    return global;
  }
}

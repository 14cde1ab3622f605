package org.fundus4j.dicom.store;

import java.io.IOException;

/**
 * An instance the store will not keep because what it says about itself cannot be trusted (e.g. a SOP
 * Instance UID with a newline); the message names the attribute and the problem, never the raw value.
 */
public final class RefusedInstanceException extends IOException {
  private static final long serialVersionUID = 1L;

  /** @param reason e.g. "SOP Instance UID uid#1a2b3c4d is not a valid DICOM UID ...: it contains ..." */
  public RefusedInstanceException(String reason) {
    super(reason);
  }
}

package org.fundus4j.dicom.net;

import java.util.OptionalInt;

/**
 * A DICOM or DICOMweb exchange with a peer failed: refused connection, rejected association,
 * timeout, or a failure status in the response.
 *
 * <p>Like dcm4che's {@code DicomServiceException}, it carries the status the peer sent when there
 * was one: a DIMSE status (PS3.7 annex C, e.g. {@code 0xA700} "out of resources") or an HTTP status
 * code for DICOMweb. Messages name the host, port and both AE titles so the administrator knows
 * which side to fix.
 */
public class PacsException extends Exception {

  private static final long serialVersionUID = 1L;

  private final Integer status;

  /** An error without a status from the peer (no connection, no association, timeout). */
  public PacsException(String message, Throwable cause) {
    super(message, cause);
    this.status = null;
  }

  /** An error the peer reported with {@code status} (DIMSE status or HTTP status code). */
  public PacsException(String message, int status, Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The DIMSE or HTTP status sent by the peer, empty when the peer never answered. */
  public OptionalInt status() {
    return status == null ? OptionalInt.empty() : OptionalInt.of(status);
  }
}

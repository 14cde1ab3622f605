package org.fundus4j.dicom.node;

import java.net.URI;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomTls;
import org.fundus4j.dicom.net.DicomWebAuth;
import org.fundus4j.dicom.net.PacsAddress;

/**
 * Where the node sends each SR: a DICOM AE by C-STORE, or a DICOMweb service by STOW-RS.
 *
 * <pre>{@code
 * SrDestination.cStore(PacsAddress.parse("ORTHANC@10.0.0.5:4242"), AeTitle.of("FUNDUSNODE"));
 * SrDestination.stowRs(URI.create("https://pacs/dicom-web/"), DicomWebAuth.bearer(token));
 * }</pre>
 */
public sealed interface SrDestination {

  /** C-STORE to {@code pacs}, calling as {@code callingAe}. */
  static SrDestination cStore(PacsAddress pacs, AeTitle callingAe) {
    return new CStore(pacs, callingAe, null);
  }

  /** C-STORE over DICOM TLS to {@code pacs} (see {@link DicomTls}), calling as {@code callingAe}. */
  static SrDestination cStore(PacsAddress pacs, AeTitle callingAe, DicomTls tls) {
    return new CStore(pacs, callingAe, tls);
  }

  /** STOW-RS to the DICOMweb service at {@code root}. */
  static SrDestination stowRs(URI root, DicomWebAuth auth) {
    return new StowRs(root, auth);
  }

  /**
   * C-STORE destination.
   *
   * @param pacs the receiving AE
   * @param callingAe our AE title on that association
   * @param tls DICOM TLS settings, or {@code null} for plain DICOM
   */
  record CStore(PacsAddress pacs, AeTitle callingAe, DicomTls tls) implements SrDestination {
    /** Requires both values. */
    public CStore {
      if (pacs == null || callingAe == null) {
        throw new IllegalArgumentException("C-STORE destination needs the PACS address and our calling AE title");
      }
    }

    @Override
    public String toString() {
      return "C-STORE to " + pacs + " as " + callingAe + (tls == null ? "" : " over TLS");
    }
  }

  /**
   * STOW-RS destination.
   *
   * @param root DICOMweb root URL
   * @param auth authentication
   */
  record StowRs(URI root, DicomWebAuth auth) implements SrDestination {
    /** Requires both values. */
    public StowRs {
      if (root == null || auth == null) {
        throw new IllegalArgumentException("STOW-RS destination needs the root URL and an auth (DicomWebAuth.none())");
      }
    }

    @Override
    public String toString() {
      return "STOW-RS to " + root;
    }
  }
}

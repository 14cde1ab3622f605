package org.fundus4j.dicom;

import com.pixelmed.dicom.SOPClassDescriptions;
import com.pixelmed.dicom.TransferSyntax;
import java.util.Objects;

/**
 * Human-readable names of SOP class and transfer syntax UIDs, for reports such as
 * {@code fundus dicom check}.
 *
 * <pre>{@code
 * UidNames.sopClass("1.2.840.10008.5.1.4.1.1.77.1.5.1");   // "Ophthalmic Photography 8 Bit Image Storage"
 * UidNames.transferSyntax("1.2.840.10008.1.2.4.50");       // "JPEG Baseline"
 * }</pre>
 */
public final class UidNames {
  private UidNames() {}

  /**
   * Returns the PS3.6 name of a SOP class, or the UID itself when it is not known.
   *
   * @param sopClassUid a SOP Class UID
   * @return e.g. {@code "Secondary Capture Image Storage"}
   */
  public static String sopClass(String sopClassUid) {
    Objects.requireNonNull(sopClassUid, "sopClassUid");
    String name = SOPClassDescriptions.getDescriptionFromUID(sopClassUid);
    return name == null || name.isBlank() ? sopClassUid : name;
  }

  /**
   * Returns the name of a transfer syntax, or the UID itself when it is not known.
   *
   * @param transferSyntaxUid a Transfer Syntax UID
   * @return e.g. {@code "RLE Lossless"}
   */
  public static String transferSyntax(String transferSyntaxUid) {
    Objects.requireNonNull(transferSyntaxUid, "transferSyntaxUid");
    if (transferSyntaxUid.isBlank()) {
      return transferSyntaxUid;
    }
    String name = new TransferSyntax(transferSyntaxUid).getDescription();
    return name == null || name.isBlank() || name.equals("Unrecognized") ? transferSyntaxUid : name;
  }
}

package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UidNamesTests {

  @Test
  void namesOfTheSopClassesAndTransferSyntaxesWeRead() {
    assertEquals("Ophthalmic Photography 8 Bit Image Storage", UidNames.sopClass("1.2.840.10008.5.1.4.1.1.77.1.5.1"));
    assertEquals("Visible Light Photographic Image Storage", UidNames.sopClass("1.2.840.10008.5.1.4.1.1.77.1.4"));
    assertEquals("Comprehensive 3D SR Storage", UidNames.sopClass("1.2.840.10008.5.1.4.1.1.88.34"));
    assertEquals("JPEG Baseline", UidNames.transferSyntax("1.2.840.10008.1.2.4.50"));
    assertEquals("JPEG Lossless SV1", UidNames.transferSyntax("1.2.840.10008.1.2.4.70"));
    assertEquals("RLE Lossless", UidNames.transferSyntax("1.2.840.10008.1.2.5"));
    assertEquals("JPEG 2000 Lossless Only", UidNames.transferSyntax("1.2.840.10008.1.2.4.90"));
  }

  @Test
  void unknownUidsComeBackUnchanged() {
    assertEquals("1.2.3.4", UidNames.sopClass("1.2.3.4"));
    assertEquals("1.2.3.4", UidNames.transferSyntax("1.2.3.4"));
    assertEquals("", UidNames.transferSyntax(""));
  }
}

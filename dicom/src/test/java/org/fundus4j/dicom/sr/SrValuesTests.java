package org.fundus4j.dicom.sr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The value records and UID generation of the sr package. */
class SrValuesTests {

  @Test
  void uuidDerivedUidMatchesTheWorkedExampleOfPs35() {
    // DICOM PS3.5 B.2 / ISO/IEC 9834-8 example.
    assertEquals("2.25.329800735698586629295641978511506172918",
        UidGenerator.fromUuid(UUID.fromString("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")));
    assertEquals("2.25.0", UidGenerator.fromUuid(new UUID(0, 0)));
  }

  @Test
  void generatedUidsAreValidUniqueAndNeverPixelMeds() {
    Set<String> seen = new HashSet<>();
    for (UidGenerator g : List.of(UidGenerator.uuidDerived(), UidGenerator.withRoot("1.2.3"),
        UidGenerator.withRoot("1.2.826.0.1.3680043.10.999.12345678901234"))) {
      for (int i = 0; i < 5000; i++) {
        String uid = g.next();
        assertTrue(UidGenerator.isValid(uid), uid);
        assertTrue(uid.startsWith(g.root() + "."), uid);
        assertFalse(uid.startsWith("1.3.6.1.4.1.5962."), uid);   // PixelMed's root
        assertTrue(seen.add(uid), "duplicate " + uid);
      }
    }
    assertEquals(15_000, seen.size());
  }

  @Test
  void uidSyntaxAndRootChecks() {
    assertTrue(UidGenerator.isValid("1.2.840.10008.1.2.1"));
    assertTrue(UidGenerator.isValid("0.0"));
    assertFalse(UidGenerator.isValid("1.02"));
    assertFalse(UidGenerator.isValid("1..2"));
    assertFalse(UidGenerator.isValid("1.2."));
    assertFalse(UidGenerator.isValid("1.2.a"));
    assertFalse(UidGenerator.isValid("1." + "1".repeat(63)));
    assertEquals("UID root must be digits and dots without leading zeros: '1.2.03'",
        assertThrows(IllegalArgumentException.class, () -> UidGenerator.withRoot("1.2.03")).getMessage());
    String longRoot = "1." + "2".repeat(42);
    assertEquals("UID root is 44 characters; at most 43 leave room for 20 unique digits: '" + longRoot + "'",
        assertThrows(IllegalArgumentException.class, () -> UidGenerator.withRoot(longRoot)).getMessage());
  }

  @Test
  void findingProbabilityMustBeInUnitInterval() {
    assertEquals(0.0, new Finding(Findings.AMD, 0.0).probability());
    assertEquals(1.0, new Finding(Findings.AMD, 1.0).probability());
    assertEquals("Probability must be in [0, 1], got 1.5 for Age related macular degeneration",
        assertThrows(IllegalArgumentException.class, () -> new Finding(Findings.AMD, 1.5)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Finding(Findings.AMD, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Finding(Findings.AMD, -0.01));
  }

  @Test
  void codedConceptChecksLengths() {
    assertEquals("Code Value (0008,0100) must be 1-16 characters without '\\', got '12345678901234567'",
        assertThrows(IllegalArgumentException.class,
            () -> new CodedConcept("12345678901234567", "SCT", "x")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CodedConcept("1", " ", "x"));
    assertThrows(IllegalArgumentException.class, () -> new CodedConcept("1", "SCT", "m".repeat(65)));
    assertTrue(Findings.GLAUCOMA_SUSPECT.isPrivateScheme());
    assertFalse(Findings.GLAUCOMA.isPrivateScheme());
  }

  @Test
  void paperLabelsAreInThePapersOrder() {
    assertEquals(List.of("Age related macular degeneration", "Glaucoma", "Glaucoma suspect",
        "Retinopathy due to diabetes mellitus", "Degenerative progressive high myopia", "Epiretinal membrane",
        "Retinal vein occlusion"), Findings.PAPER_LABELS.stream().map(CodedConcept::meaning).toList());
  }

  @Test
  void decimalStringsFitDs() {
    assertEquals("0.8734", ContentItem.decimalString(0.8734));
    assertEquals("1", ContentItem.decimalString(1.0));
    assertEquals("0", ContentItem.decimalString(0.0));
    assertEquals("0.333333333333", ContentItem.decimalString(1.0 / 3));
    assertTrue(ContentItem.decimalString(1.234567890123e-9).length() <= 16,
        ContentItem.decimalString(1.234567890123e-9));
    // a multi-label probability that dciodvfy refused as 0.000002473592758 (17 characters)
    assertEquals("0.00000247359276", ContentItem.decimalString(2.473592758e-6));
    assertEquals("1.00000000E-300", ContentItem.decimalString(1e-300));
  }
}

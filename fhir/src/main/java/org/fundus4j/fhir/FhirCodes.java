package org.fundus4j.fhir;

import java.util.Map;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Findings;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;

/**
 * DICOM coding scheme designators as FHIR code system URIs (FHIR R4 "Using Codes", terminologies page;
 * DICOM PS3.16 Section 8 and the HL7 DICOM SR to FHIR IG's use of {@code http://dicom.nema.org/resources/ontology/DCM}).
 *
 * <pre>{@code
 * Coding glaucoma = FhirCodes.coding(Findings.GLAUCOMA);   // http://snomed.info/sct | 23986001
 * }</pre>
 */
public final class FhirCodes {

  /** SNOMED CT. */
  public static final String SNOMED = "http://snomed.info/sct";
  /** DICOM Controlled Terminology (PS3.16 Annex D). */
  public static final String DCM = "http://dicom.nema.org/resources/ontology/DCM";
  /** UCUM. */
  public static final String UCUM = "http://unitsofmeasure.org";
  /**
   * fundus4j's private scheme {@value Findings#PRIVATE_SCHEME} as a URN (there is no registered URI; the
   * codes are listed in the dicom module's {@code docs/sr-codes.md}).
   */
  public static final String PRIVATE = "urn:fundus4j:codes:" + Findings.PRIVATE_SCHEME;
  /** Identifier system of DICOM UIDs, values written {@code urn:oid:<uid>} (FHIR R4 ImagingStudy, Identifier). */
  public static final String DICOM_UID = "urn:dicom:uid";

  private static final Map<String, String> SYSTEMS = Map.of(
      "SCT", SNOMED,
      "DCM", DCM,
      "LN", "http://loinc.org",
      "UCUM", UCUM,
      "RFC5646", "urn:ietf:bcp:47",
      Findings.PRIVATE_SCHEME, PRIVATE);

  private FhirCodes() {}

  /**
   * The FHIR code system URI of a DICOM Coding Scheme Designator.
   *
   * @throws IllegalArgumentException for a scheme this mapping does not know, naming it
   */
  public static String system(String codingSchemeDesignator) {
    String system = SYSTEMS.get(codingSchemeDesignator);
    if (system == null) {
      throw new IllegalArgumentException("No FHIR code system known for DICOM coding scheme '"
          + codingSchemeDesignator + "'; known: " + SYSTEMS.keySet());
    }
    return system;
  }

  /** The concept as a FHIR Coding: system from its scheme, code, display = Code Meaning. */
  public static Coding coding(CodedConcept concept) {
    return new Coding(system(concept.scheme()), concept.value(), concept.meaning());
  }

  /** The concept as a CodeableConcept with one coding and the Code Meaning as text. */
  public static CodeableConcept concept(CodedConcept concept) {
    return new CodeableConcept(coding(concept)).setText(concept.meaning());
  }
}

package org.fundus4j.dicom.sr;

import java.util.List;

/**
 * Coded concepts for the screening findings: "abnormal fundus" and the seven labels of
 * Jang et al. (arXiv 2408.08790) in the paper's order.
 *
 * <p>Codes are SNOMED CT ({@code SCT}) where a code was found in public value sets; see
 * {@code docs/sr-codes.md} in the dicom module for the sources and confidence. Where no code was
 * confirmed the private scheme {@value #PRIVATE_SCHEME} is used, which every report declares in
 * its Coding Scheme Identification Sequence.
 */
public final class Findings {
  /** Private coding scheme designator of fundus4j (PS3.16 8.2: private schemes start with 99). */
  public static final String PRIVATE_SCHEME = "99FUNDUS4J";
  /** Coding Scheme Name written for {@link #PRIVATE_SCHEME}. */
  public static final String PRIVATE_SCHEME_NAME = "fundus4j private codes";

  /**
   * Abnormal fundus, i.e. an abnormal result of fundus photography: SNOMED CT 408574004
   * "Imaging result abnormal" (in DICOM CID 3209); the report adds the finding site
   * (SCT 81745001 "Eye") and laterality.
   */
  public static final CodedConcept ABNORMAL_FUNDUS =
      new CodedConcept("408574004", "SCT", "Imaging result abnormal");
  /** Age-related macular degeneration: SCT 267718000. */
  public static final CodedConcept AMD =
      new CodedConcept("267718000", "SCT", "Age related macular degeneration");
  /** Glaucoma: SCT 23986001. */
  public static final CodedConcept GLAUCOMA = new CodedConcept("23986001", "SCT", "Glaucoma");
  /** Glaucoma suspect: no SNOMED CT code confirmed, private code. */
  public static final CodedConcept GLAUCOMA_SUSPECT =
      new CodedConcept("F4J-0002", PRIVATE_SCHEME, "Glaucoma suspect");
  /** Diabetic retinopathy feature ("DMR" in the paper's code): SCT 4855003. */
  public static final CodedConcept DIABETIC_RETINOPATHY =
      new CodedConcept("4855003", "SCT", "Retinopathy due to diabetes mellitus");
  /** Pathologic myopia: SCT 32022003 "Degenerative progressive high myopia". */
  public static final CodedConcept PATHOLOGIC_MYOPIA =
      new CodedConcept("32022003", "SCT", "Degenerative progressive high myopia");
  /** Epiretinal membrane (disorder): SCT 367649002. */
  public static final CodedConcept EPIRETINAL_MEMBRANE =
      new CodedConcept("367649002", "SCT", "Epiretinal membrane");
  /** Retinal vein occlusion: no SNOMED CT code confirmed, private code. */
  public static final CodedConcept RETINAL_VEIN_OCCLUSION =
      new CodedConcept("F4J-0003", PRIVATE_SCHEME, "Retinal vein occlusion");

  /** The paper's seven labels in its order: AMD, glaucoma, glaucoma suspect, DR feature, pathologic myopia, ERM, RVO. */
  public static final List<CodedConcept> PAPER_LABELS = List.of(AMD, GLAUCOMA, GLAUCOMA_SUSPECT,
      DIABETIC_RETINOPATHY, PATHOLOGIC_MYOPIA, EPIRETINAL_MEMBRANE, RETINAL_VEIN_OCCLUSION);

  private Findings() {}
}

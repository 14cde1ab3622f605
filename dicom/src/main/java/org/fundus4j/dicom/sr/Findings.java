package org.fundus4j.dicom.sr;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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

  /**
   * Label names as users and datasets write them, folded by {@link #fold}, to their concepts: the paper's
   * code's {@code AMD, Glaucoma, Glaucoma_suspect, DMR, Pathologic myopia, ERM, RVO}, the spelled-out names,
   * and {@code abnormal} for the binary head.
   */
  private static final Map<String, CodedConcept> BY_LABEL = Map.ofEntries(
      Map.entry("abnormal", ABNORMAL_FUNDUS),
      Map.entry("amd", AMD), Map.entry("armd", AMD), Map.entry("agerelatedmaculardegeneration", AMD),
      Map.entry("glaucoma", GLAUCOMA),
      Map.entry("glaucomasuspect", GLAUCOMA_SUSPECT),
      Map.entry("dmr", DIABETIC_RETINOPATHY), Map.entry("dr", DIABETIC_RETINOPATHY),
      Map.entry("diabeticretinopathy", DIABETIC_RETINOPATHY),
      Map.entry("pathologicmyopia", PATHOLOGIC_MYOPIA), Map.entry("pm", PATHOLOGIC_MYOPIA),
      Map.entry("erm", EPIRETINAL_MEMBRANE), Map.entry("epiretinalmembrane", EPIRETINAL_MEMBRANE),
      Map.entry("rvo", RETINAL_VEIN_OCCLUSION), Map.entry("retinalveinocclusion", RETINAL_VEIN_OCCLUSION));

  private Findings() {}

  /**
   * The concept for a model's output label, e.g. {@code "Glaucoma_suspect"} -> {@link #GLAUCOMA_SUSPECT}.
   *
   * <p>Matching ignores case, spaces, underscores and hyphens. A label with no known concept gets a private
   * code named after it rather than an error: value {@code L-} plus the first 12 hex digits of the SHA-256 of
   * the label (stable across runs and models), scheme {@value #PRIVATE_SCHEME}, meaning the label itself (cut
   * to 64 characters).
   *
   * @throws IllegalArgumentException when the label is blank
   */
  public static CodedConcept forLabel(String label) {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("A model output label must not be blank");
    }
    CodedConcept known = BY_LABEL.get(fold(label));
    if (known != null) {
      return known;
    }
    String meaning = label.strip().replace('\\', '/');
    meaning = meaning.length() > 64 ? meaning.substring(0, 64) : meaning;
    return new CodedConcept("L-" + sha256(label.strip()).substring(0, 12), PRIVATE_SCHEME, meaning);
  }

  private static String fold(String label) {
    return label.toLowerCase(Locale.ROOT).replaceAll("[\\s_\\-]", "");
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}

package org.fundus4j.fhir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ca.uhn.fhir.validation.SingleValidationMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.SrResult;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Bundle of a real screened image (dcmtk-made OP file, SR by {@link ScreeningReportWriter}): valid against
 * base R4 with HAPI's instance validator, and its identifiers equal what dcmtk's {@code dcmdump} reads from the
 * image and the SR.
 */
class ScreeningBundleTests {

  static final AlgorithmId ALGORITHM = new AlgorithmId("fundus4j ResNet-50 abnormal fundus", "0.1.0");
  static final Instant ISSUED = Instant.parse("2026-12-01T10:15:30Z");

  @TempDir
  static Path tmp;
  static Path image;
  static SrResult sr;
  static ScreeningResult result;

  @BeforeAll
  static void screenOneImage() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("src"), 1, "PAT-FHIR-1", "R", "20240301",
        64);
    image = study.files().get(0);
    List<Finding> findings = List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.8125),
        new Finding(Findings.GLAUCOMA_SUSPECT, 0.25));
    sr = new ScreeningReportWriter(ALGORITHM, UidGenerator.uuidDerived()).write(image, findings,
        tmp.resolve("sr.dcm"));
    result = ScreeningResult.read(image, findings, sr.sopInstanceUid(), ALGORITHM,
        Map.of(Findings.ABNORMAL_FUNDUS, true), ISSUED);
  }

  /** A value of {@code tag} as printed by dcmtk's dcmdump. */
  static String dcmdump(Path file, String tag) throws Exception {
    Process p = new ProcessBuilder("dcmdump", "-Un", "+P", tag, file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    Matcher m = Pattern.compile("\\[([^\\]]*)\\]").matcher(out);
    assertTrue(m.find(), "dcmdump printed no value for " + tag + ": " + out);
    return m.group(1).strip();
  }

  static <T> List<T> resources(Bundle b, Class<T> type) {
    return b.getEntry().stream().map(Bundle.BundleEntryComponent::getResource).filter(type::isInstance)
        .map(type::cast).toList();
  }

  @Test
  void bundleOfAScreenedImageValidatesAgainstBaseR4WithNoErrors() {
    Bundle bundle = ScreeningBundle.build(result);
    List<SingleValidationMessage> errors = FhirValidation.errors(bundle);
    assertEquals(List.of(), errors.stream().map(m -> m.getLocationString() + ": " + m.getMessage()).toList());
    // the validator really looked: it has something to say (e.g. missing narratives), so it did not skip the Bundle
    assertTrue(FhirValidation.all(bundle).size() > 0);
  }

  @Test
  void invalidBundleIsReportedByTheSameValidator() {
    Bundle bundle = ScreeningBundle.build(result);
    resources(bundle, Observation.class).get(0).setStatus(null); // Observation.status is 1..1
    assertTrue(FhirValidation.errors(bundle).stream().anyMatch(m -> m.getLocationString().contains("Observation")),
        "a missing Observation.status must be an error");
  }

  @Test
  void identifiersAreTheUidsDcmdumpReadsFromImageAndSr() throws Exception {
    Bundle bundle = ScreeningBundle.build(result);
    assertEquals(Bundle.BundleType.TRANSACTION, bundle.getType());
    assertEquals(5, bundle.getEntry().size()); // Device, ImagingStudy, 2 Observations, DiagnosticReport

    DiagnosticReport report = resources(bundle, DiagnosticReport.class).get(0);
    assertEquals("urn:dicom:uid", report.getIdentifierFirstRep().getSystem());
    assertEquals("urn:oid:" + dcmdump(sr.file(), "0008,0018"), report.getIdentifierFirstRep().getValue());
    assertEquals("126000", report.getCode().getCodingFirstRep().getCode());

    ImagingStudy study = resources(bundle, ImagingStudy.class).get(0);
    assertEquals("urn:oid:" + dcmdump(image, "0020,000d"), study.getIdentifierFirstRep().getValue());
    assertEquals(dcmdump(image, "0020,000e"), study.getSeriesFirstRep().getUid());
    assertEquals(dcmdump(image, "0008,0018"), study.getSeriesFirstRep().getInstanceFirstRep().getUid());
    assertEquals("urn:oid:" + dcmdump(image, "0008,0016"),
        study.getSeriesFirstRep().getInstanceFirstRep().getSopClass().getCode());
    assertEquals("OP", study.getSeriesFirstRep().getModality().getCode());
    assertEquals("PAT-FHIR-1", study.getSubject().getIdentifier().getValue());

    Device device = resources(bundle, Device.class).get(0);
    assertEquals(ALGORITHM.name(), device.getDeviceNameFirstRep().getName());
    assertEquals(ALGORITHM.version(), device.getVersionFirstRep().getValue());
    assertEquals("urn:oid:" + ScreeningReportWriter.deviceObserverUid(ALGORITHM),
        device.getIdentifierFirstRep().getValue());

    // every entry is a conditional create on its identifier
    for (Bundle.BundleEntryComponent e : bundle.getEntry()) {
      assertEquals(Bundle.HTTPVerb.POST, e.getRequest().getMethod());
      assertTrue(e.getRequest().getIfNoneExist().startsWith("identifier="), e.getRequest().getIfNoneExist());
      assertTrue(e.getFullUrl().startsWith("urn:uuid:"));
    }
  }

  @Test
  void observationsCarryCodeProbabilityCallBodySiteAndDevice() {
    Bundle bundle = ScreeningBundle.build(result);
    List<Observation> obs = resources(bundle, Observation.class);
    assertEquals(2, obs.size());
    Observation abnormal = obs.get(0);
    assertEquals("http://snomed.info/sct", abnormal.getCode().getCodingFirstRep().getSystem());
    assertEquals("408574004", abnormal.getCode().getCodingFirstRep().getCode());
    Quantity q = abnormal.getValueQuantity();
    assertEquals(0.8125, q.getValue().doubleValue(), 0.0);
    assertEquals("http://unitsofmeasure.org", q.getSystem());
    assertEquals("1", q.getCode());
    assertEquals("POS", abnormal.getInterpretationFirstRep().getCodingFirstRep().getCode());
    assertEquals("18944008", abnormal.getBodySite().getCodingFirstRep().getCode()); // ImageLaterality R
    String deviceUrl = bundle.getEntry().get(0).getFullUrl();
    assertEquals(deviceUrl, abnormal.getDevice().getReference());
    assertEquals(bundle.getEntry().get(1).getFullUrl(), abnormal.getDerivedFromFirstRep().getReference());

    Observation suspect = obs.get(1);
    assertEquals(FhirCodes.PRIVATE, suspect.getCode().getCodingFirstRep().getSystem());
    assertEquals("F4J-0002", suspect.getCode().getCodingFirstRep().getCode());
    assertEquals(0.25, suspect.getValueQuantity().getValue().doubleValue(), 0.0);
    assertTrue(suspect.getInterpretation().isEmpty(), "no call was made for glaucoma suspect");

    ScreeningResult negative = new ScreeningResult(result.image(), result.patient(), result.srSopInstanceUid(),
        ALGORITHM, result.findings(), Map.of(Findings.ABNORMAL_FUNDUS, false), ISSUED);
    Observation called = resources(ScreeningBundle.build(negative), Observation.class).get(0);
    assertEquals("NEG", called.getInterpretationFirstRep().getCodingFirstRep().getCode());
  }

  @Test
  void sameResultGivesTheSameBundleSoResendingCreatesNothingNew() throws Exception {
    String once = ScreeningBundle.toJson(ScreeningBundle.build(result));
    String twice = ScreeningBundle.toJson(ScreeningBundle.build(result));
    assertEquals(once, twice);
    Path file = tmp.resolve("bundle.json");
    ScreeningBundle.write(ScreeningBundle.build(result), file);
    assertEquals(once, Files.readString(file));
  }

  @Test
  void lateralityMapsToTheSnomedEyeStructures() {
    assertEquals("18944008", ScreeningBundle.bodySite("R").value());
    assertEquals("8966001", ScreeningBundle.bodySite("L").value());
    assertEquals("40638003", ScreeningBundle.bodySite("B").value());
    assertEquals("81745001", ScreeningBundle.bodySite("").value());
  }

  @Test
  void unknownCodingSchemeIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FhirCodes.system("ACME"));
    assertTrue(e.getMessage().contains("'ACME'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ScreeningBundle.build(new ScreeningResult(result.image(),
        result.patient(), result.srSopInstanceUid(), ALGORITHM,
        List.of(new Finding(new CodedConcept("X1", "ACME", "Something"), 0.5)), Map.of(), ISSUED)));
  }
}

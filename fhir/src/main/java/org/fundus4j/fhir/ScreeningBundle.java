package org.fundus4j.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.fundus4j.dicom.InstanceInfo;
import org.fundus4j.dicom.sr.CodedConcept;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.io.AtomicFiles;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Device;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.ImagingStudy;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Maps one screened image to a FHIR R4 transaction Bundle, following HL7's "DICOM SR to FHIR Resource Mapping"
 * implementation guide (hl7.fhir.uv.dicom-sr, STU1 ballot 2024, {@code http://hl7.org/fhir/uv/dicom-sr/}) where
 * it applies to R4:
 * <ul>
 *   <li><b>Device</b> from TID 4019 Algorithm Identification (IG artifact "Device - DICOM SR Algorithm
 *       Identification Mapping"): {@code deviceName} (type {@code model-name}) = Algorithm Name, {@code version} =
 *       Algorithm Version, identifier = the SR's Device Observer UID (121012, DCM);</li>
 *   <li>one <b>Observation</b> per TID 1501 measurement group (IG "Mapping" chapter, "Measurement Group
 *       Mapping"; profile "Observation - DICOM SR Imaging Measurement Group Mapping"): category (125007, DCM,
 *       "Measurement Group"), {@code code} = the Finding (121071, DCM) concept exactly as in the SR,
 *       {@code valueQuantity} = the NUM (122157, DCM, "Probability") in UCUM {@code 1}, {@code interpretation}
 *       = POS/NEG (v3 ObservationInterpretation) when the model made a call, {@code bodySite} = the Finding
 *       Site (IG "Body Structure - DICOM SR Finding Site Mapping") with its laterality, {@code device} = the
 *       Device, {@code derivedFrom} = the source ImagingStudy;</li>
 *   <li>a <b>DiagnosticReport</b> for the SR document (IG "Document IE Mapping"): identifier = the SR's SOP
 *       Instance UID ({@code urn:dicom:uid}, {@code urn:oid:...}), code (126000, DCM, "Imaging Measurement
 *       Report") as the SR's title, {@code result} = the Observations, {@code imagingStudy} = the source;</li>
 *   <li>the <b>ImagingStudy</b> of the source image with its series and instance UIDs and SOP class. The IG
 *       ("Mapping": "assumes that Patient, ImagingStudy and ServiceRequest resources already exist") references
 *       an existing study; here it is a conditional create, so the server keeps the study it already has.</li>
 * </ul>
 * FHIR R4 differences (IG "Background", "FHIR Version 4 compatibility"): R4 has no ImagingSelection, so the source
 * image is reached through {@code derivedFrom}/{@code imagingStudy} → ImagingStudy.series.instance; R4's
 * {@code Observation.bodySite} is a CodeableConcept, so the SR's Finding Site "Eye" (SCT 81745001) with
 * laterality Right/Left/Both becomes the pre-coordinated SNOMED CT body structure 18944008 "Right eye structure",
 * 8966001 "Left eye structure" or 40638003 "Structure of both eyes" (81745001 "Eye" when the laterality is
 * unknown). The subject is a logical Patient reference by Patient ID (0010,0020), the issuer as assigner.
 *
 * <p>Every entry is a conditional create ({@code ifNoneExist} on its identifier) and every {@code fullUrl} is a
 * UUID derived from the SR's SOP Instance UID, so posting the same Bundle twice creates nothing twice.
 * <pre>{@code
 * Bundle bundle = ScreeningBundle.build(result);
 * ScreeningBundle.write(bundle, Path.of("out/fhir/1.2.3.json"));
 * }</pre>
 */
public final class ScreeningBundle {

  /** The SR document title, the DiagnosticReport's code. */
  public static final CodedConcept IMAGING_MEASUREMENT_REPORT =
      new CodedConcept("126000", "DCM", "Imaging Measurement Report");
  static final CodedConcept MEASUREMENT_GROUP = new CodedConcept("125007", "DCM", "Measurement Group");
  static final CodedConcept EYE = new CodedConcept("81745001", "SCT", "Eye");
  static final CodedConcept RIGHT_EYE = new CodedConcept("18944008", "SCT", "Right eye structure");
  static final CodedConcept LEFT_EYE = new CodedConcept("8966001", "SCT", "Left eye structure");
  static final CodedConcept BOTH_EYES = new CodedConcept("40638003", "SCT", "Structure of both eyes");
  private static final String INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
  private static final String OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
  private static final FhirContext R4 = FhirContext.forR4Cached();

  private ScreeningBundle() {}

  /** The FHIR R4 context shared by the module (thread-safe, expensive to create). */
  public static FhirContext context() {
    return R4;
  }

  /** Builds the transaction Bundle of one screened image; see the class comment for the mapping. */
  public static Bundle build(ScreeningResult r) {
    InstanceInfo image = r.image();
    Date issued = Date.from(r.issued());
    Bundle bundle = new Bundle().setType(Bundle.BundleType.TRANSACTION);
    bundle.setIdentifier(uidIdentifier(r.srSopInstanceUid()));
    bundle.setTimestamp(issued);

    String deviceUid = ScreeningReportWriter.deviceObserverUid(r.algorithm());
    Device device = new Device();
    device.addIdentifier(uidIdentifier(deviceUid));
    device.setStatus(Device.FHIRDeviceStatus.ACTIVE);
    device.setManufacturer("fundus4j");
    device.addDeviceName().setName(r.algorithm().name()).setType(Device.DeviceNameType.MODELNAME);
    device.addVersion().setValue(r.algorithm().version());
    device.addNote().setText("Research use only, not a medical device.");
    String deviceUrl = add(bundle, device, "Device", "device:" + deviceUid, uidIdentifier(deviceUid));

    ImagingStudy study = new ImagingStudy();
    study.addIdentifier(uidIdentifier(image.studyInstanceUid()));
    study.setStatus(ImagingStudy.ImagingStudyStatus.AVAILABLE);
    study.setSubject(patient(r));
    ImagingStudy.ImagingStudySeriesComponent series = study.addSeries().setUid(image.seriesInstanceUid())
        .setModality(new Coding(FhirCodes.DCM, image.modality().isEmpty() ? "OT" : image.modality(), null));
    series.addInstance().setUid(image.sopInstanceUid())
        .setSopClass(new Coding("urn:ietf:rfc:3986", "urn:oid:" + image.sopClassUid(), null));
    study.setNumberOfSeries(1).setNumberOfInstances(1);
    String studyUrl = add(bundle, study, "ImagingStudy", "study:" + image.studyInstanceUid(),
        uidIdentifier(image.studyInstanceUid()));

    DiagnosticReport report = new DiagnosticReport();
    List<Reference> results = new ArrayList<>();
    int index = 0;
    for (Finding f : r.findings()) {
      index++;
      Identifier id = new Identifier().setSystem("urn:ietf:rfc:3986")
          .setValue("urn:uuid:" + uuid(r.srSopInstanceUid(), "observation:" + index));
      Observation o = new Observation();
      o.addIdentifier(id);
      o.setStatus(Observation.ObservationStatus.FINAL);
      o.addCategory(new CodeableConcept(new Coding(OBSERVATION_CATEGORY, "imaging", "Imaging")));
      o.addCategory(FhirCodes.concept(MEASUREMENT_GROUP));
      o.setCode(FhirCodes.concept(f.concept()));
      if (!r.patient().patientId().isEmpty()) {
        o.setSubject(patient(r));
      }
      o.setIssued(issued);
      o.setValue(new Quantity().setValue(f.probability()).setUnit("probability").setSystem(FhirCodes.UCUM)
          .setCode("1"));
      Boolean call = r.calls().get(f.concept());
      if (call != null) {
        o.addInterpretation(new CodeableConcept(call ? new Coding(INTERPRETATION, "POS", "Positive")
            : new Coding(INTERPRETATION, "NEG", "Negative")));
      }
      o.setBodySite(FhirCodes.concept(bodySite(image.laterality())));
      o.setDevice(new Reference(deviceUrl));
      o.addDerivedFrom(new Reference(studyUrl));
      o.addNote().setText(String.format(Locale.ROOT, "Model probability %.4f; research use only, not a medical"
          + " device.", f.probability()));
      results.add(new Reference(add(bundle, o, "Observation", "observation:" + index, id)));
    }

    report.addIdentifier(uidIdentifier(r.srSopInstanceUid()));
    report.setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
    report.setCode(FhirCodes.concept(IMAGING_MEASUREMENT_REPORT));
    if (!r.patient().patientId().isEmpty()) {
      report.setSubject(patient(r));
    }
    report.setIssued(issued);
    report.setResult(results);
    report.addImagingStudy(new Reference(studyUrl));
    report.setConclusion(conclusion(r));
    add(bundle, report, "DiagnosticReport", "report", uidIdentifier(r.srSopInstanceUid()));
    return bundle;
  }

  private static String conclusion(ScreeningResult r) {
    StringBuilder s = new StringBuilder();
    for (Finding f : r.findings()) {
      if (s.length() > 0) {
        s.append("; ");
      }
      s.append(f.concept().meaning()).append(String.format(Locale.ROOT, ": probability %.3f", f.probability()));
      Boolean call = r.calls().get(f.concept());
      if (call != null) {
        s.append(call ? " (positive)" : " (negative)");
      }
    }
    return s.append(". By ").append(r.algorithm().name()).append(' ').append(r.algorithm().version())
        .append("; research use only, not a medical device.").toString();
  }

  /** The SNOMED CT body structure of the SR's Finding Site "Eye" with laterality R, L, B or unknown. */
  static CodedConcept bodySite(String laterality) {
    return switch (laterality) {
      case "R" -> RIGHT_EYE;
      case "L" -> LEFT_EYE;
      case "B" -> BOTH_EYES;
      default -> EYE;
    };
  }

  private static Reference patient(ScreeningResult r) {
    Reference ref = new Reference().setType("Patient");
    if (r.patient().patientId().isEmpty()) {
      return ref.setDisplay("patient of study " + r.image().studyInstanceUid());
    }
    Identifier id = new Identifier().setValue(r.patient().patientId());
    if (!r.patient().issuer().isEmpty()) {
      id.setAssigner(new Reference().setDisplay(r.patient().issuer()));
    }
    return ref.setIdentifier(id);
  }

  private static Identifier uidIdentifier(String uid) {
    return new Identifier().setSystem(FhirCodes.DICOM_UID).setValue("urn:oid:" + uid);
  }

  private static String add(Bundle bundle, Resource resource, String type, String part, Identifier identifier) {
    String srUid = bundle.getIdentifier().getValue();
    String fullUrl = "urn:uuid:" + uuid(srUid, part);
    bundle.addEntry().setFullUrl(fullUrl).setResource(resource).getRequest()
        .setMethod(Bundle.HTTPVerb.POST).setUrl(type)
        .setIfNoneExist("identifier=" + identifier.getSystem() + "|" + identifier.getValue());
    return fullUrl;
  }

  private static UUID uuid(String srUid, String part) {
    return UUID.nameUUIDFromBytes(("fundus4j-fhir:" + srUid + ":" + part).getBytes(StandardCharsets.UTF_8));
  }

  /** The Bundle as pretty-printed FHIR JSON. */
  public static String toJson(Bundle bundle) {
    IParser parser = R4.newJsonParser().setPrettyPrint(true);
    return parser.encodeResourceToString(bundle);
  }

  /**
   * Writes the Bundle as FHIR JSON to {@code file}, atomically and durably (temporary file, fsync, rename:
   * {@link Durable#move}), so that the node's ledger never points at a torn Bundle.
   */
  public static void write(Bundle bundle, Path file) throws IOException {
    AtomicFiles.writeString(file, toJson(bundle));
  }
}

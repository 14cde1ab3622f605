package org.fundus4j.dicom.sr;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DateTimeAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.fundus4j.dicom.DerivedImage;
import org.fundus4j.dicom.DicomImages;
import org.fundus4j.dicom.DicomReadException;
import org.fundus4j.dicom.InstanceInfo;
import org.fundus4j.dicom.LogSafe;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.dicom.internal.Attributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes screening results as a DICOM Comprehensive 3D SR whose content is a TID 1500
 * Measurement Report, shaped as the IHE AI Results (AIR) profile asks as far as it applies.
 *
 * <p>Each report copies patient and study from the source image, sits in a new SR series (one
 * per study and writer), names the algorithm as a device observer (TID 1002) and in a
 * Contributing Equipment item, and holds one TID 1501 measurement group per {@link Finding}:
 * tracking identifier and UID, the finding (121071, DCM), algorithm name and version (TID 4019),
 * finding site (SCT 81745001 "Eye" with laterality), a NUM (122157, DCM, "Probability") in UCUM
 * unit {@code 1}, and the source image (121112, DCM, "Source of Measurement"). The source is also
 * listed in the Image Library and in Current Requested Procedure Evidence Sequence. The content
 * tree is documented in {@code docs/sr-codes.md} of the dicom module.
 *
 * <pre>{@code
 * ScreeningReportWriter writer = new ScreeningReportWriter(
 *     new AlgorithmId("fundus4j ResNet-50", "0.1.0"), UidGenerator.uuidDerived());
 * SrResult sr = writer.write(Path.of("eye.dcm"),
 *     List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.87)), Path.of("out/eye-sr.dcm"));
 * }</pre>
 *
 * <p>Instances are safe for use by several threads.
 */
public final class ScreeningReportWriter {
  /** Comprehensive 3D SR Storage. */
  public static final String SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.88.34";

  private static final Logger LOG = LoggerFactory.getLogger(ScreeningReportWriter.class);
  private static final DateTimeFormatter DA = DateTimeFormatter.ofPattern("yyyyMMdd");
  private static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss");

  static final CodedConcept IMAGING_MEASUREMENT_REPORT = dcm("126000", "Imaging Measurement Report");
  static final CodedConcept LANGUAGE = dcm("121049", "Language of Content Item and Descendants");
  static final CodedConcept ENGLISH_US = new CodedConcept("en-US", "RFC5646", "English (United States)");
  static final CodedConcept OBSERVER_TYPE = dcm("121005", "Observer Type");
  static final CodedConcept DEVICE = dcm("121007", "Device");
  static final CodedConcept DEVICE_OBSERVER_UID = dcm("121012", "Device Observer UID");
  static final CodedConcept DEVICE_OBSERVER_NAME = dcm("121013", "Device Observer Name");
  static final CodedConcept DEVICE_OBSERVER_MANUFACTURER = dcm("121014", "Device Observer Manufacturer");
  static final CodedConcept DEVICE_OBSERVER_MODEL_NAME = dcm("121015", "Device Observer Model Name");
  static final CodedConcept PROCEDURE_REPORTED = dcm("121058", "Procedure reported");
  /**
   * PS3.16 TID 1500 row 4: Procedure Reported is a CODE from DCID 100 "Quantitative Diagnostic Imaging
   * Procedures"; (OP, DCM) is a modality, not in CID 100, and of CID 100's codes only (363679005, SCT,
   * "Imaging procedure") describes fundus photography (the modality is in the SR's evidence and in the
   * referenced image).
   */
  static final CodedConcept IMAGING_PROCEDURE = new CodedConcept("363679005", "SCT", "Imaging procedure");
  /** CID 241 "Present-Absent Only": the value of a qualitative evaluation (TID 1501 row 12). */
  static final CodedConcept PRESENT = new CodedConcept("52101004", "SCT", "Present");
  /** CID 241 "Present-Absent Only". */
  static final CodedConcept ABSENT = new CodedConcept("272519000", "SCT", "Absent");
  static final CodedConcept IMAGE_LIBRARY = dcm("111028", "Image Library");
  static final CodedConcept IMAGE_LIBRARY_GROUP = dcm("126200", "Image Library Group");
  static final CodedConcept IMAGING_MEASUREMENTS = dcm("126010", "Imaging Measurements");
  static final CodedConcept MEASUREMENT_GROUP = dcm("125007", "Measurement Group");
  static final CodedConcept TRACKING_IDENTIFIER = dcm("112039", "Tracking Identifier");
  static final CodedConcept TRACKING_UID = dcm("112040", "Tracking Unique Identifier");
  static final CodedConcept FINDING = dcm("121071", "Finding");
  static final CodedConcept ALGORITHM_NAME = dcm("111001", "Algorithm Name");
  static final CodedConcept ALGORITHM_VERSION = dcm("111003", "Algorithm Version");
  static final CodedConcept FINDING_SITE = new CodedConcept("363698007", "SCT", "Finding Site");
  static final CodedConcept EYE = new CodedConcept("81745001", "SCT", "Eye");
  static final CodedConcept LATERALITY = new CodedConcept("272741003", "SCT", "Laterality");
  static final CodedConcept RIGHT = new CodedConcept("24028007", "SCT", "Right");
  static final CodedConcept LEFT = new CodedConcept("7771000", "SCT", "Left");
  static final CodedConcept BILATERAL = new CodedConcept("51440002", "SCT", "Right and left");
  static final CodedConcept PROBABILITY = dcm("122157", "Probability");
  static final CodedConcept NO_UNITS = new CodedConcept("1", "UCUM", "no units");
  static final CodedConcept SOURCE_OF_MEASUREMENT = dcm("121112", "Source of Measurement");
  static final CodedConcept PROCESSING_EQUIPMENT = dcm("109102", "Processing Equipment");

  /** Contribution DateTime (0018,A002), missing from PixelMed's dictionary. */
  private static final AttributeTag CONTRIBUTION_DATE_TIME = new AttributeTag(0x0018, 0xA002);
  /** Pertinent Other Evidence Sequence (0040,A385), missing from PixelMed's TagFromName. */
  private static final AttributeTag PERTINENT_OTHER_EVIDENCE_SEQUENCE = new AttributeTag(0x0040, 0xA385);
  private static final String MANUFACTURER = "fundus4j";

  private final AlgorithmId algorithm;
  private final UidGenerator uids;
  private final String deviceUid;
  private final Map<String, String> seriesByStudy = new ConcurrentHashMap<>();
  private final AtomicInteger instanceNumber = new AtomicInteger();

  /**
   * Creates a writer for results of {@code algorithm}, taking new UIDs from {@code uids}.
   *
   * @param algorithm name and version written as TID 4019 and as the device observer
   * @param uids source of new SOP instance, series and tracking UIDs
   */
  public ScreeningReportWriter(AlgorithmId algorithm, UidGenerator uids) {
    this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    this.uids = Objects.requireNonNull(uids, "uids");
    this.deviceUid = deviceObserverUid(algorithm);
  }

  /**
   * The Device Observer UID (121012, DCM) written for {@code algorithm}: stable per algorithm name and
   * version, so that one model version is one device (also in the FHIR results of module fhir).
   */
  public static String deviceObserverUid(AlgorithmId algorithm) {
    return UidGenerator.fromUuid(UUID.nameUUIDFromBytes(
        ("fundus4j-device:" + algorithm.name() + "\u0000" + algorithm.version())
            .getBytes(StandardCharsets.UTF_8)));
  }

  /** Returns the Device Observer UID (121012, DCM) written for this writer's algorithm. */
  public String deviceObserverUid() {
    return deviceUid;
  }

  /**
   * The folder of the derived images (e.g. Grad-CAM overlays) that the report {@code report} references:
   * {@code <parent of the report's folder>/gradcam/<report file name without .dcm>}, e.g. {@code out/sr/x.dcm}
   * has its overlays in {@code out/gradcam/x/}. Every writer of overlays ({@code fundus screen --gradcam}, the
   * listening node) puts them there, and every sender finds them there ({@link #filesToSend}).
   */
  public static Path derivedImagesFolder(Path report) {
    String name = report.getFileName().toString();
    String base = name.endsWith(".dcm") ? name.substring(0, name.length() - 4) : name;
    Path parent = report.toAbsolutePath().getParent();
    return parent.resolveSibling("gradcam").resolve(base);
  }

  /**
   * What goes to the PACS for {@code report}: the DICOM files of its {@link #derivedImagesFolder} in name order,
   * then the report itself, so that the images the report references are in the PACS when the report arrives.
   * Sending the list again sends the same files with the same SOP Instance UIDs.
   *
   * @throws IOException when the folder exists but cannot be listed
   */
  public static List<Path> filesToSend(Path report) throws IOException {
    Path folder = derivedImagesFolder(report);
    List<Path> files = new java.util.ArrayList<>();
    if (java.nio.file.Files.isDirectory(folder)) {
      try (java.util.stream.Stream<Path> list = java.nio.file.Files.list(folder)) {
        list.filter(f -> f.getFileName().toString().endsWith(".dcm")).sorted().forEach(files::add);
      } catch (java.io.UncheckedIOException e) {
        throw new IOException("cannot list the derived images in " + folder + ": " + e.getMessage(), e);
      }
    }
    files.add(report);
    return List.copyOf(files);
  }

  /**
   * Writes one SR for {@code sourceImage} holding {@code findings}, atomically, to {@code outFile}.
   *
   * @param sourceImage the DICOM image that was screened (its header is read again here)
   * @param findings one or more findings with probabilities
   * @param outFile where to write; the parent directory must exist
   * @return the new SOP Instance UID and the file
   * @throws DicomReadException if the source cannot be read or is not an image with a Study
   *     Instance UID
   * @throws IOException if the report cannot be written
   */
  public SrResult write(Path sourceImage, List<Finding> findings, Path outFile) throws IOException {
    return write(sourceImage, findings, List.of(), outFile);
  }

  /**
   * Writes one SR for {@code sourceImage} holding {@code findings} that also references {@code derived}, images
   * derived from the source (e.g. Grad-CAM overlays, {@link org.fundus4j.dicom.DerivedImageWriter}): each is an
   * IMAGE entry of the Image Library (PS3.16 TID 1600 / TID 1601) and is listed in Pertinent Other Evidence
   * Sequence (0040,A385), since PS3.3 C.17.2.3 asks every instance the content tree references to be listed in
   * one of the two evidence sequences, and it is not evidence the report was made from.
   *
   * @param derived images of the source's study, written before the report
   * @see #write(Path, List, Path)
   */
  public SrResult write(Path sourceImage, List<Finding> findings, List<DerivedImage> derived, Path outFile)
      throws IOException {
    Objects.requireNonNull(sourceImage, "sourceImage");
    Objects.requireNonNull(outFile, "outFile");
    List<Finding> results = List.copyOf(findings);
    if (results.isEmpty()) {
      throw new IllegalArgumentException("At least one finding is needed to write a report for " + sourceImage);
    }
    InstanceInfo info = DicomImages.readInfo(sourceImage);
    if (!info.isImage()) {
      throw new DicomReadException(sourceImage, "not an image (no Rows (0028,0010)/Columns (0028,0011)),"
          + " a screening report can only reference an image");
    }
    if (info.studyInstanceUid().isEmpty()) {
      throw new DicomReadException(sourceImage, "missing Study Instance UID (0020,000D)");
    }
    AttributeList source = Attributes.readHeader(sourceImage);
    String sopInstanceUid = uids.next();
    try {
      AttributeList sr = build(source, info, results, List.copyOf(derived), sopInstanceUid);
      Attributes.writePart10(sr, outFile);
    } catch (DicomException e) {
      throw new IOException(outFile + ": cannot build the SR for " + sourceImage + ": " + e.getMessage(), e);
    }
    LOG.debug("wrote SR {} for source {} with {} finding(s)", LogSafe.shortHash(sopInstanceUid),
        LogSafe.shortHash(info.sopInstanceUid()), results.size());
    return new SrResult(sopInstanceUid, outFile);
  }

  private AttributeList build(AttributeList source, InstanceInfo info, List<Finding> findings,
      List<DerivedImage> derived, String sopInstanceUid) throws DicomException {
    LocalDateTime now = LocalDateTime.now();
    String date = now.format(DA);
    String time = now.format(TM);
    String studyUid = info.studyInstanceUid();
    String seriesUid = seriesByStudy.computeIfAbsent(studyUid, s -> uids.next());
    AttributeList l = new AttributeList();

    // SOP Common
    Attributes.copy(source, l, TagFromName.SpecificCharacterSet);
    ContentItem.put(l, TagFromName.SOPClassUID, SOP_CLASS_UID);
    ContentItem.put(l, TagFromName.SOPInstanceUID, sopInstanceUid);
    ContentItem.put(l, TagFromName.InstanceCreationDate, date);
    ContentItem.put(l, TagFromName.InstanceCreationTime, time);
    boolean privateCodes = findings.stream().anyMatch(f -> f.concept().isPrivateScheme());
    if (privateCodes) {
      SequenceAttribute schemes = new SequenceAttribute(TagFromName.CodingSchemeIdentificationSequence);
      AttributeList item = new AttributeList();
      ContentItem.put(item, TagFromName.CodingSchemeDesignator, Findings.PRIVATE_SCHEME);
      ContentItem.put(item, TagFromName.CodingSchemeName, Findings.PRIVATE_SCHEME_NAME);
      ContentItem.put(item, TagFromName.CodingSchemeResponsibleOrganization, "fundus4j project");
      schemes.addItem(item);
      l.put(schemes);
    }
    // Patient and General Study (type 2: copied, empty when the source has none)
    Attributes.copyPatientAndStudy(source, l, studyUid);
    // SR Document Series
    ContentItem.put(l, TagFromName.Modality, "SR");
    ContentItem.put(l, TagFromName.SeriesInstanceUID, seriesUid);
    ContentItem.put(l, TagFromName.SeriesNumber, "9901");
    ContentItem.put(l, TagFromName.SeriesDescription, "fundus4j screening");
    l.put(new SequenceAttribute(TagFromName.ReferencedPerformedProcedureStepSequence));
    // General Equipment + Enhanced General Equipment
    ContentItem.put(l, TagFromName.Manufacturer, MANUFACTURER);
    ContentItem.put(l, TagFromName.ManufacturerModelName, algorithm.name());
    ContentItem.put(l, TagFromName.DeviceSerialNumber, deviceUid.substring(deviceUid.length() - 16));
    ContentItem.put(l, TagFromName.SoftwareVersions, algorithm.version());
    // Contributing Equipment: the algorithm (IHE AIR)
    SequenceAttribute contributing = new SequenceAttribute(TagFromName.ContributingEquipmentSequence);
    AttributeList equipment = new AttributeList();
    equipment.put(ContentItem.code(TagFromName.PurposeOfReferenceCodeSequence, PROCESSING_EQUIPMENT));
    ContentItem.put(equipment, TagFromName.Manufacturer, MANUFACTURER);
    ContentItem.put(equipment, TagFromName.ManufacturerModelName, algorithm.name());
    ContentItem.put(equipment, TagFromName.SoftwareVersions, algorithm.version());
    DateTimeAttribute contributionDateTime = new DateTimeAttribute(CONTRIBUTION_DATE_TIME);
    contributionDateTime.addValue(date + time);
    equipment.put(contributionDateTime);
    ContentItem.put(equipment, TagFromName.ContributionDescription, "automated screening of the referenced image");
    contributing.addItem(equipment);
    l.put(contributing);
    // SR Document General
    ContentItem.put(l, TagFromName.InstanceNumber, Integer.toString(instanceNumber.incrementAndGet()));
    ContentItem.put(l, TagFromName.ContentDate, date);
    ContentItem.put(l, TagFromName.ContentTime, time);
    ContentItem.put(l, TagFromName.CompletionFlag, "COMPLETE");
    ContentItem.put(l, TagFromName.VerificationFlag, "UNVERIFIED");
    l.put(new SequenceAttribute(TagFromName.PerformedProcedureCodeSequence));
    l.put(evidence(studyUid, info));
    if (!derived.isEmpty()) {
      l.put(pertinentOtherEvidence(studyUid, derived));
    }

    // SR Document Content: TID 1500
    ContentItem root = ContentItem.container(null, IMAGING_MEASUREMENT_REPORT);
    SequenceAttribute template = new SequenceAttribute(TagFromName.ContentTemplateSequence);
    AttributeList t = new AttributeList();
    ContentItem.put(t, TagFromName.MappingResource, "DCMR");
    ContentItem.put(t, TagFromName.TemplateIdentifier, "1500");
    template.addItem(t);
    root.attributes().put(template);
    root.add(ContentItem.code("HAS CONCEPT MOD", LANGUAGE, ENGLISH_US));
    root.add(ContentItem.code("HAS OBS CONTEXT", OBSERVER_TYPE, DEVICE));
    root.add(ContentItem.uidref("HAS OBS CONTEXT", DEVICE_OBSERVER_UID, deviceUid));
    root.add(ContentItem.text("HAS OBS CONTEXT", DEVICE_OBSERVER_NAME, algorithm.name()));
    root.add(ContentItem.text("HAS OBS CONTEXT", DEVICE_OBSERVER_MANUFACTURER, MANUFACTURER));
    root.add(ContentItem.text("HAS OBS CONTEXT", DEVICE_OBSERVER_MODEL_NAME, algorithm.name()));
    root.add(ContentItem.code("HAS CONCEPT MOD", PROCEDURE_REPORTED, IMAGING_PROCEDURE)); // TID 1500 row 4, CID 100
    ContentItem libraryGroup = ContentItem.container("CONTAINS", IMAGE_LIBRARY_GROUP)
        .add(ContentItem.image("CONTAINS", null, info.sopClassUid(), info.sopInstanceUid()));
    for (DerivedImage image : derived) {
      if (!image.studyInstanceUid().equals(studyUid)) {
        throw new IllegalArgumentException("Derived image " + image.file() + " is in study "
            + image.studyInstanceUid() + ", not the source's study " + studyUid);
      }
      libraryGroup.add(ContentItem.image("CONTAINS", null, image.sopClassUid(), image.sopInstanceUid()));
    }
    root.add(ContentItem.container("CONTAINS", IMAGE_LIBRARY).add(libraryGroup));
    ContentItem measurements = ContentItem.container("CONTAINS", IMAGING_MEASUREMENTS);
    for (Finding finding : findings) {
      measurements.add(group(finding, info));
    }
    root.add(measurements);
    AttributeList content = root.build();
    for (Attribute a : content.values()) {
      l.put(a);
    }

    Attributes.addFileMeta(l);
    return l;
  }

  /** TID 1501 Measurement and Qualitative Evaluation Group for one finding. */
  private ContentItem group(Finding finding, InstanceInfo info) throws DicomException {
    ContentItem group = ContentItem.container("CONTAINS", MEASUREMENT_GROUP);
    String trackingId = finding.concept().meaning();
    group.add(ContentItem.text("HAS OBS CONTEXT", TRACKING_IDENTIFIER, trackingId));
    group.add(ContentItem.uidref("HAS OBS CONTEXT", TRACKING_UID, uids.next()));
    // PS3.16 TID 1501 row 3b: CONTAINS CODE (121071, DCM, "Finding"), not HAS CONCEPT MOD
    group.add(ContentItem.code("CONTAINS", FINDING, finding.concept()));
    group.add(ContentItem.text("HAS CONCEPT MOD", ALGORITHM_NAME, algorithm.name()));
    group.add(ContentItem.text("HAS CONCEPT MOD", ALGORITHM_VERSION, algorithm.version()));
    ContentItem site = ContentItem.code("HAS CONCEPT MOD", FINDING_SITE, EYE);
    CodedConcept side = switch (info.laterality()) {
      case "R" -> RIGHT;
      case "L" -> LEFT;
      case "B" -> BILATERAL;
      default -> null;
    };
    if (side != null) {
      site.add(ContentItem.code("HAS CONCEPT MOD", LATERALITY, side));
    }
    group.add(site);
    group.add(ContentItem.num("CONTAINS", PROBABILITY, finding.probability(), NO_UNITS));
    if (finding.call() != null) {
      // TID 1501 row 12 (qualitative evaluation, CONTAINS CODE): the finding, Present or Absent (CID 241)
      group.add(ContentItem.code("CONTAINS", finding.concept(),
          finding.call() == Finding.Call.PRESENT ? PRESENT : ABSENT));
    }
    group.add(ContentItem.image("CONTAINS", SOURCE_OF_MEASUREMENT, info.sopClassUid(), info.sopInstanceUid()));
    return group;
  }

  /** Current Requested Procedure Evidence Sequence (0040,A375): the source image. */
  private static SequenceAttribute evidence(String studyUid, InstanceInfo info) throws DicomException {
    return hierarchicalReferences(TagFromName.CurrentRequestedProcedureEvidenceSequence, studyUid,
        List.<String[]>of(new String[] {info.seriesInstanceUid(), info.sopClassUid(), info.sopInstanceUid()}));
  }

  /** Pertinent Other Evidence Sequence (0040,A385) of {@code derived}. */
  private static SequenceAttribute pertinentOtherEvidence(String studyUid, List<DerivedImage> derived)
      throws DicomException {
    return hierarchicalReferences(PERTINENT_OTHER_EVIDENCE_SEQUENCE, studyUid, derived.stream()
        .map(d -> new String[] {d.seriesInstanceUid(), d.sopClassUid(), d.sopInstanceUid()}).toList());
  }

  /**
   * A Hierarchical SOP Instance Reference Macro (PS3.3 Table C.17-3) sequence of one study: one item per series,
   * each listing its instances; {@code refs} are {series UID, SOP class UID, SOP instance UID}.
   */
  private static SequenceAttribute hierarchicalReferences(AttributeTag tag, String studyUid, List<String[]> refs)
      throws DicomException {
    SequenceAttribute evidence = new SequenceAttribute(tag);
    AttributeList study = new AttributeList();
    ContentItem.put(study, TagFromName.StudyInstanceUID, studyUid);
    SequenceAttribute seriesSeq = new SequenceAttribute(TagFromName.ReferencedSeriesSequence);
    Map<String, SequenceAttribute> bySeries = new java.util.LinkedHashMap<>();
    for (String[] ref : refs) {
      SequenceAttribute sops = bySeries.get(ref[0]);
      if (sops == null) {
        AttributeList series = new AttributeList();
        ContentItem.put(series, TagFromName.SeriesInstanceUID, ref[0]);
        sops = new SequenceAttribute(TagFromName.ReferencedSOPSequence);
        series.put(sops);
        seriesSeq.addItem(series);
        bySeries.put(ref[0], sops);
      }
      AttributeList sop = new AttributeList();
      ContentItem.put(sop, TagFromName.ReferencedSOPClassUID, ref[1]);
      ContentItem.put(sop, TagFromName.ReferencedSOPInstanceUID, ref[2]);
      sops.addItem(sop);
    }
    study.put(seriesSeq);
    evidence.addItem(study);
    return evidence;
  }

  private static CodedConcept dcm(String value, String meaning) {
    return new CodedConcept(value, "DCM", meaning);
  }
}

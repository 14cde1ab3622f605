package org.fundus4j.dicom;

import static org.fundus4j.dicom.internal.Attributes.put;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.fundus4j.dicom.internal.Attributes;
import org.fundus4j.dicom.sr.UidGenerator;

/**
 * Writes a colour picture derived from a source image (e.g. a Grad-CAM heat map over the model's input) as a
 * Secondary Capture Image (PS3.3 A.8.1), which every PACS viewer displays, in the source's patient and study.
 *
 * <p>The image has Patient and General Study copied from the source, a new series (Modality OT, one per study
 * and writer, Series Number 9902), SC Equipment (Conversion Type {@code WSD}), General Image with Image Type
 * {@code DERIVED\SECONDARY}, Derivation Description, Derivation Code Sequence (CID 7203: (113085, DCM, "Spatial
 * resampling"), (113042, DCM, "Pixel by pixel addition")) and Source Image Sequence referencing the source with
 * purpose (121322, DCM, "Source image for image processing operation") (CID 7202, PS3.3 C.7.6.1.1.3), Burned In
 * Annotation {@code NO} (the picture carries no text), Laterality of the source's eye, and RGB 8 bit pixels,
 * explicit VR little endian, written atomically. Plain inputs only: a {@link BufferedImage} and the source file.
 *
 * <pre>{@code
 * DerivedImageWriter writer = new DerivedImageWriter(UidGenerator.uuidDerived());
 * DerivedImage sc = writer.write(Path.of("eye.dcm"), overlay, "Grad-CAM of Glaucoma", Path.of("out/cam.dcm"));
 * }</pre>
 *
 * <p>Instances are safe for use by several threads.
 */
public final class DerivedImageWriter {
  /** Secondary Capture Image Storage. */
  public static final String SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.7";

  private static final DateTimeFormatter DA = DateTimeFormatter.ofPattern("yyyyMMdd");
  private static final DateTimeFormatter TM = DateTimeFormatter.ofPattern("HHmmss");

  private final UidGenerator uids;
  private final String seriesDescription;
  private final Map<String, String> seriesByStudy = new ConcurrentHashMap<>();
  private final AtomicInteger instanceNumber = new AtomicInteger();

  /** A writer taking new UIDs from {@code uids}; its series are described as {@code fundus4j Grad-CAM}. */
  public DerivedImageWriter(UidGenerator uids) {
    this(uids, "fundus4j Grad-CAM");
  }

  /** A writer taking new UIDs from {@code uids} whose series carry {@code seriesDescription}. */
  public DerivedImageWriter(UidGenerator uids, String seriesDescription) {
    this.uids = Objects.requireNonNull(uids, "uids");
    this.seriesDescription = Objects.requireNonNull(seriesDescription, "seriesDescription");
  }

  /**
   * Whether {@code file} is an image this writer made: a Secondary Capture, Image Type {@code DERIVED}, Manufacturer
   * {@code fundus4j}. Screening from a PACS skips those (they are in the source's study, and screening a heat map
   * would be screening our own output).
   *
   * @throws DicomReadException when the header cannot be read
   */
  public static boolean isWrittenByFundus4j(Path file) throws DicomReadException {
    AttributeList l = Attributes.readHeader(file);
    return SOP_CLASS_UID.equals(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l,
            TagFromName.SOPClassUID))
        && "fundus4j".equals(com.pixelmed.dicom.Attribute.getSingleStringValueOrEmptyString(l, TagFromName.Manufacturer))
        && com.pixelmed.dicom.Attribute.getDelimitedStringValuesOrEmptyString(l, TagFromName.ImageType)
            .startsWith("DERIVED");
  }

  /**
   * Writes {@code rgb}, derived from {@code sourceImage}, to {@code out}.
   *
   * @param derivationDescription what was done (Derivation Description (0008,2111), at most 1024 characters)
   * @throws DicomReadException if the source's header cannot be read or it has no Study Instance UID
   * @throws IOException if the image cannot be written (the message names {@code out})
   */
  public DerivedImage write(Path sourceImage, BufferedImage rgb, String derivationDescription, Path out)
      throws IOException {
    Objects.requireNonNull(rgb, "rgb");
    Objects.requireNonNull(out, "out");
    if (derivationDescription.isBlank() || derivationDescription.length() > 1024) {
      throw new IllegalArgumentException("Derivation Description must be 1-1024 characters, got "
          + derivationDescription.length());
    }
    if (rgb.getWidth() > 65535 || rgb.getHeight() > 65535) {
      throw new IllegalArgumentException("Rows and Columns must be at most 65535, got " + rgb.getWidth() + "x"
          + rgb.getHeight());
    }
    InstanceInfo info = DicomImages.readInfo(sourceImage);
    if (info.studyInstanceUid().isEmpty()) {
      throw new DicomReadException(sourceImage, "missing Study Instance UID (0020,000D)");
    }
    AttributeList source = Attributes.readHeader(sourceImage);
    String studyUid = info.studyInstanceUid();
    String seriesUid = seriesByStudy.computeIfAbsent(studyUid, s -> uids.next());
    String sopInstanceUid = uids.next();
    try {
      AttributeList l = build(source, info, rgb, derivationDescription, seriesUid, sopInstanceUid);
      Attributes.writePart10(l, out);
    } catch (DicomException e) {
      throw new IOException(out + ": cannot build the Secondary Capture for " + sourceImage + ": " + e.getMessage(), e);
    }
    return new DerivedImage(SOP_CLASS_UID, sopInstanceUid, seriesUid, studyUid, out);
  }

  private AttributeList build(AttributeList source, InstanceInfo info, BufferedImage rgb, String description,
      String seriesUid, String sopInstanceUid) throws DicomException {
    LocalDateTime now = LocalDateTime.now();
    String date = now.format(DA);
    String time = now.format(TM);
    AttributeList l = new AttributeList();
    // SOP Common
    Attributes.copy(source, l, TagFromName.SpecificCharacterSet);
    put(l, TagFromName.SOPClassUID, SOP_CLASS_UID);
    put(l, TagFromName.SOPInstanceUID, sopInstanceUid);
    put(l, TagFromName.InstanceCreationDate, date);
    put(l, TagFromName.InstanceCreationTime, time);
    // Patient, General Study
    Attributes.copyPatientAndStudy(source, l, info.studyInstanceUid());
    // General Series: a new series; Laterality (type 2C) of the paired organ when the source names it
    put(l, TagFromName.Modality, "OT");
    put(l, TagFromName.SeriesInstanceUID, seriesUid);
    put(l, TagFromName.SeriesNumber, "9902");
    put(l, TagFromName.SeriesDescription, seriesDescription);
    if (info.laterality().equals("R") || info.laterality().equals("L")) {
      put(l, TagFromName.Laterality, info.laterality());
    }
    // General Equipment, SC Equipment (C.8.6.1: WSD = workstation)
    put(l, TagFromName.Manufacturer, "fundus4j");
    put(l, TagFromName.ConversionType, "WSD");
    // General Image
    put(l, TagFromName.InstanceNumber, Integer.toString(instanceNumber.incrementAndGet()));
    put(l, TagFromName.PatientOrientation);
    put(l, TagFromName.ContentDate, date);
    put(l, TagFromName.ContentTime, time);
    put(l, TagFromName.ImageType, "DERIVED", "SECONDARY");
    put(l, TagFromName.DerivationDescription, description);
    SequenceAttribute derivation = new SequenceAttribute(TagFromName.DerivationCodeSequence);
    derivation.addItem(codeItem("113085", "DCM", "Spatial resampling"));
    derivation.addItem(codeItem("113042", "DCM", "Pixel by pixel addition"));
    l.put(derivation);
    SequenceAttribute sourceSeq = new SequenceAttribute(TagFromName.SourceImageSequence);
    AttributeList ref = new AttributeList();
    put(ref, TagFromName.ReferencedSOPClassUID, info.sopClassUid());
    put(ref, TagFromName.ReferencedSOPInstanceUID, info.sopInstanceUid());
    SequenceAttribute purpose = new SequenceAttribute(TagFromName.PurposeOfReferenceCodeSequence);
    purpose.addItem(codeItem("121322", "DCM", "Source image for image processing operation"));
    ref.put(purpose);
    sourceSeq.addItem(ref);
    l.put(sourceSeq);
    put(l, TagFromName.BurnedInAnnotation, "NO");
    put(l, TagFromName.LossyImageCompression, "00");
    // SC Image
    put(l, TagFromName.DateOfSecondaryCapture, date);
    put(l, TagFromName.TimeOfSecondaryCapture, time);
    // Image Pixel
    OphthalmicPhotoWriter.putRgbImagePixel(l, rgb);
    Attributes.addFileMeta(l);
    return l;
  }

  private static AttributeList codeItem(String value, String scheme, String meaning) throws DicomException {
    AttributeList item = new AttributeList();
    put(item, TagFromName.CodeValue, value);
    put(item, TagFromName.CodingSchemeDesignator, scheme);
    put(item, TagFromName.CodeMeaning, meaning);
    return item;
  }
}

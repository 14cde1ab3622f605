package org.fundus4j.dicom;

import static org.fundus4j.dicom.internal.Attributes.put;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.AttributeTagAttribute;
import com.pixelmed.dicom.CodeStringAttribute;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FloatSingleAttribute;
import com.pixelmed.dicom.OtherByteAttribute;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import org.fundus4j.dicom.internal.Attributes;
import org.fundus4j.dicom.sr.UidGenerator;

/**
 * Writes an RGB image as an Ophthalmic Photography 8 Bit Image (PS3.3 A.39) in explicit VR
 * little endian, uncompressed.
 *
 * <p>The file carries every module the IOD requires, so that {@code dciodvfy} reports no
 * errors: Patient, General Study, General Series and Ophthalmic Photography Series (Modality
 * OP), Synchronization, General Equipment, General Image, Image Pixel (RGB, 8 bits, planar
 * configuration 0), Multi-frame (one frame), Ophthalmic Photography Image, Ocular Region Imaged
 * (Anatomic Region SCT 81745001 "Eye", Image Laterality), Ophthalmic Photography Acquisition
 * Parameters and Photographic Equipment (Acquisition Device Type SCT 409898007 "Fundus
 * Camera"), SOP Common. Type 2 attributes without a known value are written empty. Its
 * purpose is test and demo data (the synthetic data set and DICOM round trips).
 *
 * <pre>{@code
 * OphthalmicPhotoWriter.write(image, identity, Path.of("out/eye-0001.dcm"));
 * }</pre>
 */
public final class OphthalmicPhotoWriter {
  /** Ophthalmic Photography 8 Bit Image Storage. */
  public static final String SOP_CLASS_UID = "1.2.840.10008.5.1.4.1.1.77.1.5.1";
  /** Implementation Class UID of fundus4j (a UUID-derived UID fixed for the project). */
  public static final String IMPLEMENTATION_CLASS_UID = "2.25.186086619654025738494831738883383804252";
  /** Implementation Version Name written in the file meta information. */
  public static final String IMPLEMENTATION_VERSION_NAME = "FUNDUS4J_0.1";
  // Ophthalmic tags that PixelMed 20220618's dictionary lacks (PS3.6).
  private static final AttributeTag PATIENT_EYE_MOVEMENT_COMMANDED = new AttributeTag(0x0022, 0x0005);
  private static final AttributeTag EMMETROPIC_MAGNIFICATION = new AttributeTag(0x0022, 0x000A);
  private static final AttributeTag INTRA_OCULAR_PRESSURE = new AttributeTag(0x0022, 0x000B);
  private static final AttributeTag HORIZONTAL_FIELD_OF_VIEW = new AttributeTag(0x0022, 0x000C);
  private static final AttributeTag PUPIL_DILATED = new AttributeTag(0x0022, 0x000D);
  private static final AttributeTag REFRACTIVE_STATE_SEQUENCE = new AttributeTag(0x0022, 0x001B);
  private static final AttributeTag ACQUISITION_DEVICE_TYPE_CODE_SEQUENCE = new AttributeTag(0x0022, 0x0015);
  private static final AttributeTag ILLUMINATION_TYPE_CODE_SEQUENCE = new AttributeTag(0x0022, 0x0016);
  private static final AttributeTag LIGHT_PATH_FILTER_TYPE_STACK_CODE_SEQUENCE = new AttributeTag(0x0022, 0x0017);
  private static final AttributeTag IMAGE_PATH_FILTER_TYPE_STACK_CODE_SEQUENCE = new AttributeTag(0x0022, 0x0018);
  /** Lenses Code Sequence (0022,0019), missing from PixelMed's dictionary. */
  private static final AttributeTag LENSES_CODE_SEQUENCE = new AttributeTag(0x0022, 0x0019);
  /** Detector Type (0018,7004), missing from PixelMed's dictionary. */
  private static final AttributeTag DETECTOR_TYPE = new AttributeTag(0x0018, 0x7004);
  private static final DateTimeFormatter DA = DateTimeFormatter.ofPattern("yyyyMMdd");

  private OphthalmicPhotoWriter() {}

  /**
   * Writes {@code rgb} (any {@link BufferedImage} type; read through {@code getRGB}) to {@code out}.
   *
   * <p>The file is written to a temporary sibling and moved into place, so {@code out} is either
   * complete or untouched.
   *
   * @param rgb the image, at most 65535 pixels on each side
   * @param id patient, study, series and instance identity
   * @param out the target file; its parent directory must exist
   * @throws IOException if the file cannot be written
   */
  public static void write(BufferedImage rgb, ImageIdentity id, Path out) throws IOException {
    Objects.requireNonNull(rgb, "rgb");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(out, "out");
    int width = rgb.getWidth();
    int height = rgb.getHeight();
    if (width > 65535 || height > 65535) {
      throw new IllegalArgumentException("Rows and Columns must be at most 65535, got " + width + "x" + height);
    }
    try {
      AttributeList list = build(rgb, id);
      org.fundus4j.dicom.internal.Attributes.writePart10(list, out);
    } catch (DicomException e) {
      throw new IOException(out + ": cannot build the DICOM data set: " + e.getMessage(), e);
    }
  }

  private static AttributeList build(BufferedImage rgb, ImageIdentity id) throws DicomException {
    LocalDateTime now = LocalDateTime.now();
    String date = id.studyDate().format(DA);
    String time = "120000";
    AttributeList l = new AttributeList();
    boolean ascii = StandardCharsets.US_ASCII.newEncoder().canEncode(id.patientName() + id.patientId());
    if (!ascii) {
      put(l, TagFromName.SpecificCharacterSet, "ISO_IR 192");
    }
    // SOP Common
    put(l, TagFromName.SOPClassUID, SOP_CLASS_UID);
    put(l, TagFromName.SOPInstanceUID, id.sopInstanceUid());
    put(l, TagFromName.InstanceCreationDate, now.format(DA));
    put(l, TagFromName.InstanceCreationTime, now.format(DateTimeFormatter.ofPattern("HHmmss")));
    // Patient
    put(l, TagFromName.PatientName, id.patientName());
    put(l, TagFromName.PatientID, id.patientId());
    put(l, TagFromName.PatientBirthDate);
    put(l, TagFromName.PatientSex);
    // General Study
    put(l, TagFromName.StudyInstanceUID, id.studyInstanceUid());
    put(l, TagFromName.StudyDate, date);
    put(l, TagFromName.StudyTime, time);
    put(l, TagFromName.ReferringPhysicianName);
    put(l, TagFromName.StudyID, "1");
    put(l, TagFromName.AccessionNumber);
    // General Series + Ophthalmic Photography Series
    put(l, TagFromName.Modality, "OP");
    put(l, TagFromName.SeriesInstanceUID, id.seriesInstanceUid());
    put(l, TagFromName.SeriesNumber, "1");
    // Synchronization
    put(l, TagFromName.SynchronizationFrameOfReferenceUID, derivedUid(id.seriesInstanceUid()));
    put(l, TagFromName.SynchronizationTrigger, "NO TRIGGER");
    put(l, TagFromName.AcquisitionTimeSynchronized, "N");
    // General Equipment
    put(l, TagFromName.Manufacturer, "fundus4j");
    // General Image + Ophthalmic Photography Image
    put(l, TagFromName.ImageType, "ORIGINAL", "PRIMARY");
    put(l, TagFromName.InstanceNumber, "1");
    put(l, TagFromName.PatientOrientation);
    put(l, TagFromName.ContentDate, date);
    put(l, TagFromName.ContentTime, time);
    put(l, TagFromName.AcquisitionDateTime, date + time);
    put(l, TagFromName.LossyImageCompression, "00");
    put(l, TagFromName.BurnedInAnnotation, "NO");
    putRgbImagePixel(l, rgb);
    // Multi-frame and Cine (one frame)
    put(l, TagFromName.NumberOfFrames, "1");
    AttributeTagAttribute pointer = new AttributeTagAttribute(TagFromName.FrameIncrementPointer);
    pointer.addValue(TagFromName.FrameTime);
    l.put(pointer);
    put(l, TagFromName.FrameTime, "0");
    // Ocular Region Imaged
    put(l, TagFromName.ImageLaterality, id.laterality());
    l.put(code(TagFromName.AnatomicRegionSequence, "81745001", "SCT", "Eye"));
    // Ophthalmic Photography Acquisition Parameters
    l.put(new CodeStringAttribute(PATIENT_EYE_MOVEMENT_COMMANDED));
    l.put(new FloatSingleAttribute(EMMETROPIC_MAGNIFICATION));
    l.put(new FloatSingleAttribute(INTRA_OCULAR_PRESSURE));
    l.put(new FloatSingleAttribute(HORIZONTAL_FIELD_OF_VIEW));
    l.put(new CodeStringAttribute(PUPIL_DILATED));
    l.put(new SequenceAttribute(REFRACTIVE_STATE_SEQUENCE));
    // Ophthalmic Photographic Parameters
    l.put(code(ACQUISITION_DEVICE_TYPE_CODE_SEQUENCE, "409898007", "SCT", "Fundus Camera"));
    l.put(new SequenceAttribute(ILLUMINATION_TYPE_CODE_SEQUENCE));
    l.put(new SequenceAttribute(LIGHT_PATH_FILTER_TYPE_STACK_CODE_SEQUENCE));
    l.put(new SequenceAttribute(IMAGE_PATH_FILTER_TYPE_STACK_CODE_SEQUENCE));
    l.put(new SequenceAttribute(LENSES_CODE_SEQUENCE));
    l.put(new CodeStringAttribute(DETECTOR_TYPE));

    Attributes.addFileMeta(l);
    return l;
  }

  /**
   * Image Pixel module (PS3.3 C.7.6.3) of {@code rgb}: RGB, 8 bits, planar configuration 0, and its Pixel Data;
   * shared with {@link DerivedImageWriter}.
   */
  static void putRgbImagePixel(AttributeList l, BufferedImage rgb) throws DicomException {
    put(l, TagFromName.SamplesPerPixel, "3");
    put(l, TagFromName.PhotometricInterpretation, "RGB");
    put(l, TagFromName.PlanarConfiguration, "0");
    put(l, TagFromName.Rows, Integer.toString(rgb.getHeight()));
    put(l, TagFromName.Columns, Integer.toString(rgb.getWidth()));
    put(l, TagFromName.BitsAllocated, "8");
    put(l, TagFromName.BitsStored, "8");
    put(l, TagFromName.HighBit, "7");
    put(l, TagFromName.PixelRepresentation, "0");
    OtherByteAttribute pixels = new OtherByteAttribute(TagFromName.PixelData);
    pixels.setValues(interleavedRgb(rgb));
    l.put(pixels);
  }

  /** RGB bytes of {@code image}, row by row, padded to even length (OB). */
  private static byte[] interleavedRgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int length = w * h * 3;
    byte[] bytes = new byte[length + (length % 2)]; // OB values have even length
    int[] row = new int[w];
    int p = 0;
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int v = row[x];
        bytes[p++] = (byte) (v >> 16);
        bytes[p++] = (byte) (v >> 8);
        bytes[p++] = (byte) v;
      }
    }
    return bytes;
  }

  /** A UID derived deterministically from another one, for the synchronization frame of reference. */
  private static String derivedUid(String uid) {
    java.util.UUID u = java.util.UUID.nameUUIDFromBytes(("sync:" + uid).getBytes(StandardCharsets.US_ASCII));
    return UidGenerator.fromUuid(u);
  }

  private static SequenceAttribute code(AttributeTag tag, String value, String scheme, String meaning)
      throws DicomException {
    SequenceAttribute seq = new SequenceAttribute(tag);
    AttributeList item = new AttributeList();
    put(item, TagFromName.CodeValue, value);
    put(item, TagFromName.CodingSchemeDesignator, scheme);
    put(item, TagFromName.CodeMeaning, meaning);
    seq.addItem(item);
    return seq;
  }
}

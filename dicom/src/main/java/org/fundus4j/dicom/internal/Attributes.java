package org.fundus4j.dicom.internal;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeFactory;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.FileMetaInformation;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.dicom.TransferSyntax;
import com.pixelmed.dicom.UnsignedLongAttribute;
import java.io.IOException;
import org.fundus4j.dicom.OphthalmicPhotoWriter;
import org.fundus4j.io.AtomicFiles;

/**
 * Attribute helpers shared by the dicom module's writers. Internal to the module (they take PixelMed types,
 * which the module's API never shows); not for use by other modules.
 */
public final class Attributes {

  private Attributes() {}

  /**
   * Writes {@code list} as an Explicit VR Little Endian Part 10 file (its group 0002 must be there),
   * atomically: the target is complete or unchanged ({@link AtomicFiles}).
   *
   * @throws IOException naming {@code target} and the cause
   */
  public static void writePart10(AttributeList list, java.nio.file.Path target) throws IOException, DicomException {
    DicomException[] failed = new DicomException[1];
    AtomicFiles.write(target, out -> {
      try {
        list.write(out, TransferSyntax.ExplicitVRLittleEndian, true, true);
      } catch (DicomException e) {
        failed[0] = e;
        throw new IOException(e.getMessage(), e);
      }
    });
    if (failed[0] != null) {
      throw failed[0];
    }
  }

  /** Puts an attribute of {@code tag}'s dictionary VR with {@code values} (none: present but empty). */
  public static void put(AttributeList list, AttributeTag tag, String... values) throws DicomException {
    Attribute a = AttributeFactory.newAttribute(tag);
    for (String v : values) {
      a.addValue(v);
    }
    list.put(a);
  }

  /**
   * Reads {@code file}'s header (everything before Pixel Data, without decompressing).
   *
   * @throws org.fundus4j.dicom.DicomReadException naming the file when it cannot be read
   */
  public static AttributeList readHeader(java.nio.file.Path file) throws org.fundus4j.dicom.DicomReadException {
    AttributeList list = new AttributeList();
    try {
      list.setDecompressPixelData(false);
      list.read(file.toString(), TagFromName.PixelData);
    } catch (DicomException | IOException | RuntimeException e) {
      throw new org.fundus4j.dicom.DicomReadException(file, "header cannot be read: " + e, e);
    }
    return list;
  }

  /** Copies {@code tag} from {@code from} when it is there with a value. */
  public static void copy(AttributeList from, AttributeList to, AttributeTag tag) {
    Attribute a = from.get(tag);
    if (a != null && a.getVM() > 0) {
      to.put(a);
    }
  }

  /** Copies {@code tag} from {@code from}, or puts it empty (a type 2 attribute the source lacks). */
  public static void copyOrEmpty(AttributeList from, AttributeList to, AttributeTag tag) throws DicomException {
    Attribute a = from.get(tag);
    if (a != null) {
      to.put(a);
    } else {
      put(to, tag);
    }
  }

  /**
   * Copies Patient (PS3.3 C.7.1.1: name, ID, issuer, birth date, sex) and General Study (C.7.2.1) from
   * {@code source}, so a derived object (SR, Secondary Capture) sits in the source's patient and study.
   */
  public static void copyPatientAndStudy(AttributeList source, AttributeList to, String studyUid)
      throws DicomException {
    copyOrEmpty(source, to, TagFromName.PatientName);
    copyOrEmpty(source, to, TagFromName.PatientID);
    copy(source, to, TagFromName.IssuerOfPatientID);
    copyOrEmpty(source, to, TagFromName.PatientBirthDate);
    copyOrEmpty(source, to, TagFromName.PatientSex);
    put(to, TagFromName.StudyInstanceUID, studyUid);
    copyOrEmpty(source, to, TagFromName.StudyDate);
    copyOrEmpty(source, to, TagFromName.StudyTime);
    copyOrEmpty(source, to, TagFromName.ReferringPhysicianName);
    copyOrEmpty(source, to, TagFromName.StudyID);
    copyOrEmpty(source, to, TagFromName.AccessionNumber);
    copy(source, to, TagFromName.StudyDescription);
  }

  /**
   * Adds group 0002 for Explicit VR Little Endian with fundus4j's implementation class UID and version name,
   * and a group length recomputed over what was added.
   */
  public static void addFileMeta(AttributeList list) throws DicomException {
    FileMetaInformation.addFileMetaInformation(list, TransferSyntax.ExplicitVRLittleEndian, "FUNDUS4J");
    put(list, TagFromName.ImplementationClassUID, OphthalmicPhotoWriter.IMPLEMENTATION_CLASS_UID);
    put(list, TagFromName.ImplementationVersionName, OphthalmicPhotoWriter.IMPLEMENTATION_VERSION_NAME);
    long length = 0;
    for (Attribute a : list.values()) {
      AttributeTag tag = a.getTag();
      if (tag.getGroup() == 0x0002 && tag.getElement() != 0x0000) {
        length += a.getLengthOfEntireEncodedAttribute(true, true);
      }
    }
    UnsignedLongAttribute groupLength = new UnsignedLongAttribute(TagFromName.FileMetaInformationGroupLength);
    groupLength.addValue(length);
    list.put(groupLength);
  }
}

package org.fundus4j.dicom.sr;

import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.DicomException;
import com.pixelmed.dicom.SequenceAttribute;
import com.pixelmed.dicom.TagFromName;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.fundus4j.dicom.internal.Attributes;

/**
 * One SR content item (PS3.3 C.17.3) under construction; package-private builder over PixelMed.
 * Each factory sets Relationship Type, Value Type, Concept Name and the value.
 */
final class ContentItem {
  private final AttributeList list = new AttributeList();
  private final List<ContentItem> children = new ArrayList<>();

  private ContentItem(String relationship, String valueType, CodedConcept name) throws DicomException {
    if (relationship != null) {
      put(list, TagFromName.RelationshipType, relationship);
    }
    put(list, TagFromName.ValueType, valueType);
    if (name != null) {
      list.put(code(TagFromName.ConceptNameCodeSequence, name));
    }
  }

  static ContentItem container(String relationship, CodedConcept name) throws DicomException {
    ContentItem item = new ContentItem(relationship, "CONTAINER", name);
    put(item.list, TagFromName.ContinuityOfContent, "SEPARATE");
    return item;
  }

  static ContentItem code(String relationship, CodedConcept name, CodedConcept value) throws DicomException {
    ContentItem item = new ContentItem(relationship, "CODE", name);
    item.list.put(code(TagFromName.ConceptCodeSequence, value));
    return item;
  }

  static ContentItem text(String relationship, CodedConcept name, String value) throws DicomException {
    ContentItem item = new ContentItem(relationship, "TEXT", name);
    put(item.list, TagFromName.TextValue, value);
    return item;
  }

  static ContentItem uidref(String relationship, CodedConcept name, String uid) throws DicomException {
    ContentItem item = new ContentItem(relationship, "UIDREF", name);
    put(item.list, TagFromName.UID, uid);
    return item;
  }

  static ContentItem num(String relationship, CodedConcept name, double value, CodedConcept unit)
      throws DicomException {
    ContentItem item = new ContentItem(relationship, "NUM", name);
    SequenceAttribute measured = new SequenceAttribute(TagFromName.MeasuredValueSequence);
    AttributeList m = new AttributeList();
    m.put(code(TagFromName.MeasurementUnitsCodeSequence, unit));
    put(m, TagFromName.NumericValue, decimalString(value));
    measured.addItem(m);
    item.list.put(measured);
    return item;
  }

  static ContentItem image(String relationship, CodedConcept nameOrNull, String sopClassUid,
      String sopInstanceUid) throws DicomException {
    ContentItem item = new ContentItem(relationship, "IMAGE", nameOrNull);
    SequenceAttribute ref = new SequenceAttribute(TagFromName.ReferencedSOPSequence);
    AttributeList r = new AttributeList();
    put(r, TagFromName.ReferencedSOPClassUID, sopClassUid);
    put(r, TagFromName.ReferencedSOPInstanceUID, sopInstanceUid);
    ref.addItem(r);
    item.list.put(ref);
    return item;
  }

  ContentItem add(ContentItem child) {
    children.add(child);
    return this;
  }

  AttributeList attributes() {
    return list;
  }

  /** Writes the children into Content Sequence (0040,A730), recursively; returns the item's attributes. */
  AttributeList build() throws DicomException {
    if (!children.isEmpty()) {
      SequenceAttribute content = new SequenceAttribute(TagFromName.ContentSequence);
      for (ContentItem child : children) {
        content.addItem(child.build());
      }
      list.put(content);
    }
    return list;
  }

  /** A DS value (at most 16 characters) that round-trips {@code value} to about 1e-12. */
  static String decimalString(double value) {
    // DS is at most 16 characters (PS3.5 6.2): the most significant digits (12 at most) that fit as a plain
    // decimal, else scientific notation (tiny probabilities such as 2.473592758E-6)
    for (int digits = 12; digits >= 6; digits--) {
      BigDecimal d = new BigDecimal(value).round(new java.math.MathContext(digits)).stripTrailingZeros();
      String s = d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
      if (s.length() <= 16) {
        return s;
      }
    }
    return String.format(java.util.Locale.ROOT, "%.8E", value);
  }


  static void put(AttributeList list, AttributeTag tag, String... values) throws DicomException {
    Attributes.put(list, tag, values);
  }

  static SequenceAttribute code(AttributeTag tag, CodedConcept concept) throws DicomException {
    SequenceAttribute seq = new SequenceAttribute(tag);
    AttributeList item = new AttributeList();
    put(item, TagFromName.CodeValue, concept.value());
    put(item, TagFromName.CodingSchemeDesignator, concept.scheme());
    put(item, TagFromName.CodeMeaning, concept.meaning());
    seq.addItem(item);
    return seq;
  }
}

package org.fundus4j.networks.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Byte-exact checks against the examples of the Protocol Buffers "Encoding" guide. */
class ProtoWriterTests {

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  @Test
  void varint150InField1IsTheGuidesExample() {
    assertArrayEquals(bytes(0x08, 0x96, 0x01), new ProtoWriter().varint(1, 150).toByteArray());
  }

  @Test
  void stringTestingInField2IsTheGuidesExample() {
    assertArrayEquals(bytes(0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67),
        new ProtoWriter().string(2, "testing").toByteArray());
  }

  @Test
  void embeddedMessageInField3IsTheGuidesExample() {
    ProtoWriter inner = new ProtoWriter().varint(1, 150);
    assertArrayEquals(bytes(0x1a, 0x03, 0x08, 0x96, 0x01), new ProtoWriter().message(3, inner).toByteArray());
  }

  @Test
  void negativeInt64TakesTenBytes() {
    assertArrayEquals(bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
        new ProtoWriter().varint(1, -1).toByteArray());
  }

  @Test
  void floatIsLittleEndianFixed32() {
    // 1.0f = 0x3f800000; tag (2 << 3) | 5 = 0x15.
    assertArrayEquals(bytes(0x15, 0x00, 0x00, 0x80, 0x3f), new ProtoWriter().fixed32Float(2, 1.0f).toByteArray());
  }

  @Test
  void largeFieldNumbersUseMultiByteTags() {
    // AttributeProto.type = 20 (varint): tag (20 << 3) | 0 = 160 = 0xa0 0x01.
    assertArrayEquals(bytes(0xa0, 0x01, 0x07), new ProtoWriter().varint(20, 7).toByteArray());
  }

  @Test
  void lengthPrefixPlusStreamedChildEqualsEmbeddedMessage() {
    ProtoWriter child = new ProtoWriter().string(1, "abc").varint(2, 300);
    ProtoWriter streamed = new ProtoWriter().lengthPrefix(7, child.size());
    byte[] a = streamed.toByteArray();
    byte[] b = child.toByteArray();
    byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    assertArrayEquals(new ProtoWriter().message(7, child).toByteArray(), joined);
  }

  @Test
  void fieldNumberZeroIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ProtoWriter().varint(0, 1));
    assertEquals("Protobuf field number must be 1..2^29-1, got 0", e.getMessage());
  }
}

package org.fundus4j.networks.torch;

import java.util.Arrays;
import java.util.Optional;

/** Element types of PyTorch storages this reader understands, named by their legacy storage class. */
enum TorchDType {
  FLOAT32("FloatStorage", "float32", 4),
  FLOAT64("DoubleStorage", "float64", 8),
  FLOAT16("HalfStorage", "float16", 2),
  BFLOAT16("BFloat16Storage", "bfloat16", 2),
  INT64("LongStorage", "int64", 8),
  INT32("IntStorage", "int32", 4),
  INT16("ShortStorage", "int16", 2),
  INT8("CharStorage", "int8", 1),
  UINT8("ByteStorage", "uint8", 1),
  BOOL("BoolStorage", "bool", 1);

  final String storageClass;
  final String pythonName;
  final int bytes;

  TorchDType(String storageClass, String pythonName, int bytes) {
    this.storageClass = storageClass;
    this.pythonName = pythonName;
    this.bytes = bytes;
  }

  static Optional<TorchDType> ofStorageClass(String name) {
    return Arrays.stream(values()).filter(t -> t.storageClass.equals(name)).findFirst();
  }
}

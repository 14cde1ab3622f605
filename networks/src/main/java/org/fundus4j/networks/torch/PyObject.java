package org.fundus4j.networks.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/** A pickled Python object of an allowed class ({@code torch.nn} modules): its class name and {@code __dict__}. */
final class PyObject {
  final String className;
  final Map<String, Object> state = new LinkedHashMap<>();

  PyObject(String className) {
    this.className = className;
  }

  @SuppressWarnings("unchecked")
  void setState(Object newState) {
    if (newState instanceof Map<?, ?> map) {
      map.forEach((k, v) -> state.put(String.valueOf(k), v));
    } else if (newState instanceof Object[] pair && pair.length == 2) {
      // (dict, slotstate) as pickle writes for objects with __slots__
      if (pair[0] instanceof Map<?, ?>) {
        setState(pair[0]);
      }
      if (pair[1] instanceof Map<?, ?>) {
        setState(pair[1]);
      }
    } else if (newState != null) {
      throw new IllegalArgumentException("Unsupported pickled state for " + className + ": "
          + newState.getClass().getSimpleName());
    }
  }

  @Override
  public String toString() {
    return className;
  }
}

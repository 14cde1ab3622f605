package org.fundus4j.screening;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.junit.jupiter.api.Test;

class InferenceEngineTests {

  @Test
  void screeningSessionsHaveIntraOpThreadsThatSleepInsteadOfSpinning() {
    OnnxRuntimeBackend.Options options = InferenceEngine.onnxOptions(2, 4);

    assertEquals("0", options.configEntries().get("session.intra_op.allow_spinning"));
    assertEquals(2, options.intraOpThreads());
    assertEquals(4, options.batchSize());
  }
}

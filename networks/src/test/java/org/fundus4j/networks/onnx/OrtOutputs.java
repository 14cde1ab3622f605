package org.fundus4j.networks.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Runs an ONNX model once in ONNX Runtime (1 thread) and returns every output by name. */
final class OrtOutputs {
  private OrtOutputs() {}

  static Map<String, INDArray> run(Path model, String inputName, INDArray input) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(model.toString(), so);
           OnnxTensor t = OnnxTensor.createTensor(env,
               FloatBuffer.wrap(input.castTo(DataType.FLOAT).dup('c').data().asFloat()), input.shape());
           OrtSession.Result r = session.run(Map.of(inputName, t))) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
          OnnxTensor o = (OnnxTensor) e.getValue();
          float[] v = new float[o.getFloatBuffer().remaining()];
          o.getFloatBuffer().get(v);
          out.put(e.getKey(), Nd4j.create(v, o.getInfo().getShape(), 'c'));
        }
        return out;
      }
    }
  }
}

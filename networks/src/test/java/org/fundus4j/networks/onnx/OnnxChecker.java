package org.fundus4j.networks.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Runs the reference ONNX checker ({@code onnx.checker.check_model(..., full_check=True)}, Debian's
 * python3-onnx) on an exported file and returns a one-line summary the tests can assert on:
 * {@code ir=<v> opset=<v> ops=<op:count,...> meta=<k=v;...>}.
 */
final class OnnxChecker {
  private static final String SCRIPT = String.join("\n",
      "import sys, collections, onnx",
      "m = onnx.load(sys.argv[1])",
      "onnx.checker.check_model(m, full_check=True)",
      "ops = collections.Counter(n.op_type for n in m.graph.node)",
      "print('ir=%d opset=%d ops=%s meta=%s' % (m.ir_version, m.opset_import[0].version,",
      "      ','.join('%s:%d' % kv for kv in sorted(ops.items())),",
      "      ';'.join('%s=%s' % (p.key, p.value) for p in m.metadata_props)))");

  private OnnxChecker() {}

  static String check(Path onnx) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", SCRIPT, onnx.toString())
        .redirectErrorStream(true).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("onnx.checker timed out on " + onnx);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, p.exitValue(), () -> "onnx.checker.check_model rejected " + onnx + ":\n" + out);
    return out;
  }
}

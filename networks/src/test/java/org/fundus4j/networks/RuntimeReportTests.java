package org.fundus4j.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** {@link RuntimeReport} against what the JVM, ND4J, ONNX Runtime and /proc say directly. */
class RuntimeReportTests {

  @Test
  void collectReportsThisMachinesCpuBackendBuildAndLimits() throws Exception {
    RuntimeReport report = RuntimeReport.collect();

    assertEquals("CPU", report.nd4jBackend().get("kind"));
    assertEquals("org.nd4j.linalg.cpu.nativecpu.CpuBackend", report.nd4jBackend().get("class"));
    // networks puts ND4J's oneDNN build on the class path by default (see LayerHelpers).
    assertEquals(LayerHelpers.oneDnn() ? "yes" : "no", report.nd4jBuild().get("oneDNN"));
    assertEquals("CPU", report.devices().get("ND4J"));
    if (!Files.isDirectory(Path.of("/proc/driver/nvidia/gpus"))) {
      assertEquals("none (no /proc/driver/nvidia/gpus)", report.devices().get("NVIDIA GPUs"));
    }
    assertEquals(OnnxRuntimeBackend.cudaBuild() ? "GPU (onnxruntime_gpu)" : "CPU (onnxruntime)",
        report.onnxRuntime().get("build"));
    assertTrue(report.onnxRuntime().get("providers").contains("CPU"), report.onnxRuntime().toString());
    if (!OnnxRuntimeBackend.cudaBuild()) {
      assertEquals("not in this build (CPU only)", report.onnxRuntime().get("CUDA provider"));
    } else {
      assertTrue(report.onnxRuntime().get("CUDA provider").startsWith("cannot start, screening falls back to the CPU: "),
          report.onnxRuntime().get("CUDA provider"));
    }
    assertEquals(Integer.toString(Runtime.getRuntime().availableProcessors()), report.threads().get("processors"));
    assertEquals(String.format("%.1f GiB", Runtime.getRuntime().maxMemory() / (1024.0 * 1024 * 1024)),
        report.memory().get("JVM heap max"));
    Path memoryMax = Path.of("/sys/fs/cgroup/memory.max");
    if (Files.isRegularFile(memoryMax) && Files.readString(memoryMax).trim().equals("max")) {
      assertEquals("none (cgroup v2)", report.memory().get("cgroup memory limit"));
    }

    List<String> lines = report.lines();
    assertEquals(report.nd4jBackend().size() + report.nd4jBuild().size() + report.devices().size()
        + report.onnxRuntime().size() + report.threads().size() + report.memory().size(), lines.size());
    assertTrue(lines.get(0).startsWith("ND4J backend  class"), lines.get(0));
    assertTrue(Nd4j.getBackend().buildInfo().contains("HAVE_ONEDNN") == report.nd4jBuild().get("oneDNN").equals("yes"));
  }
}

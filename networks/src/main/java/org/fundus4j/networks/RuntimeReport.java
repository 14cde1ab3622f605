package org.fundus4j.networks;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.bytedeco.javacpp.Pointer;
import org.fundus4j.networks.inference.OnnxRuntimeBackend;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What this machine would run fundus4j's training and inference on: ND4J's backend and native build,
 * the devices, ONNX Runtime's execution providers, thread counts and memory limits.
 *
 * <p>Facts only, gathered once by {@link #collect()}; {@code fundus info} prints {@link #lines()}.
 *
 * <pre>{@code
 * RuntimeReport report = RuntimeReport.collect();
 * report.lines().forEach(System.out::println);
 * }</pre>
 *
 * @param nd4jBackend ND4J's backend class and its kind ({@code CPU} or {@code CUDA})
 * @param nd4jBuild the native build: BLAS vendor, oneDNN or not, the instruction-set level, CUDA version
 * @param devices devices ND4J trains on ({@code CPU} or the CUDA GPUs) and GPUs the NVIDIA driver lists
 * @param onnxRuntime ONNX Runtime's version, build and providers, and whether CUDA would start
 * @param threads available processors, {@code OMP_NUM_THREADS}, ND4J's OpenMP threads
 * @param memory JVM heap limit, JavaCPP's off-heap limit, physical memory and the cgroup limit
 */
public record RuntimeReport(Map<String, String> nd4jBackend, Map<String, String> nd4jBuild,
    Map<String, String> devices, Map<String, String> onnxRuntime, Map<String, String> threads,
    Map<String, String> memory) {

  /** Copies the maps, keeping their order. */
  public RuntimeReport {
    nd4jBackend = copy(nd4jBackend);
    nd4jBuild = copy(nd4jBuild);
    devices = copy(devices);
    onnxRuntime = copy(onnxRuntime);
    threads = copy(threads);
    memory = copy(memory);
  }

  /** Loads ND4J and ONNX Runtime (if not loaded yet) and reads what they and the operating system report. */
  public static RuntimeReport collect() {
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    Map<String, String> backend = new LinkedHashMap<>();
    backend.put("class", Nd4j.getBackend().getClass().getName());
    backend.put("kind", Nd4j.getEnvironment().isCPU() ? "CPU" : "CUDA");
    backend.put("ND4J", jarName(Nd4j.class));

    String buildInfo = Nd4j.getBackend().buildInfo();
    Map<String, String> build = new LinkedHashMap<>();
    build.put("BLAS", String.valueOf(env.getOrDefault("blas.vendor", "unknown")));
    build.put("oneDNN", buildInfo.contains("HAVE_ONEDNN") ? "yes" : "no");
    build.put("cuDNN", buildInfo.contains("HAVE_CUDNN") ? "yes" : "no");
    build.put("native", buildInfo.contains("HAVE_ONEDNN") ? "libnd4j with oneDNN (picks its CPU kernels at run time)"
        : "libnd4j without oneDNN");
    build.put("CPU features", cpuFeatures());
    if (!Nd4j.getEnvironment().isCPU()) {
      build.put("CUDA", String.valueOf(env.getOrDefault("cuda.version", "unknown")));
    }

    Map<String, String> devices = new LinkedHashMap<>();
    int nd4jDevices = Nd4j.getAffinityManager().getNumberOfDevices();
    devices.put("ND4J", Nd4j.getEnvironment().isCPU() ? "CPU" : nd4jDevices + " CUDA device(s)");
    List<String> gpus = nvidiaGpus();
    devices.put("NVIDIA GPUs", gpus.isEmpty() ? "none (no /proc/driver/nvidia/gpus)" : String.join("; ", gpus));

    Map<String, String> ort = new LinkedHashMap<>();
    OrtEnvironment ortEnv = OrtEnvironment.getEnvironment();
    ort.put("version", ortEnv.getVersion());
    ort.put("build", OnnxRuntimeBackend.cudaBuild() ? "GPU (onnxruntime_gpu)" : "CPU (onnxruntime)");
    TreeSet<String> providers = new TreeSet<>();
    for (OrtProvider p : OrtEnvironment.getAvailableProviders()) {
      providers.add(p.name());
    }
    ort.put("providers", String.join(", ", providers));
    ort.put("CUDA provider", cudaStatus());

    Map<String, String> threads = new LinkedHashMap<>();
    threads.put("processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
    String omp = System.getenv("OMP_NUM_THREADS");
    threads.put("OMP_NUM_THREADS", omp == null ? "(unset)" : omp);
    threads.put("ND4J OpenMP threads", String.valueOf(env.getOrDefault("omp.threads", Nd4j.getEnvironment().maxThreads())));
    threads.put("cgroup CPU quota", cgroupCpu());

    Map<String, String> memory = new LinkedHashMap<>();
    memory.put("JVM heap max", gib(Runtime.getRuntime().maxMemory()));
    memory.put("JavaCPP off-heap max", gib(Pointer.maxBytes()));
    memory.put("JavaCPP physical max", gib(Pointer.maxPhysicalBytes()));
    memory.put("physical memory", gib(Pointer.totalPhysicalBytes()));
    memory.put("cgroup memory limit", cgroupMemory());
    return new RuntimeReport(backend, build, devices, ort, threads, memory);
  }

  /** One {@code section: key = value} line per fact, sections in the order of the record. */
  public List<String> lines() {
    List<String> lines = new ArrayList<>();
    add(lines, "ND4J backend", nd4jBackend);
    add(lines, "ND4J build", nd4jBuild);
    add(lines, "devices", devices);
    add(lines, "ONNX Runtime", onnxRuntime);
    add(lines, "threads", threads);
    add(lines, "memory", memory);
    return lines;
  }

  private static void add(List<String> lines, String section, Map<String, String> facts) {
    facts.forEach((k, v) -> lines.add(String.format("%-13s %-22s %s", section, k, v)));
  }

  private static String cudaStatus() {
    if (!OnnxRuntimeBackend.cudaBuild()) {
      return "not in this build (CPU only)";
    }
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.addCUDA(0);
      return "starts on GPU 0";
    } catch (Exception | UnsatisfiedLinkError e) {
      String message = e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ');
      return "cannot start, screening falls back to the CPU: " + message;
    }
  }

  /** The vector extensions {@code /proc/cpuinfo} lists that oneDNN and ONNX Runtime choose kernels by. */
  static String cpuFeatures() {
    String info = read(Path.of("/proc/cpuinfo"));
    if (info == null) {
      return "unknown (no /proc/cpuinfo)";
    }
    String flags = info.lines().filter(l -> l.startsWith("flags")).findFirst().orElse("");
    List<String> found = new ArrayList<>();
    for (String flag : List.of("avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile")) {
      if ((" " + flags + " ").contains(" " + flag + " ")) {
        found.add(flag);
      }
    }
    return found.isEmpty() ? "none of avx/avx2/avx512" : String.join(" ", found);
  }

  /** The jar a class was loaded from, e.g. {@code nd4j-api-1.0.0-M2.1.jar}, which names its version. */
  private static String jarName(Class<?> type) {
    try {
      return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString();
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static List<String> nvidiaGpus() {
    List<String> gpus = new ArrayList<>();
    Path root = Path.of("/proc/driver/nvidia/gpus");
    if (!Files.isDirectory(root)) {
      return gpus;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path gpu : dirs) {
        Path info = gpu.resolve("information");
        String model = Files.isRegularFile(info) ? Files.readAllLines(info).stream()
            .filter(l -> l.startsWith("Model:")).map(l -> l.substring(6).trim()).findFirst().orElse("?") : "?";
        gpus.add(gpu.getFileName() + " " + model);
      }
    } catch (IOException e) {
      gpus.add("unreadable: " + e.getMessage());
    }
    return gpus;
  }

  private static String cgroupMemory() {
    String v2 = read(Path.of("/sys/fs/cgroup/memory.max"));
    if (v2 != null) {
      return v2.equals("max") ? "none (cgroup v2)" : gib(Long.parseLong(v2)) + " (cgroup v2)";
    }
    String v1 = read(Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    if (v1 != null) {
      long bytes = Long.parseLong(v1);
      return bytes >= Long.MAX_VALUE / 2 ? "none (cgroup v1)" : gib(bytes) + " (cgroup v1)";
    }
    return "none found";
  }

  private static String cgroupCpu() {
    String v2 = read(Path.of("/sys/fs/cgroup/cpu.max"));
    if (v2 == null) {
      return "none found";
    }
    String[] parts = v2.split("\\s+");
    if (parts[0].equals("max")) {
      return "none (cgroup v2)";
    }
    return String.format("%.2f CPUs (cgroup v2)", Double.parseDouble(parts[0]) / Double.parseDouble(parts[1]));
  }

  private static String read(Path file) {
    try {
      return Files.isRegularFile(file) ? Files.readString(file).trim() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String gib(long bytes) {
    return bytes <= 0 ? "unlimited" : String.format("%.1f GiB", bytes / (1024.0 * 1024 * 1024));
  }

  private static Map<String, String> copy(Map<String, String> map) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }
}

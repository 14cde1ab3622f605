package org.fundus4j.benchmarks;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomWebAuth;
import org.fundus4j.dicom.net.DicomWebClient;
import org.fundus4j.dicom.net.PacsAddress;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.net.ReceivedInstance;
import org.fundus4j.dicom.store.LocalStore;
import org.fundus4j.dicom.store.PullSummary;
import org.fundus4j.dicom.store.RetrieveMethod;
import org.fundus4j.dicom.store.StudyPuller;

/**
 * Time to pull one study of N fundus instances from a real Orthanc by C-GET, C-MOVE and WADO-RS with
 * fundus4j ({@link StudyPuller} into a {@link LocalStore}: C-FIND/QIDO listing, fsync and manifest per
 * instance included), against dcmtk's {@code getscu} and {@code movescu} on the same Orthanc in the same
 * run (issue 5). A benchmark, not a test: numbers depend on the machine.
 *
 * <p>Input: N Ophthalmic Photography 8 Bit JPEG baseline instances made with {@code img2dcm -oph} from
 * {@code data/cc0/retina-normal-left.jpg} scaled to {@code size} px (each darkened differently, so the
 * pixel data differ). dcmtk runs twice: as it comes (proposes uncompressed only, so Orthanc transcodes)
 * and with {@code +xy} (prefers JPEG baseline, so it receives the stored bytes like fundus4j does).
 *
 * <p>Run: {@code benchmarks/run-pacs-benchmark.sh [instances] [size] [repeats] [only]}, defaults 200 512 3
 * and all methods ({@code only} keeps rows whose "method client" contains it, e.g. {@code fundus4j}).
 * One untimed warm-up round runs every method, then {@code repeats} timed rounds run every method in turn
 * (interleaved, into fresh folders); prints a Markdown table (median, best and worst of the rounds) with
 * the load average before and after.
 */
public final class PacsPullBenchmark {

  private static final String USER = "bench";
  private static final String PASSWORD = "bench-only";

  private static String ONLY = "";

  private PacsPullBenchmark() {
  }

  /** Entry point: {@code [instances] [size] [repeats]}. */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    String only = args.length > 3 ? args[3] : "";
    System.out.println(run(n, size, repeats, only));
  }

  /** One measured method. */
  record Row(String method, String tool, List<Double> seconds, int instances, String transferSyntax,
      List<Double> ourCpuMs, List<Double> orthancCpuMs) {
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }

  /** CPU time (user + system) this JVM has used, in ms. */
  static double ourCpuMs() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime() / 1e6;
  }

  /** CPU time (user + system) of process {@code pid} so far, in ms, from {@code /proc/<pid>/stat} (Linux). */
  static double cpuMsOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000.0 / 100; // utime + stime, USER_HZ = 100
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** The IMAGE-level listing of the study as {@code StudyPuller} makes it (its row counts matches). */
  static void list(PacsAddress pacs, String study, boolean sopClasses) throws Exception {
    try (PacsClient client = new PacsClient(pacs, AeTitle.of("FUNDUS4J"))) {
      LIST_COUNT.set(client.findInstances(study, sopClasses).size());
    }
  }

  /** Matches of the last listing round (a listing writes no files). */
  static final java.util.concurrent.atomic.AtomicInteger LIST_COUNT = new java.util.concurrent.atomic.AtomicInteger();

  /** Runs the benchmark and returns the Markdown table. */
  public static String run(int n, int size, int repeats, String only) throws Exception {
    ONLY = only;
    Path work = Files.createTempDirectory("pacs-bench");
    Process orthanc = null;
    try {
      int dicomPort = freePort();
      int httpPort = freePort();
      int ourMovePort = freePort();
      int dcmtkMovePort = freePort();
      orthanc = startOrthanc(work.resolve("orthanc"), dicomPort, httpPort, ourMovePort, dcmtkMovePort);
      String study = makeAndUploadStudy(work.resolve("src"), n, size, httpPort);
      long bytes;
      try (Stream<Path> s = Files.list(work.resolve("src"))) {
        bytes = s.mapToLong(p -> p.toFile().length()).sum();
      }
      PacsAddress pacs = new PacsAddress("127.0.0.1", dicomPort, AeTitle.of("ORTHANC"));
      URI web = URI.create("http://127.0.0.1:" + httpPort + "/dicom-web/");

      List<Method> methods = new ArrayList<>();
      methods.add(new Method("C-GET", "fundus4j", dir -> ours(dir, pacs, ourMovePort, web, study, RetrieveMethod.C_GET)));
      methods.add(new Method("C-MOVE", "fundus4j", dir -> ours(dir, pacs, ourMovePort, web, study,
          RetrieveMethod.C_MOVE)));
      methods.add(new Method("WADO-RS", "fundus4j", dir -> ours(dir, pacs, ourMovePort, web, study,
          RetrieveMethod.WADO_RS)));
      // the listing alone, as StudyPuller asks for it (UIDs only) and with the SOP class and laterality keys
      methods.add(new Method("C-FIND IMAGE", "fundus4j, UIDs only", dir -> list(pacs, study, false)));
      methods.add(new Method("C-FIND IMAGE", "fundus4j, + SOP class, laterality", dir -> list(pacs, study, true)));
      methods.add(new Method("C-GET", "getscu +xy", dir -> dcmtk(dir, List.of("getscu", "+xy", "-aet",
          "GETSCU", "-aec", "ORTHANC", "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study,
          "-od", dir.toString(), "127.0.0.1", String.valueOf(dicomPort)))));
      methods.add(new Method("C-GET", "getscu (default)", dir -> dcmtk(dir, List.of("getscu", "-aet",
          "GETSCU", "-aec", "ORTHANC", "-S", "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study,
          "-od", dir.toString(), "127.0.0.1", String.valueOf(dicomPort)))));
      methods.add(new Method("C-MOVE", "movescu +xy", dir -> dcmtk(dir, List.of("movescu", "+xy", "-aet",
          "MOVESCU", "-aem", "MOVESCU", "-aec", "ORTHANC", "--port", String.valueOf(dcmtkMovePort), "-S", "-k",
          "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study, "-od", dir.toString(), "127.0.0.1",
          String.valueOf(dicomPort)))));
      methods.add(new Method("C-MOVE", "movescu (default)", dir -> dcmtk(dir, List.of("movescu", "-aet",
          "MOVESCU", "-aem", "MOVESCU", "-aec", "ORTHANC", "--port", String.valueOf(dcmtkMovePort), "-S", "-k",
          "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + study, "-od", dir.toString(), "127.0.0.1",
          String.valueOf(dicomPort)))));
      methods.removeIf(m -> !ONLY.isEmpty() && !(m.method() + " " + m.tool()).contains(ONLY));
      String fsync = fsyncProbe(work.resolve("fsync-probe"));
      String loadBefore = loadAverage();
      // round -1 is an untimed warm-up of every method; then rounds interleave the methods, so a busy spell of
      // the shared machine hits every method alike instead of whichever ran during it
      for (int round = -1; round < repeats; round++) {
        for (Method m : methods) {
          m.runOnce(work, round >= 0, orthanc.pid());
        }
      }
      List<Row> rows = new ArrayList<>();
      for (Method m : methods) {
        rows.add(m.row());
        System.err.printf(Locale.ROOT, "%s %s: %s s%n", m.method(), m.tool(), m.seconds);
      }

      StringBuilder md = new StringBuilder();
      md.append(String.format(Locale.ROOT, "%d instances, %dx%d px OP JPEG baseline, %.1f MB stored; %d interleaved"
              + " round(s) after one warm-up round; %d processors, Java %s, Orthanc on 127.0.0.1; load average"
              + " before %s, after %s%n%n", n, size, size, bytes / 1e6, repeats,
          Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadBefore, loadAverage()));
      md.append("Disk flushes in the work folder (what `LocalStore`'s group commit saves): ").append(fsync)
          .append("\n\n");
      md.append("| method | client | median s | best s | worst s | instances/s (median) | instances/s (best) | received"
          + " | CPU ms/instance, our JVM (median) | CPU ms/instance, Orthanc (median) | transfer syntax received |\n");
      md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (Row r : rows) {
        List<Double> sorted = r.seconds().stream().sorted().toList();
        double median = sorted.get(sorted.size() / 2);
        String ours = r.tool().startsWith("fundus4j") ? String.format(Locale.ROOT, "%.2f",
            median(r.ourCpuMs()) / Math.max(1, r.instances())) : "-";
        md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.0f | %.0f | %d | %s | %.2f | %s |%n",
            r.method(), r.tool(), median, sorted.get(0), sorted.get(sorted.size() - 1), r.instances() / median,
            r.instances() / sorted.get(0), r.instances(), ours, median(r.orthancCpuMs()) / Math.max(1, r.instances()),
            r.transferSyntax()));
      }
      return md.toString();
    } finally {
      if (orthanc != null) {
        orthanc.destroy(); // SIGTERM by PID
        if (!orthanc.waitFor(20, TimeUnit.SECONDS)) {
          orthanc.destroyForcibly();
        }
      }
    }
  }

  @FunctionalInterface
  interface Pull {
    void into(Path dir) throws Exception;
  }

  /** One method's runs, accumulated round by round. */
  static final class Method {
    private final String method;
    private final String tool;
    private final Pull pull;
    final List<Double> seconds = new ArrayList<>();
    final List<Double> ourCpu = new ArrayList<>();
    final List<Double> orthancCpu = new ArrayList<>();
    private int instances;
    private String ts = "-";
    private String failure;

    Method(String method, String tool, Pull pull) {
      this.method = method;
      this.tool = tool;
      this.pull = pull;
    }

    String method() {
      return method;
    }

    String tool() {
      return tool;
    }

    void runOnce(Path work, boolean timed, long orthancPid) throws Exception {
      if (failure != null) {
        return;
      }
      Path dir = work.resolve("out-" + UUID.randomUUID());
      Files.createDirectories(dir);
      LIST_COUNT.set(-1);
      double cpu0 = ourCpuMs();
      double orthanc0 = cpuMsOf(orthancPid);
      long t0 = System.nanoTime();
      try {
        pull.into(dir);
      } catch (Exception e) {
        String reason = String.valueOf(e.getMessage());
        System.err.println(method + " " + tool + " failed: " + reason);
        failure = "failed: " + reason.substring(Math.max(0, reason.lastIndexOf("E: "))).strip();
        deleteTree(dir);
        return;
      }
      if (timed) {
        seconds.add((System.nanoTime() - t0) / 1e9);
        ourCpu.add(ourCpuMs() - cpu0);
        orthancCpu.add(cpuMsOf(orthancPid) - orthanc0);
      }
      if (LIST_COUNT.get() >= 0) {
        instances = LIST_COUNT.get();
        ts = "-";
        deleteTree(dir);
        return;
      }
      List<Path> files;
      try (Stream<Path> s = Files.walk(dir)) {
        files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("manifest")
            && !p.getFileName().toString().startsWith(".")).toList();
      }
      instances = files.size();
      ts = files.isEmpty() ? "-" : ReceivedInstance.read(files.get(0)).transferSyntaxUid();
      deleteTree(dir);
    }

    Row row() {
      if (failure != null || seconds.isEmpty()) {
        return new Row(method, tool, List.of(Double.NaN), 0, failure == null ? "not run" : failure, List.of(),
            List.of());
      }
      return new Row(method, tool, seconds, instances, name(ts), ourCpu, orthancCpu);
    }
  }

  /**
   * The cost of one fsync in {@code dir}: 32 files of 20 KB (one instance's size here) forced one after the
   * other, each followed by a force of the folder (a store without group commit), then 32 more forced from 4
   * threads at once with one folder force (the group commit's way).
   */
  static String fsyncProbe(Path dir) throws Exception {
    Files.createDirectories(dir);
    byte[] bytes = new byte[20_000];
    new java.util.Random(1).nextBytes(bytes);
    int n = 32;
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Path f = Files.write(dir.resolve("one-" + i), bytes);
      org.fundus4j.io.AtomicFiles.fsync(f);
      org.fundus4j.io.AtomicFiles.fsyncDirectory(dir);
    }
    long t1 = System.nanoTime();
    java.util.Map<Path, Path> moves = new java.util.LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      moves.put(Files.write(dir.resolve("rx-" + i), bytes), dir.resolve("group").resolve("g-" + i));
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    long t2 = System.nanoTime();
    try {
      org.fundus4j.io.AtomicFiles.moveAll(moves, pool);
    } finally {
      pool.shutdownNow();
    }
    long t3 = System.nanoTime();
    deleteTree(dir);
    return String.format(Locale.ROOT, "file + folder force one after the other %.1f ms per file; `AtomicFiles.moveAll`"
        + " of %d files (forced from 4 threads, one folder force) %.1f ms per file", (t1 - t0) / 1e6 / n, n,
        (t3 - t2) / 1e6 / n);
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "n/a";
    }
  }

  static String name(String ts) {
    return switch (ts) {
      case "1.2.840.10008.1.2.4.50" -> "JPEG baseline (as stored)";
      case "1.2.840.10008.1.2.1" -> "Explicit VR LE (transcoded)";
      case "1.2.840.10008.1.2" -> "Implicit VR LE (transcoded)";
      case "-" -> "- (matches, not instances)";
      default -> ts;
    };
  }

  static void ours(Path dir, PacsAddress pacs, int movePort, URI web, String study, RetrieveMethod method)
      throws Exception {
    try (LocalStore store = LocalStore.open(dir)) {
      PullSummary s;
      if (method == RetrieveMethod.WADO_RS) {
        s = new StudyPuller(store, new DicomWebClient(web, DicomWebAuth.basic(USER, PASSWORD)))
            .pull(study, ProgressListener.NONE);
      } else {
        try (PacsClient client = new PacsClient(pacs, AeTitle.of("FUNDUS4J"))
            .withMoveReceiver(InetAddress.getLoopbackAddress(), movePort)) {
          s = new StudyPuller(store, client, method).pull(study, ProgressListener.NONE);
        }
      }
      if (!s.complete()) {
        throw new IllegalStateException(method + " pull incomplete: " + s);
      }
    }
  }

  static void dcmtk(Path dir, List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Process startOrthanc(Path dir, int dicomPort, int httpPort, int ourMovePort, int dcmtkMovePort)
      throws Exception {
    Files.createDirectories(dir.resolve("storage"));
    String modality = "\"%s\" : { \"AET\" : \"%s\", \"Host\" : \"127.0.0.1\", \"Port\" : %d }";
    String json = """
        { "Name" : "fundus4j-bench", "StorageDirectory" : "%s", "IndexDirectory" : "%s",
          "HttpPort" : %d, "DicomPort" : %d, "DicomAet" : "ORTHANC", "RemoteAccessAllowed" : false,
          "AuthenticationEnabled" : true, "RegisteredUsers" : { "%s" : "%s" }, "DicomCheckCalledAet" : true,
          "DicomModalities" : { %s, %s, %s }, "SaveJobs" : false, "KeepAlive" : false,
          "Plugins" : [ "/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ],
          "DicomWeb" : { "Enable" : true, "Root" : "/dicom-web/" } }
        """.formatted(dir.resolve("storage"), dir.resolve("storage"), httpPort, dicomPort, USER, PASSWORD,
        modality.formatted("fundus4j", "FUNDUS4J", ourMovePort), modality.formatted("movescu", "MOVESCU", dcmtkMovePort),
        modality.formatted("getscu", "GETSCU", freePort()));
    Files.writeString(dir.resolve("orthanc.json"), json);
    Files.createDirectories(dir.resolve("logs"));
    Process p = new ProcessBuilder("/usr/sbin/Orthanc", "--logdir=" + dir.resolve("logs"),
        dir.resolve("orthanc.json").toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("orthanc.out").toFile()).start();
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 300; i++) {
      try {
        if (http.send(get(httpPort, "/system"), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return p;
        }
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    p.destroyForcibly();
    throw new IOException("Orthanc did not start; see " + dir.resolve("orthanc.out"));
  }

  static HttpRequest get(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", auth()).build();
  }

  static String auth() {
    return "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
  }

  /** Makes the study with img2dcm and uploads it through Orthanc's REST API; returns the Study Instance UID. */
  static String makeAndUploadStudy(Path dir, int n, int size, int httpPort) throws Exception {
    Files.createDirectories(dir);
    BufferedImage source = ImageIO.read(Path.of("data", "cc0", "retina-normal-left.jpg").toFile());
    if (source == null) {
      throw new IOException("Run from the project root: data/cc0/retina-normal-left.jpg not found");
    }
    String study = "2.25." + new java.math.BigInteger(1, uuidBytes());
    String series = "2.25." + new java.math.BigInteger(1, uuidBytes());
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 1; i <= n; i++) {
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.drawImage(source, 0, 0, size, size, null);
      g.setColor(new Color(0, 0, 0, (i * 37) % 160));
      g.fillRect(0, 0, size, size);
      g.dispose();
      Path jpg = dir.resolve("src.jpg");
      ImageIO.write(img, "jpg", jpg.toFile());
      Path dcm = dir.resolve(String.format("op-%04d.dcm", i));
      dcmtk(dir, List.of("img2dcm", "-oph", jpg.toString(), dcm.toString(), "-k", "ImageLaterality=L",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeValue=409898007",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SCT",
          "-k", "AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus Camera",
          "-k", "PatientID=BENCH", "-k", "StudyInstanceUID=" + study, "-k", "SeriesInstanceUID=" + series,
          "-k", "InstanceNumber=" + i));
      Files.delete(jpg);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/instances"))
          .header("Authorization", auth()).POST(HttpRequest.BodyPublishers.ofFile(dcm)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException("Upload of " + dcm + " failed: HTTP " + r.statusCode());
      }
    }
    return study;
  }

  static byte[] uuidBytes() {
    UUID u = UUID.randomUUID();
    return java.nio.ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits())
        .array();
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

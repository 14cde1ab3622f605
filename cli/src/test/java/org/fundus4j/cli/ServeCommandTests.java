package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.PacsClient;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.node.NodeStatus;
import org.fundus4j.dicom.node.StorageNode;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.transfer.ModelCard;
import org.fundus4j.transfer.SavedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fundus serve} from its command-line options: dcmtk's storescu as the modality, the node with a
 * saved ResNet-50 behind {@code Screener}, Orthanc receiving one SR per image.
 */
class ServeCommandTests {

  static final String SR_COMPREHENSIVE_3D = "1.2.840.10008.5.1.4.1.1.88.34";

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities("FUNDUS4J");
  static OrthancServer orthanc;
  static Path model;

  @BeforeAll
  static void start() throws Exception {
    orthanc = ORTHANC.server();
    model = binaryModel(tmp.resolve("model"), "serve test model");
  }

  /** A binary ResNet-50 model folder at 64 px (random weights, synthetic card): what the node tests screen with. */
  static Path binaryModel(Path dir, String name) throws java.io.IOException {
    SavedModel.save(dir, ResNet50.build(Head.linear(2), 5), new ModelCard(name, "1.0", "binary",
        List.of("normal", "abnormal"), "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true,
        Map.of()));
    return dir;
  }

  static ServeCommand parse(String... args) {
    ServeCommand command = new ServeCommand();
    new CommandLine(command).parseArgs(args);
    return command;
  }

  static String storescu(String callingAe, int port, List<Path> files) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("storescu", "-xy", "-aet", callingAe, "-aec", "FUNDUSNODE",
        "127.0.0.1", String.valueOf(port)));
    files.forEach(f -> cmd.add(f.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return "exit=" + p.exitValue() + "\n" + out;
  }

  @Test
  void serveScreensWithAMultiLabelModelIntoSevenCodedFindingsWithCalls() throws Exception {
    List<String> labels = List.of("AMD", "Glaucoma", "Glaucoma_suspect", "DMR", "Pathologic myopia", "ERM", "RVO");
    Map<String, Double> thresholds = new java.util.LinkedHashMap<>();
    labels.forEach(l -> thresholds.put(l, 0.5));
    Path multi = tmp.resolve("multi-model");
    SavedModel.save(multi, ResNet50.build(Head.multiLabel(7), 6), new ModelCard("serve multi-label model", "2.0",
        "multi-label", labels, "Scratch", "FT", 64, ModelCard.IMAGENET_MEAN, ModelCard.IMAGENET_STD, true, Map.of(),
        null, new ModelCard.OperatingPoint("fixed 0.5 for the test", thresholds)));
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("multi-images"), 1, "PAT-SERVE-7", "R",
        "20240802", 64);
    Path work = tmp.resolve("multi-node");
    String[] args = {"--aet", "FUNDUSNODE", "--port", "0", "--bind", "127.0.0.1", "--allow", "FUNDUSCAM",
        "--work", work.toString(), "--model", multi.toString(), "--send-to", orthanc.dicom().toString(),
        "--calling-aet", "FUNDUS4J", "--retry-delay", "1"};

    try (StorageNode node = parse(args).start()) {
      String out = storescu("FUNDUSCAM", node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)), "node did not finish: " + node.status());
      assertEquals(1, node.status().srSent(), node.status().toString());
    }
    List<Path> srs;
    try (var files = java.nio.file.Files.walk(work)) {
      srs = files.filter(java.nio.file.Files::isRegularFile).filter(f -> {
        try {
          return org.fundus4j.dicom.DicomImages.readInfo(f).sopClassUid().equals(SR_COMPREHENSIVE_3D);
        } catch (java.io.IOException e) {
          return false;
        }
      }).toList();
    }
    assertEquals(1, srs.size(), srs.toString());
    String dump = org.fundus4j.dicom.testing.Validators.run(List.of("dsrdump", srs.get(0).toString()), 30).text();
    assertEquals(7, dump.split("\"Measurement Group\"", -1).length - 1, dump);
    int calls = dump.split(java.util.regex.Pattern.quote("SCT,\"Present\")>"), -1).length
        + dump.split(java.util.regex.Pattern.quote("SCT,\"Absent\")>"), -1).length - 2;
    assertEquals(7, calls, "a call per finding: " + dump);
    assertTrue(dump.contains("<contains CODE:(,,\"Finding\")=(F4J-0002,99FUNDUS4J,\"Glaucoma suspect\")>"), dump);
    assertEquals(List.of(), org.fundus4j.dicom.testing.Validators.dciodvfyErrors(srs.get(0)));
  }

  @Test
  void serveScreensWhatStorescuPushesAndSendsOneSrPerImageToOrthanc() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("images"), 4, "PAT-SERVE-1", "L",
        "20240801", 64);
    Path work = tmp.resolve("node");
    String[] args = {"--aet", "FUNDUSNODE", "--port", "0", "--bind", "127.0.0.1", "--allow", "FUNDUSCAM,OTHERCAM",
        "--work", work.toString(), "--model", model.toString(), "--send-to", orthanc.dicom().toString(),
        "--calling-aet", "FUNDUS4J", "--retry-delay", "1"};

    try (StorageNode node = parse(args).start()) {
      String intruder = storescu("INTRUDER", node.port(), study.files());
      assertTrue(intruder.contains("Calling AE Title Not Recognized"), intruder);

      String out = storescu("FUNDUSCAM", node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)), "node did not finish: " + node.status());
      assertEquals(new NodeStatus(4, 4, 0, 0, 1), node.status());
    }
    List<QueryMatch> srs = instancesInOrthanc(study.studyInstanceUid());
    assertEquals(4, srs.size(), "one SR per image: " + srs);
    assertTrue(srs.stream().allMatch(m -> m.sopClassUid().equals(SR_COMPREHENSIVE_3D)), srs.toString());

    // the same options on the same work dir after a restart: the images come again, no second SR
    try (StorageNode node = parse(args).start()) {
      String again = storescu("OTHERCAM", node.port(), study.files());
      assertTrue(again.startsWith("exit=0"), again);
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
      assertEquals(4, node.status().srSent());
    }
    List<QueryMatch> after = instancesInOrthanc(study.studyInstanceUid());
    assertEquals(new HashSet<>(srs.stream().map(QueryMatch::sopInstanceUid).toList()),
        new HashSet<>(after.stream().map(QueryMatch::sopInstanceUid).toList()));
  }

  @Test
  void serveGradCamSendsEachOverlayWithItsSrAndAfterARestartTheSameFiles() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("cam-images"), 2, "PAT-SERVE-CAM", "R",
        "20240803", 64);
    Path work = tmp.resolve("cam-node");
    String down = orthanc.dicom().withPort(OrthancServer.freePort()).toString(); // nothing listens there
    List<String> common = List.of("--aet", "FUNDUSNODE", "--port", "0", "--bind", "127.0.0.1", "--allow",
        "FUNDUSCAM", "--work", work.toString(), "--model", model.toString(), "--calling-aet", "FUNDUS4J",
        "--retry-delay", "1", "--gradcam");

    // the destination is down: both images are screened, their overlays and SRs written and journalled, unsent
    try (StorageNode node = parse(with(common, "--send-to", down)).start()) {
      String out = storescu("FUNDUSCAM", node.port(), study.files());
      assertTrue(out.startsWith("exit=0"), out);
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (files(work.resolve("sr")).size() < 2 || node.lastSendError().isEmpty()) {
        assertTrue(System.nanoTime() < deadline, "node did not write 2 SRs: " + node.status());
        Thread.sleep(50);
      }
      assertEquals(0, node.status().srSent());
    }
    List<Path> overlays = files(work.resolve("gradcam"));
    assertEquals(2, overlays.stream().filter(f -> f.toString().endsWith(".dcm")).count(), overlays.toString());
    Set<String> written = new HashSet<>();
    for (Path f : files(work.resolve("sr"))) {
      written.add(org.fundus4j.dicom.DicomImages.readInfo(f).sopInstanceUid());
      List<Path> sent = org.fundus4j.dicom.sr.ScreeningReportWriter.filesToSend(f);
      assertEquals(2, sent.size(), "one overlay, then the SR: " + sent);
      String overlayUid = org.fundus4j.dicom.DicomImages.readInfo(sent.get(0)).sopInstanceUid();
      written.add(overlayUid);
      assertEquals(List.of(), org.fundus4j.dicom.testing.Validators.dciodvfyErrors(sent.get(0)), sent.get(0).toString());
      String report = org.fundus4j.dicom.testing.Validators.run(List.of("dsrdump", "+Pu", f.toString()), 30).text();
      assertTrue(report.contains(overlayUid), "the SR references its overlay\n" + report);
    }

    // restarted with the destination up: the same files (same UIDs) are sent, no new overlay or SR is made
    try (StorageNode node = parse(with(common, "--send-to", orthanc.dicom().toString())).start()) {
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)), "node did not finish: " + node.status());
      assertEquals(2, node.status().srSent(), node.status().toString());
    }
    List<QueryMatch> inOrthanc = instancesInOrthanc(study.studyInstanceUid());
    assertEquals(written, new HashSet<>(inOrthanc.stream().map(QueryMatch::sopInstanceUid).toList()),
        "Orthanc holds the 2 SRs and 2 overlays written before the restart, in the source study: " + inOrthanc);
    assertEquals(2, inOrthanc.stream().filter(m -> m.sopClassUid().equals(SR_COMPREHENSIVE_3D)).count());
    assertEquals(2, inOrthanc.stream().filter(m -> m.sopClassUid().equals("1.2.840.10008.5.1.4.1.1.7")).count());
  }

  private static String[] with(List<String> common, String... more) {
    List<String> all = new ArrayList<>(common);
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  private static List<Path> files(Path dir) throws java.io.IOException {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return List.of();
    }
    try (var walk = java.nio.file.Files.walk(dir)) {
      return walk.filter(java.nio.file.Files::isRegularFile).sorted().toList();
    }
  }

  @Test
  void fundusServeInItsOwnProcessRunsUntilSigtermAndPrintsItsCounts() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("process-images"), 2, "PAT-SERVE-2", "R",
        "20240802", 64);
    Path stderr = tmp.resolve("serve-stderr.txt");
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g", "-cp",
        classPath, FundusCli.class.getName(), "serve", "--aet", "FUNDUSNODE", "--port", "0", "--bind", "127.0.0.1",
        "--allow", "FUNDUSCAM", "--work", tmp.resolve("process-node").toString(), "--model", model.toString(),
        "--send-to", orthanc.dicom().toString(), "--calling-aet", "FUNDUS4J", "--status-every", "1",
        "--http", "127.0.0.1:0");
    Process serve = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
    try {
      List<String> lines = new ArrayList<>();
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(240), () -> {
        java.io.BufferedReader out = new java.io.BufferedReader(
            new java.io.InputStreamReader(serve.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        String first = readLine(out, lines, stderr);
        String prefix = "fundus serve: FUNDUSNODE listening on 127.0.0.1:";
        assertTrue(first.startsWith(prefix), first);
        int port = Integer.parseInt(first.substring(prefix.length(), first.indexOf(',', prefix.length())));
        String monitorLine = readLine(out, lines, stderr);
        String httpPrefix = "fundus serve: status page, /health and /metrics on http://127.0.0.1:";
        assertTrue(monitorLine.startsWith(httpPrefix), monitorLine);
        int httpPort = Integer.parseInt(monitorLine.substring(httpPrefix.length(), monitorLine.lastIndexOf('/')));
        assertEquals("received 0, SRs sent 0, failed 0, queued 0, rejected associations 0", readLine(out, lines, stderr));

        String pushed = storescu("FUNDUSCAM", port, study.files());
        assertTrue(pushed.startsWith("exit=0"), pushed);
        String status;
        do {
          status = readLine(out, lines, stderr);
        } while (!status.startsWith("received 2, SRs sent 2"));
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create("http://127.0.0.1:" + httpPort + "/metrics")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(metrics.contains("\nfundus_node_sr_sent_images 2.0\n"), metrics);
        assertTrue(metrics.matches("(?s).*\nfundus_node_screening_seconds_count 2(\\.0)?\n.*"), metrics);

        serve.toHandle().destroy(); // SIGTERM by PID (Process.destroy would also close our end of stdout)
        assertTrue(serve.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "serve did not stop on SIGTERM");
        String last;
        do {
          last = readLine(out, lines, stderr);
        } while (!last.startsWith("fundus serve: stopped"));
        assertEquals("fundus serve: stopped; received 2, SRs sent 2, failed 0, queued 0, rejected associations 0",
            last);
      }, () -> "serve output so far: " + lines);
    } finally {
      if (serve.isAlive()) {
        serve.destroyForcibly().waitFor();
      }
    }
    assertEquals(2, instancesInOrthanc(study.studyInstanceUid()).size());
  }

  private static String readLine(java.io.BufferedReader out, List<String> lines, Path stderr) throws Exception {
    String line = out.readLine();
    if (line == null) {
      throw new AssertionError("fundus serve ended; output " + lines + "; stderr:\n"
          + java.nio.file.Files.readString(stderr));
    }
    lines.add(line);
    return line;
  }

  @Test
  void serveNeedsExactlyOneDestination() {
    String[] common = {"--aet", "FUNDUSNODE", "--port", "0", "--allow", "FUNDUSCAM", "--work",
        tmp.resolve("w").toString(), "--model", model.toString()};
    CommandLine.ParameterException none = org.junit.jupiter.api.Assertions.assertThrows(
        CommandLine.ParameterException.class, () -> parse(common));
    assertTrue(none.getMessage().contains("--send-to") && none.getMessage().contains("--stow"), none.getMessage());

    List<String> both = new ArrayList<>(List.of(common));
    both.addAll(List.of("--send-to", orthanc.dicom().toString(), "--stow", orthanc.dicomWebRoot().toString()));
    CommandLine.ParameterException twice = org.junit.jupiter.api.Assertions.assertThrows(
        CommandLine.ParameterException.class, () -> parse(both.toArray(String[]::new)));
    assertTrue(twice.getMessage().contains("mutually exclusive"), twice.getMessage());
  }

  /** Every instance Orthanc holds for the study (the images went only to the node, so these are the SRs). */
  static List<QueryMatch> instancesInOrthanc(String studyUid) throws Exception {
    try (PacsClient pacs = new PacsClient(orthanc.dicom(), AeTitle.of("FUNDUS4J"))) {
      return pacs.findInstances(studyUid);
    }
  }
}

package org.fundus4j.dicom.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.fundus4j.dicom.testing.FundusStudyFixture;
import org.fundus4j.dicom.testing.MeanBrightnessScreener;
import org.fundus4j.dicom.testing.OrthancExtension;
import org.fundus4j.dicom.testing.OrthancServer;
import org.fundus4j.dicom.testing.Storescu;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's monitoring ({@link NodeMonitor}): 20 images pushed with dcmtk's storescu, SRs to Orthanc; then
 * {@code /metrics} parsed line by line against the node's own {@link NodeStatus}, {@code /health} read as JSON,
 * and the status page loaded in headless Chromium (no console errors, screenshot, rendered counts).
 */
class NodeMonitorTest {

  static final Path SCREENSHOT = Path.of("target", "node-monitor", "status-page.png");

  @TempDir
  static Path tmp;
  @RegisterExtension
  static final OrthancExtension ORTHANC = OrthancExtension.withModalities();
  static OrthancServer orthanc;

  @BeforeAll
  static void start() throws Exception {
    orthanc = ORTHANC.server();
  }

  /** {@code name{labels}} to value, from the Prometheus text format (comment lines skipped). */
  static Map<String, Double> parseMetrics(String text) {
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return samples;
  }

  static HttpResponse<String> get(URI uri, Optional<String> token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri);
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  record Result(int exit, String stdout, String stderr) {}

  static Result chromium(Path profile, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--hide-scrollbars", "--user-data-dir=" + profile.toAbsolutePath()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "chromium", ".out");
    Path err = Files.createTempFile(tmp, "chromium", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish in 180 s: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void metricsHealthAndStatusPageAgreeWithTheNodesSummaryAfterTwentyImages() throws Exception {
    FundusStudyFixture.Study study = FundusStudyFixture.make(tmp.resolve("src"), 20, "PAT-MON", "R", "20240707", 32);
    NodeConfig config = StorageNodeTest.config(tmp.resolve("node"), SrDestination.cStore(orthanc.dicom(),
        StorageNodeTest.NODE));
    try (StorageNode node = StorageNode.start(config);
        NodeMonitor monitor = NodeMonitor.start(node, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            Optional.empty())) {
      String out = Storescu.push("-xy", StorageNodeTest.MODALITY.value(), StorageNodeTest.NODE.value(), node.port(),
          study.files());
      assertTrue(out.startsWith("exit=0"), out);
      assertTrue(node.awaitIdle(Duration.ofSeconds(120)));
      NodeStatus status = node.status();
      assertEquals(new NodeStatus(20, 20, 0, 0, 0), status);
      URI base = URI.create("http://127.0.0.1:" + monitor.port());

      // /metrics against the node's own summary
      HttpResponse<String> metricsResponse = get(base.resolve("/metrics"), Optional.empty());
      assertEquals(200, metricsResponse.statusCode());
      assertTrue(metricsResponse.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      Map<String, Double> m = parseMetrics(metricsResponse.body());
      assertEquals(status.received(), m.get("fundus_node_received_images"));
      assertEquals(status.srSent(), m.get("fundus_node_sr_sent_images"));
      assertEquals(status.failed(), m.get("fundus_node_failed_images"));
      assertEquals(status.queued(), m.get("fundus_node_queue_length"));
      assertEquals(status.rejectedAssociations(), m.get("fundus_node_rejected_associations"));
      assertEquals(20.0, m.get("fundus_node_received_total"));
      assertEquals(20.0, m.get("fundus_node_screened_total"));
      assertEquals(20.0, m.get("fundus_node_srs_sent_total"));
      assertEquals(0.0, m.get("fundus_node_results_sent_total"));
      assertEquals(0.0, m.get("fundus_node_failed_total{reason=\"screening\"}"));
      assertEquals(0.0, m.get("fundus_node_retries_total{destination=\"sr\"}"));
      assertEquals(20.0, m.get("fundus_node_screening_seconds_count"));
      assertEquals(20.0, m.get("fundus_node_screening_seconds_bucket{le=\"+Inf\"}"));
      assertTrue(m.get("fundus_node_screening_seconds_sum") > 0);

      // /health
      JsonNode health = new ObjectMapper().readTree(get(base.resolve("/health"), Optional.empty()).body());
      assertTrue(health.get("up").asBoolean());
      assertEquals("fundus4j mean brightness (test) 1.0", health.get("model").asText());
      assertEquals(0, health.get("queueLength").asLong());
      assertTrue(health.get("destinationReachable").asBoolean());
      assertEquals("", health.get("lastError").asText());

      // one instance the model cannot screen (one of the node's own SRs: no pixel data) is a failure by reason
      Path sr;
      try (var files = Files.list(tmp.resolve("node").resolve("sr"))) {
        sr = files.filter(f -> f.toString().endsWith(".dcm")).findFirst().orElseThrow();
      }
      String badOut = Storescu.push("-R", StorageNodeTest.MODALITY.value(), StorageNodeTest.NODE.value(),
          node.port(), List.of(sr));
      assertTrue(badOut.startsWith("exit=0"), badOut);
      assertTrue(node.awaitIdle(Duration.ofSeconds(60)));
      status = node.status();
      assertEquals(new NodeStatus(20, 20, 1, 0, 0), status); // received counts images on disk in the store
      m = parseMetrics(get(base.resolve("/metrics"), Optional.empty()).body());
      assertEquals(status.failed(), m.get("fundus_node_failed_images"));
      assertEquals(1.0, m.get("fundus_node_failed_total{reason=\"screening\"}"));
      assertEquals(21.0, m.get("fundus_node_received_total"));
      assertEquals(20.0, m.get("fundus_node_screened_total"));
      health = new ObjectMapper().readTree(get(base.resolve("/health"), Optional.empty()).body());
      assertTrue(health.get("lastError").asText().startsWith("screening: screening failed"), health.toString());

      // the status page in headless Chromium: loads, no console errors, screenshot, the counts as rendered
      Path profile = Files.createTempDirectory(tmp, "chromium-profile");
      Files.createDirectories(SCREENSHOT.getParent());
      Files.deleteIfExists(SCREENSHOT);
      Result shot = chromium(profile, "--enable-logging=stderr", "--v=0", "--window-size=1000,1400",
          "--screenshot=" + SCREENSHOT.toAbsolutePath(), base.resolve("/").toString());
      assertEquals(0, shot.exit(), shot.stderr());
      List<String> console = shot.stderr().lines()
          .filter(l -> l.contains(":CONSOLE") || l.contains("Uncaught") || l.contains("ERR_")).toList();
      assertEquals(List.of(), console, "console messages while loading the status page");
      BufferedImage png = ImageIO.read(SCREENSHOT.toFile());
      assertEquals(1000, png.getWidth());
      assertTrue(darkPixels(png) > 1000, "the screenshot shows text");
      Result dom = chromium(profile, "--dump-dom", base.resolve("/").toString());
      assertEquals(0, dom.exit(), dom.stderr());
      for (Map.Entry<String, Long> e : Map.of("received", status.received(), "sr-sent", status.srSent(),
          "failed", status.failed(), "queued", status.queued(), "screened", 20L).entrySet()) {
        Matcher cell = Pattern.compile("id=\"" + e.getKey() + "\">(\\d+)<").matcher(dom.stdout());
        assertTrue(cell.find(), "no count '" + e.getKey() + "' in the rendered page");
        assertEquals(e.getValue(), Long.parseLong(cell.group(1)), e.getKey());
      }
      Matcher rows = Pattern.compile(
          "<td><code>uid#[0-9a-f]{8}</code></td><td>Imaging result abnormal</td><td>0\\.\\d{3}</td>")
          .matcher(dom.stdout());
      int recent = 0;
      while (rows.find()) {
        recent++;
      }
      assertEquals(NodeMetrics.RECENT, recent, "recent results with short hashes and probabilities");
      assertTrue(dom.stdout().contains("<td>screening</td>"), "the failure and its reason are listed");
      assertTrue(!dom.stdout().contains("PAT-MON") && !dom.stdout().contains(study.studyInstanceUid()),
          "no patient ID or full UID on the page");
    }
  }

  static long darkPixels(BufferedImage png) {
    long n = 0;
    for (int y = 0; y < png.getHeight(); y++) {
      for (int x = 0; x < png.getWidth(); x++) {
        int rgb = png.getRGB(x, y);
        if (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff) < 200) {
          n++;
        }
      }
    }
    return n;
  }

  @Test
  void bearerTokenIsRequiredWhenSetAndOnlyGetIsServed() throws Exception {
    NodeConfig config = StorageNodeTest.config(tmp.resolve("node-token"), SrDestination.cStore(orthanc.dicom(),
        StorageNodeTest.NODE));
    try (StorageNode node = StorageNode.start(config);
        NodeMonitor monitor = NodeMonitor.start(node, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            Optional.of("monitor-secret"))) {
      URI health = URI.create("http://127.0.0.1:" + monitor.port() + "/health");
      assertEquals(401, get(health, Optional.empty()).statusCode());
      assertEquals(401, get(health, Optional.of("wrong")).statusCode());
      assertEquals(200, get(health, Optional.of("monitor-secret")).statusCode());
      HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(health)
          .header("Authorization", "Bearer monitor-secret").POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      assertEquals(404, get(URI.create("http://127.0.0.1:" + monitor.port() + "/nope"), Optional.of("monitor-secret"))
          .statusCode());
    }
  }
}

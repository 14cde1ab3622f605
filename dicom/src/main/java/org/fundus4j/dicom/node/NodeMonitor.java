package org.fundus4j.dicom.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of a running {@link StorageNode} for hospital IT: {@code /health} (JSON), {@code /metrics}
 * (Prometheus text format, {@link NodeMetrics}) and {@code /} (an HTML status page with the counts, the
 * queue, recent results and failures; UIDs as short hashes, never patient names or IDs).
 *
 * <p>Binds where it is told (the cli's default is loopback, {@code 127.0.0.1}); with a token every request
 * needs {@code Authorization: Bearer <token>} and gets 401 otherwise. Read-only: GET and HEAD only.
 * <pre>{@code
 * try (StorageNode node = StorageNode.start(config);
 *     NodeMonitor monitor = NodeMonitor.start(node, new InetSocketAddress("127.0.0.1", 8080), Optional.empty())) {
 *   // curl http://127.0.0.1:8080/health
 * }
 * }</pre>
 * {@code /health} fields: {@code up} (true while the node runs), {@code model} (algorithm name and version),
 * {@code queueLength}, {@code destination} (where SRs and results go), {@code destinationReachable} (false
 * while the last send failed), {@code lastError} (the last failure or failed send of this run, or empty).
 */
public final class NodeMonitor implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(NodeMonitor.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private final StorageNode node;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Optional<String> token;

  private NodeMonitor(StorageNode node, HttpServer server, ExecutorService executor, Optional<String> token) {
    this.node = node;
    this.server = server;
    this.executor = executor;
    this.token = token;
  }

  /**
   * Serves the node's health, metrics and status page on {@code address} until closed.
   *
   * @param token bearer token every request must carry, or empty for none
   * @throws IOException when the address cannot be bound
   */
  public static NodeMonitor start(StorageNode node, InetSocketAddress address, Optional<String> token)
      throws IOException {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(token, "token");
    if (token.isPresent() && token.get().isBlank()) {
      throw new IllegalArgumentException("Monitoring bearer token must not be blank");
    }
    HttpServer server = HttpServer.create(address, 16);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "fundus-node-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    NodeMonitor monitor = new NodeMonitor(node, server, executor, token);
    server.createContext("/", monitor::handle);
    server.start();
    LOG.info("Node monitoring on http://{}:{}/ (health, metrics){}", address.getHostString(), monitor.port(),
        token.isPresent() ? ", bearer token required" : "");
    return monitor;
  }

  /** The bound TCP port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        reply(exchange, 405, "text/plain; charset=utf-8", "Only GET and HEAD are served\n");
        return;
      }
      if (token.isPresent() && !authorised(exchange.getRequestHeaders().getFirst("Authorization"))) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
        reply(exchange, 401, "text/plain; charset=utf-8", "Bearer token required\n");
        return;
      }
      switch (exchange.getRequestURI().getPath()) {
        case "/health" -> reply(exchange, 200, "application/json", health());
        case "/metrics" -> reply(exchange, 200, NodeMetrics.prometheusContentType(),
            node.metrics().prometheusText());
        case "/" -> reply(exchange, 200, "text/html; charset=utf-8", statusPage());
        default -> reply(exchange, 404, "text/plain; charset=utf-8", "Not found; try /, /health or /metrics\n");
      }
    } catch (RuntimeException e) {
      LOG.warn("Monitoring request failed: {}", e.toString());
    }
  }

  private boolean authorised(String header) {
    if (header == null || !header.startsWith("Bearer ")) {
      return false;
    }
    // constant-time comparison
    return MessageDigest.isEqual(header.substring(7).strip().getBytes(StandardCharsets.UTF_8),
        token.orElseThrow().getBytes(StandardCharsets.UTF_8));
  }

  private static void reply(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The {@code /health} document. */
  String health() {
    NodeStatus s = node.status();
    ObjectNode json = JSON.createObjectNode();
    json.put("up", true);
    json.put("model", node.config().screener().algorithm().name() + " " + node.config().screener().algorithm()
        .version());
    json.put("queueLength", s.queued());
    json.put("destination", destinations());
    json.put("destinationReachable", node.lastSendError().isEmpty());
    json.put("lastError", node.metrics().lastError());
    return json.toString();
  }

  private String destinations() {
    return node.config().destination() + node.config().publisher().map(p -> "; " + p.describe()).orElse("");
  }

  /** The {@code /} page: self-contained HTML, no scripts. */
  String statusPage() {
    NodeStatus s = node.status();
    NodeMetrics m = node.metrics();
    StringBuilder h = new StringBuilder(4096);
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<link rel=\"icon\" href=\"data:,\"><title>fundus4j node ").append(esc(node.config().aeTitle()
            .value())).append("</title><style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;"
            + "margin-bottom:1.2em}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}"
            + "td.n{text-align:right;font-size:1.4em}caption{text-align:left;font-weight:bold;padding:.3em 0}"
            + ".warn{color:#a00}</style></head><body>")
        .append("<h1>fundus4j node ").append(esc(node.config().aeTitle().value())).append("</h1>")
        .append("<p>Research use only, not a medical device. Model: ")
        .append(esc(node.config().screener().algorithm().name() + " " + node.config().screener().algorithm()
            .version()))
        .append(". Results to: ").append(esc(destinations())).append(".</p>");
    if (!node.lastSendError().isEmpty()) {
      h.append("<p class=\"warn\">Destination unreachable: ").append(esc(node.lastSendError())).append("</p>");
    }
    h.append("<table id=\"counts\"><caption>Counts</caption>");
    row(h, "received", "Received (on disk)", s.received());
    row(h, "sr-sent", "SRs sent", s.srSent());
    row(h, "failed", "Failed", s.failed());
    row(h, "queued", "Queued", s.queued());
    row(h, "rejected", "Rejected associations", s.rejectedAssociations());
    row(h, "screened", "Screened this run", m.count("screened"));
    row(h, "results-sent", "Results sent this run", m.count("results_sent"));
    row(h, "retries", "Send retries this run", m.count("retries"));
    h.append("</table><table id=\"results\"><caption>Recent results</caption>")
        .append("<tr><th>time (UTC)</th><th>image</th><th>finding</th><th>probability</th><th>call</th></tr>");
    for (NodeMetrics.RecentResult r : m.recentResults()) {
      h.append("<tr><td>").append(TIME.format(r.at())).append("</td><td><code>").append(esc(r.image()))
          .append("</code></td><td>").append(esc(r.finding())).append("</td><td>")
          .append(String.format(Locale.ROOT, "%.3f", r.probability())).append("</td><td>")
          .append(r.call().isEmpty() ? "-" : esc(r.call())).append("</td></tr>");
    }
    h.append("</table><table id=\"failures\"><caption>Recent failures</caption>")
        .append("<tr><th>time (UTC)</th><th>image</th><th>reason</th><th>message</th></tr>");
    for (NodeMetrics.RecentFailure f : m.recentFailures()) {
      h.append("<tr><td>").append(TIME.format(f.at())).append("</td><td><code>").append(esc(f.image()))
          .append("</code></td><td>").append(esc(f.reason())).append("</td><td>").append(esc(f.message()))
          .append("</td></tr>");
    }
    h.append("</table><p>Image UIDs are shown as short hashes. Machine-readable: <a href=\"/health\">/health</a>, ")
        .append("<a href=\"/metrics\">/metrics</a>.</p></body></html>\n");
    return h.toString();
  }

  private static void row(StringBuilder h, String id, String label, long value) {
    h.append("<tr><th>").append(label).append("</th><td class=\"n\" id=\"").append(id).append("\">").append(value)
        .append("</td></tr>");
  }

  private static String esc(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** Stops serving (in-flight requests get up to a second) and ends the server's threads. */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

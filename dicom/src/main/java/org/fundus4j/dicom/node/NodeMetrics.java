package org.fundus4j.dicom.node;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.fundus4j.dicom.LogSafe;

/**
 * What a running {@link StorageNode} did, for {@code /metrics} (Prometheus text format) and the status
 * page: counters of this run, gauges read from {@link NodeStatus} at scrape time, a screening latency
 * histogram, and the last results and failures with short UID hashes only (no patient data).
 *
 * <p>Metric names (all prefixed {@code fundus_node_}):
 * <ul>
 *   <li>gauges from the node's own summary: {@code received_images}, {@code sr_sent_images},
 *       {@code failed_images}, {@code queue_length}, {@code rejected_associations};</li>
 *   <li>counters of this run: {@code received_total}, {@code screened_total}, {@code failed_total{reason}},
 *       {@code srs_sent_total}, {@code results_sent_total}, {@code retries_total{destination}};</li>
 *   <li>{@code screening_seconds}: histogram of the model's time per image.</li>
 * </ul>
 * Messages shown have every UID replaced by its short hash. Failure reasons are fixed words:
 * {@code screening}, {@code image_missing}, {@code io}, {@code internal}.
 */
public final class NodeMetrics {

  /** Number of recent results and failures kept for the status page. */
  public static final int RECENT = 20;

  /**
   * One screened image, as the status page shows it.
   *
   * @param at when the result was recorded
   * @param image short hash of the image's SOP Instance UID ({@link LogSafe#shortHash})
   * @param finding the first finding's meaning
   * @param probability its probability
   * @param call {@code "positive"}, {@code "negative"} or {@code ""} when the model has no operating point
   */
  public record RecentResult(Instant at, String image, String finding, double probability, String call) {}

  /**
   * One image that could not be screened.
   *
   * @param at when
   * @param image short hash of the image's SOP Instance UID
   * @param reason one of the fixed reason words
   * @param message the error message (names the file or field, never patient data)
   */
  public record RecentFailure(Instant at, String image, String reason, String message) {}

  private static final Pattern UID = Pattern.compile("\\d+(?:\\.\\d+){2,}");

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter received;
  private final Counter screened;
  private final Counter failed;
  private final Counter srsSent;
  private final Counter resultsSent;
  private final Counter retries;
  private final Histogram latency;
  private final Deque<RecentResult> recentResults = new ArrayDeque<>();
  private final Deque<RecentFailure> recentFailures = new ArrayDeque<>();
  private volatile String lastError = "";

  /** Metrics whose gauges read {@code status} at every scrape. */
  NodeMetrics(Supplier<NodeStatus> status) {
    received = Counter.builder().name("fundus_node_received_total")
        .help("Images received and new to the node's store, this run").register(registry);
    screened = Counter.builder().name("fundus_node_screened_total")
        .help("Images the model screened, this run").register(registry);
    failed = Counter.builder().name("fundus_node_failed_total").labelNames("reason")
        .help("Images that could not be screened, by reason, this run").register(registry);
    srsSent = Counter.builder().name("fundus_node_srs_sent_total")
        .help("SRs accepted by the SR destination, this run").register(registry);
    resultsSent = Counter.builder().name("fundus_node_results_sent_total")
        .help("Results (e.g. FHIR Bundles) accepted by the result destination, this run").register(registry);
    retries = Counter.builder().name("fundus_node_retries_total").labelNames("destination")
        .help("Sends that failed and were queued again, by destination (sr, result), this run").register(registry);
    latency = Histogram.builder().name("fundus_node_screening_seconds").unit(Unit.SECONDS)
        .help("Time the model took per image").classicOnly()
        .classicUpperBounds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30).register(registry);
    gauge("fundus_node_received_images", "Images on disk in the node's store (all runs)",
        () -> status.get().received());
    gauge("fundus_node_sr_sent_images", "Images whose SR was accepted (all runs)", () -> status.get().srSent());
    gauge("fundus_node_failed_images", "Images that could not be screened (all runs)", () -> status.get().failed());
    gauge("fundus_node_queue_length", "Images waiting for screening or sending", () -> status.get().queued());
    gauge("fundus_node_rejected_associations", "Associations refused for their calling AE title, this run",
        () -> status.get().rejectedAssociations());
    for (String reason : List.of("screening", "image_missing", "io", "internal")) {
      failed.labelValues(reason);
    }
    retries.labelValues("sr");
    retries.labelValues("result");
  }

  private void gauge(String name, String help, Supplier<Long> value) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.get())).register(registry);
  }

  void received() {
    received.inc();
  }

  void screened(String imageSop, double seconds, String finding, double probability, String call) {
    screened.inc();
    latency.observe(seconds);
    synchronized (recentResults) {
      recentResults.addFirst(new RecentResult(Instant.now(), LogSafe.shortHash(imageSop), finding, probability,
          call));
      if (recentResults.size() > RECENT) {
        recentResults.removeLast();
      }
    }
  }

  void failed(String imageSop, String reason, String rawMessage) {
    String message = shortenUids(rawMessage);
    failed.labelValues(reason).inc();
    lastError = reason + ": " + message;
    synchronized (recentFailures) {
      recentFailures.addFirst(new RecentFailure(Instant.now(), LogSafe.shortHash(imageSop), reason, message));
      if (recentFailures.size() > RECENT) {
        recentFailures.removeLast();
      }
    }
  }

  void srSent() {
    srsSent.inc();
  }

  void resultSent() {
    resultsSent.inc();
  }

  void retry(String destination, String message) {
    retries.labelValues(destination).inc();
    lastError = "sending " + destination + ": " + shortenUids(message);
  }

  /**
   * {@code text} with every DICOM UID in it (e.g. in a store path; 3+ components, 10+ characters) replaced by
   * its {@link LogSafe#shortHash}.
   */
  static String shortenUids(String text) {
    return UID.matcher(text == null ? "null" : text).replaceAll(m -> m.group().length() < 10 ? m.group()
        : LogSafe.shortHash(m.group()));
  }

  /** The last error of this run (a failure reason and message, or a failed send), or {@code ""}. */
  public String lastError() {
    return lastError;
  }

  /** The last {@value #RECENT} results, newest first. */
  public List<RecentResult> recentResults() {
    synchronized (recentResults) {
      return List.copyOf(recentResults);
    }
  }

  /** The last {@value #RECENT} failures, newest first. */
  public List<RecentFailure> recentFailures() {
    synchronized (recentFailures) {
      return List.copyOf(recentFailures);
    }
  }

  /** Count of a counter of this run, e.g. {@code screened} or {@code failed/screening}, for the status page. */
  long count(String what) {
    return switch (what) {
      case "received" -> (long) received.get();
      case "screened" -> (long) screened.get();
      case "srs_sent" -> (long) srsSent.get();
      case "results_sent" -> (long) resultsSent.get();
      case "retries" -> (long) (retries.labelValues("sr").get() + retries.labelValues("result").get());
      default -> throw new IllegalArgumentException("Unknown counter '" + what + "'");
    };
  }

  /** Every metric in the Prometheus text exposition format 0.0.4. */
  public String prometheusText() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException("Writing metrics to memory", e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Content type of {@link #prometheusText()}. */
  public static String prometheusContentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "NodeMetrics[screened=%d]", (long) screened.get());
  }
}

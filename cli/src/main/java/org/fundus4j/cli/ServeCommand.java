package org.fundus4j.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.DicomTls;
import org.fundus4j.dicom.net.DicomWebAuth;
import org.fundus4j.dicom.net.PacsAddress;
import org.fundus4j.dicom.node.NodeConfig;
import org.fundus4j.dicom.node.NodeMonitor;
import org.fundus4j.dicom.node.NodeStatus;
import org.fundus4j.dicom.node.SrDestination;
import org.fundus4j.dicom.node.StorageNode;
import org.fundus4j.dicom.sr.UidGenerator;
import org.fundus4j.screening.InferenceEngine;
import org.fundus4j.screening.Screener;
import org.fundus4j.fhir.FhirPublisher;
import org.fundus4j.transfer.SavedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fundus serve}: a listening DICOM node that screens every image it receives and sends one SR
 * per image to a PACS, until SIGTERM or Ctrl-C.
 *
 * <pre>
 * fundus serve --aet FUNDUSNODE --port 11112 --allow CAMERA1,CAMERA2 --work /var/lib/fundus4j/node \
 *     --model models/fundus-ft --send-to PACS@10.0.0.5:104
 * </pre>
 * The guarantees (allow-list, persisted before success, resumable queue, one SR per image and model
 * version) are {@link StorageNode}'s; this command builds its {@link NodeConfig} from the options.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Listens for DICOM images (storage SCP) from allow-listed AE titles, screens each with a saved "
        + "model and sends one SR per image by C-STORE (--send-to) or STOW-RS (--stow).",
        "Images are on disk in --work before the sender hears success; a restart resumes the queue and never "
            + "sends a second SR for the same image and model version. Stops on SIGTERM or Ctrl-C."})
final class ServeCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = "--aet", required = true, paramLabel = "AE", description = "The node's own (called) AE title")
  String aet;

  @Option(names = "--port", required = true, paramLabel = "N", description = "TCP port to listen on (0: any free)")
  int port;

  @Option(names = "--bind", defaultValue = "0.0.0.0", paramLabel = "ADDRESS",
      description = "Address to listen on (default: ${DEFAULT-VALUE}; 127.0.0.1 for this machine only)")
  String bind;

  @Option(names = "--allow", required = true, split = ",", paramLabel = "AE1,AE2",
      description = "Calling AE titles accepted; associations from any other title are rejected")
  List<String> allow;

  @Option(names = "--work", required = true, paramLabel = "DIR",
      description = "Work folder: received images, queue manifest, SR files, SR ledger")
  Path work;

  @Option(names = "--model", required = true, paramLabel = "MODELDIR",
      description = "Saved binary model (model.zip + model-card.json)")
  Path model;

  @Option(names = "--engine", defaultValue = "onnx", paramLabel = "onnx|dl4j",
      description = "Inference engine: ONNX Runtime on fundus4j's export, or DL4J (default: ${DEFAULT-VALUE})")
  String engine;

  @Option(names = "--gradcam", description = "Also send per image and finding a Grad-CAM overlay (a DICOM Secondary"
      + " Capture in the image's study, referenced from its SR) with the SR, as fundus screen --gradcam writes it")
  boolean gradCam;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Destination destination;

  @Option(names = "--uid-root", description = "Organisation UID root for SR UIDs (default: UUID-derived 2.25.)")
  String uidRoot;

  @Option(names = "--retry-delay", defaultValue = "10", paramLabel = "SECONDS",
      description = "Wait before sending again when the destination is down (default: ${DEFAULT-VALUE})")
  long retryDelaySeconds;

  @Option(names = "--fhir", paramLabel = "URL",
      description = "Also post one FHIR R4 transaction Bundle per image to this FHIR server base URL, retried and"
          + " never twice, like the SRs")
  URI fhir;

  @Option(names = "--fhir-token", paramLabel = "TOKEN", defaultValue = "${env:FUNDUS4J_FHIR_TOKEN}",
      description = "Bearer token for --fhir (or set FUNDUS4J_FHIR_TOKEN)")
  String fhirToken;

  @Option(names = "--http", paramLabel = "[HOST:]PORT",
      description = "Serve /health, /metrics (Prometheus) and a status page on HOST:PORT (HOST default 127.0.0.1)")
  String http;

  @Option(names = "--http-token", paramLabel = "TOKEN", defaultValue = "${env:FUNDUS4J_HTTP_TOKEN}",
      description = "Bearer token required by --http (or set FUNDUS4J_HTTP_TOKEN)")
  String httpToken;

  @Option(names = "--status-every", defaultValue = "60", paramLabel = "SECONDS",
      description = "Print the counters this often when they changed (default: ${DEFAULT-VALUE})")
  long statusEverySeconds;

  @ArgGroup(exclusive = false, multiplicity = "0..1", heading = "DICOM TLS (modalities connect with TLS):%n")
  TlsOptions tls;

  @Option(names = "--tls-client-auth", description = "With --tls-keystore: require a client certificate from"
      + " the trust store (mutual authentication)")
  boolean tlsClientAuth;

  /** Where SRs go: exactly one of C-STORE and STOW-RS. */
  static final class Destination {
    @ArgGroup(exclusive = false, multiplicity = "0..1")
    CStore cStore;

    @ArgGroup(exclusive = false, multiplicity = "0..1")
    Stow stow;
  }

  /** {@code --send-to} and its calling AE. */
  static final class CStore {
    @Option(names = "--send-to", required = true, paramLabel = "AE@HOST:PORT",
        description = "Send SRs by C-STORE to this PACS")
    String sendTo;

    @Option(names = "--calling-aet", paramLabel = "AE",
        description = "Our calling AE title towards --send-to (default: the node's --aet)")
    String callingAet;

    @Option(names = "--send-tls", description = "Send SRs over DICOM TLS with the --tls-* stores")
    boolean tls;
  }

  /** {@code --stow} and its credentials. */
  static final class Stow {
    @Option(names = "--stow", required = true, paramLabel = "URL", description = "Send SRs by STOW-RS to this "
        + "DICOMweb root")
    URI root;

    @Option(names = "--token", description = "Bearer token for --stow (or set FUNDUS4J_DICOMWEB_TOKEN)",
        defaultValue = "${env:FUNDUS4J_DICOMWEB_TOKEN}")
    String token;
  }

  /** The model behind the node, made by {@link #config()}; closed when the node stops. */
  private Screener screener;

  @Override
  public Integer call() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    StorageNode node = start();
    NodeMonitor monitor;
    try {
      monitor = http == null ? null : NodeMonitor.start(node, httpAddress(http), optional(httpToken));
    } catch (IOException | RuntimeException e) {
      node.close();
      throw e;
    }
    NodeStatus[] last = {node.status()};
    System.out.printf(Locale.ROOT, "fundus serve: %s listening on %s:%d, accepting %s; SRs by %s; work %s%n", aet,
        bind, node.port(), String.join(",", allow), destinationText(), work);
    if (monitor != null) {
      System.out.printf(Locale.ROOT, "fundus serve: status page, /health and /metrics on http://%s:%d/%n",
          httpAddress(http).getHostString(), monitor.port());
    }
    System.out.println(statusLine(last[0]));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      NodeStatus end = node.status();
      if (monitor != null) {
        monitor.close();
      }
      node.close();
      if (screener != null) {
        screener.close();
      }
      System.out.println("fundus serve: stopped; " + statusLine(end));
      stopped.countDown();
    }, "fundus-serve-shutdown"));
    long every = Math.max(1, statusEverySeconds);
    while (!stopped.await(every, TimeUnit.SECONDS)) {
      NodeStatus now = node.status();
      if (!now.equals(last[0])) {
        System.out.println(statusLine(now));
        LOG.info("Node {}: {} received, {} SRs sent, {} failed, {} queued, {} associations rejected", aet,
            now.received(), now.srSent(), now.failed(), now.queued(), now.rejectedAssociations());
        last[0] = now;
      }
    }
    return 0;
  }

  /** Builds the node's configuration from the options and starts it; the caller closes it. */
  StorageNode start() throws IOException {
    NodeConfig config = config();
    if (tls != null && tls.keyStore == null) {
      throw new IllegalArgumentException("--tls-truststore without --tls-keystore: the node needs its own"
          + " certificate to listen with TLS");
    }
    if (tls == null && tlsClientAuth) {
      throw new IllegalArgumentException("--tls-client-auth needs --tls-keystore and --tls-truststore");
    }
    DicomTls listening = TlsOptions.settings(tls);
    return StorageNode.start(config, listening == null ? null : listening.withClientAuthRequired(tlsClientAuth));
  }

  NodeConfig config() throws IOException {
    if (retryDelaySeconds <= 0) {
      throw new IllegalArgumentException("--retry-delay must be a positive number of seconds, got "
          + retryDelaySeconds);
    }
    Set<AeTitle> allowed = new LinkedHashSet<>();
    for (String a : allow) {
      allowed.add(AeTitle.of(a.strip()));
    }
    AeTitle self = AeTitle.of(aet);
    SavedModel saved = SavedModel.load(model);
    screener = new Screener(saved, null, InferenceEngine.parse(engine),
        org.fundus4j.networks.inference.Precision.FP32, 2, 1, gradCam);
    NodeConfig config = NodeConfig.of(self, port, allowed, work, screener, srDestination(self))
        .withBindAddress(InetAddress.getByName(bind))
        .withRetryDelay(Duration.ofSeconds(retryDelaySeconds));
    if (uidRoot != null) {
      config = config.withUids(UidGenerator.withRoot(uidRoot));
    }
    if (fhir != null) {
      config = config.withPublisher(new FhirPublisher(fhir, optional(fhirToken)));
    }
    return config;
  }

  private static Optional<String> optional(String token) {
    return token == null || token.isEmpty() ? Optional.empty() : Optional.of(token);
  }

  /** {@code PORT} or {@code HOST:PORT}; loopback when no host is given. */
  static InetSocketAddress httpAddress(String spec) {
    int colon = spec.lastIndexOf(':');
    String host = colon < 0 ? "127.0.0.1" : spec.substring(0, colon);
    String port = colon < 0 ? spec : spec.substring(colon + 1);
    try {
      int p = Integer.parseInt(port);
      if (p < 0 || p > 65535) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(host, p);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--http must be PORT or HOST:PORT with a port 0-65535, got '" + spec + "'");
    }
  }

  private SrDestination srDestination(AeTitle self) {
    if (destination.cStore != null) {
      AeTitle calling = destination.cStore.callingAet == null ? self : AeTitle.of(destination.cStore.callingAet);
      if (destination.cStore.tls) {
        if (tls == null) {
          throw new IllegalArgumentException("--send-tls needs --tls-truststore (and --tls-keystore for mutual auth)");
        }
        return SrDestination.cStore(PacsAddress.parse(destination.cStore.sendTo), calling, TlsOptions.settings(tls));
      }
      return SrDestination.cStore(PacsAddress.parse(destination.cStore.sendTo), calling);
    }
    String token = destination.stow.token;
    return SrDestination.stowRs(destination.stow.root,
        token == null || token.isEmpty() ? DicomWebAuth.none() : DicomWebAuth.bearer(token));
  }

  private String destinationText() {
    return (destination.cStore != null ? "C-STORE to " + destination.cStore.sendTo : "STOW-RS to "
        + destination.stow.root) + (fhir == null ? "" : ", FHIR Bundles to " + fhir);
  }

  static String statusLine(NodeStatus s) {
    return String.format(Locale.ROOT, "received %d, SRs sent %d, failed %d, queued %d, rejected associations %d",
        s.received(), s.srSent(), s.failed(), s.queued(), s.rejectedAssociations());
  }
}

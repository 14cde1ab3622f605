package org.fundus4j.dicom.node;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.fundus4j.dicom.net.AeTitle;
import org.fundus4j.dicom.net.ProgressListener;
import org.fundus4j.dicom.sr.UidGenerator;

/**
 * Settings of a {@link StorageNode}, valid once built.
 *
 * <pre>{@code
 * NodeConfig config = NodeConfig.of(AeTitle.of("FUNDUSNODE"), 11112, Set.of(AeTitle.of("CAMERA1")),
 *         Path.of("/var/lib/fundus4j/node"), screener,
 *         SrDestination.cStore(PacsAddress.parse("PACS@10.0.0.5:104"), AeTitle.of("FUNDUSNODE")))
 *     .withBindAddress(InetAddress.getByName("10.0.0.7"));
 * }</pre>
 *
 * @param aeTitle the node's AE title (associations calling another title are rejected)
 * @param bindAddress address to listen on
 * @param port TCP port, 0 for any free port (tests)
 * @param allowedCallers calling AE titles accepted; everything else gets A-ASSOCIATE-RJ
 * @param workDir folder of the node's store, queue manifest, SR files and SR ledger
 * @param screener the model
 * @param destination where SRs go
 * @param uids UID source for SRs
 * @param retryDelay wait before sending again after the destination failed
 * @param progress told {@code (SRs sent, images received)} as the queue moves
 * @param publisher a second destination for each result (e.g. FHIR), or empty
 */
public record NodeConfig(
    AeTitle aeTitle,
    InetAddress bindAddress,
    int port,
    Set<AeTitle> allowedCallers,
    Path workDir,
    ImageScreener screener,
    SrDestination destination,
    UidGenerator uids,
    Duration retryDelay,
    ProgressListener progress,
    Optional<ResultPublisher> publisher) {

  /** Checks every setting; throws {@link IllegalArgumentException} naming the bad one. */
  public NodeConfig {
    if (aeTitle == null || bindAddress == null || workDir == null || screener == null || destination == null
        || uids == null || progress == null || publisher == null) {
      throw new IllegalArgumentException("NodeConfig: AE title, bind address, work dir, screener, destination,"
          + " UID generator and progress listener are required");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("Node port must be 0-65535, got " + port);
    }
    if (allowedCallers == null || allowedCallers.isEmpty()) {
      throw new IllegalArgumentException("Node " + aeTitle + " needs at least one allow-listed calling AE title");
    }
    allowedCallers = Set.copyOf(allowedCallers);
    if (retryDelay == null || retryDelay.isNegative() || retryDelay.isZero()) {
      throw new IllegalArgumentException("Retry delay must be positive, got " + retryDelay);
    }
  }

  /** A configuration listening on all interfaces, UUID-derived SR UIDs, 10 s retry delay, no progress listener. */
  public static NodeConfig of(AeTitle aeTitle, int port, Set<AeTitle> allowedCallers, Path workDir,
      ImageScreener screener, SrDestination destination) {
    try {
      return new NodeConfig(aeTitle, InetAddress.getByName("0.0.0.0"), port, allowedCallers, workDir, screener,
          destination, UidGenerator.uuidDerived(), Duration.ofSeconds(10), ProgressListener.NONE, Optional.empty());
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException("0.0.0.0 is always resolvable", e);
    }
  }

  /** A copy listening on {@code address} only (e.g. loopback in tests). */
  public NodeConfig withBindAddress(InetAddress address) {
    return new NodeConfig(aeTitle, address, port, allowedCallers, workDir, screener, destination, uids, retryDelay,
        progress, publisher);
  }

  /** A copy sending SRs elsewhere. */
  public NodeConfig withDestination(SrDestination newDestination) {
    return new NodeConfig(aeTitle, bindAddress, port, allowedCallers, workDir, screener, newDestination, uids,
        retryDelay, progress, publisher);
  }

  /** A copy taking SR UIDs from {@code generator} (e.g. the hospital's root). */
  public NodeConfig withUids(UidGenerator generator) {
    return new NodeConfig(aeTitle, bindAddress, port, allowedCallers, workDir, screener, destination, generator,
        retryDelay, progress, publisher);
  }

  /** A copy waiting {@code delay} before retrying a failed send. */
  public NodeConfig withRetryDelay(Duration delay) {
    return new NodeConfig(aeTitle, bindAddress, port, allowedCallers, workDir, screener, destination, uids, delay,
        progress, publisher);
  }

  /** A copy reporting queue progress to {@code listener}. */
  public NodeConfig withProgress(ProgressListener listener) {
    return new NodeConfig(aeTitle, bindAddress, port, allowedCallers, workDir, screener, destination, uids,
        retryDelay, listener, publisher);
  }

  /** A copy on another port. */
  public NodeConfig withPort(int newPort) {
    return new NodeConfig(aeTitle, bindAddress, newPort, allowedCallers, workDir, screener, destination, uids,
        retryDelay, progress, publisher);
  }

  /** A copy that also sends each result to {@code resultPublisher} (e.g. a FHIR server). */
  public NodeConfig withPublisher(ResultPublisher resultPublisher) {
    return new NodeConfig(aeTitle, bindAddress, port, allowedCallers, workDir, screener, destination, uids,
        retryDelay, progress, Optional.of(resultPublisher));
  }
}

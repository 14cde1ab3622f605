package org.fundus4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One standalone cluster (Master and two Workers, {@link StandaloneCluster}) for every cluster test class of a
 * test run, injected as a {@link StandaloneCluster} parameter: starting a cluster costs three JVMs, so the cluster
 * tests start it once. It lives in JUnit's root store and is closed when the run ends (every process it started
 * stopped by its pid, its folder deleted). A test that kills a Worker starts a new one before it returns
 * ({@link StandaloneCluster#restartWorker}), so the classes may run in any order.
 *
 * <pre>{@code
 * @ExtendWith(SharedCluster.class)
 * class SomeClusterIT {
 *   @BeforeAll static void setUp(StandaloneCluster cluster) { ... }
 * }
 * }</pre>
 */
final class SharedCluster implements ParameterResolver {

  static final int WORKERS = 2;
  /**
   * Memory each Worker offers: in cluster deploy mode one Worker hosts the driver (3g for ResNet-50) and an
   * executor (3g), see {@link SparkClusterIT#MEMORY}. It is what the Master schedules by, not a limit on the JVMs.
   */
  static final String MEMORY = "6g";

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == StandaloneCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(ExtensionContext.Namespace.create(SharedCluster.class))
        .getOrComputeIfAbsent("cluster", key -> Resource.start(), Resource.class).cluster;
  }

  /** The cluster and its folder, closed with the root context. */
  private record Resource(StandaloneCluster cluster, Path work) implements ExtensionContext.Store.CloseableResource {

    static Resource start() {
      try {
        Path work = Files.createTempDirectory("fundus4j-cluster-");
        return new Resource(StandaloneCluster.start(work, WORKERS, 2, MEMORY), work);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() throws IOException {
      cluster.close();
      try (Stream<Path> files = Files.walk(work)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}

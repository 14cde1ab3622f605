package org.fundus4j.fhirjpa;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test support: starts {@link JpaFhirServer} (HAPI FHIR's JPA server, R4, H2) in a JVM of its own and stops it
 * by its pid. Uses only the JDK, so a test that depends on this module's jar alone (no transitive
 * dependencies) gets a real FHIR server without Spring, Hibernate or H2 on its own class path: the child's class
 * path is this module's classes plus the list Maven wrote into the resource {@code jpa-server.classpath} when
 * it built this module.
 */
public final class JpaFhirServerProcess implements AutoCloseable {

  private final Process process;
  private final URI base;
  private final Path log;

  private JpaFhirServerProcess(Process process, URI base, Path log) {
    this.process = process;
    this.base = base;
    this.log = log;
  }

  /**
   * Starts the server with its database and log in {@code dir} and waits until it serves.
   *
   * @param dir a folder for the H2 database, the ready file and the server's log ({@code server.log})
   * @param startTimeout how long start-up may take (Spring, Hibernate's schema, HAPI's search parameters)
   * @throws IOException when the child exits or does not serve within {@code startTimeout} (its log's tail in
   *     the message); the child is then killed
   */
  public static JpaFhirServerProcess start(Path dir, Duration startTimeout) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path ready = dir.resolve("base-url");
    Files.deleteIfExists(ready);
    Path log = dir.resolve("server.log");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-XX:TieredStopAtLevel=1", "-cp", classPath(), JpaFhirServer.class.getName(), dir.resolve("db").toString(),
        ready.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Instant deadline = Instant.now().plus(startTimeout);
    while (!Files.exists(ready)) {
      if (!p.isAlive() || Instant.now().isAfter(deadline)) {
        String what = p.isAlive() ? "not serving after " + startTimeout.toSeconds() + " s"
            : "exited with status " + p.exitValue();
        p.toHandle().destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        throw new IOException("HAPI FHIR JPA server " + what + " (log " + log + "):\n" + tail(log));
      }
      p.waitFor(200, TimeUnit.MILLISECONDS); // returns at once when the child exits
    }
    return new JpaFhirServerProcess(p, URI.create(Files.readString(ready, StandardCharsets.UTF_8).strip()), log);
  }

  /** The FHIR base, {@code http://127.0.0.1:PORT/fhir}. */
  public URI base() {
    return base;
  }

  /** The child's pid. */
  public long pid() {
    return process.pid();
  }

  /** The server's log file. */
  public Path log() {
    return log;
  }

  /** SIGTERM by pid (Jetty and Spring stop in the shutdown hook), SIGKILL after 60 s. */
  @Override
  public void close() throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.toHandle().destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  static String classPath() throws IOException {
    try (InputStream in = JpaFhirServerProcess.class.getResourceAsStream("/jpa-server.classpath")) {
      if (in == null) {
        throw new IOException("resource jpa-server.classpath missing: build module fundus4j-fhir-jpa-server"
            + " with Maven");
      }
      String deps = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
      Path own = Path.of(JpaFhirServerProcess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return own + java.io.File.pathSeparator + deps;
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}

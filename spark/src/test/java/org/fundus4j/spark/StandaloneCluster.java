package org.fundus4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A Spark 3.1 standalone cluster of separate JVM processes on 127.0.0.1: one Master and {@code n} Workers,
 * started from the Spark jars this module resolves, laid out as a {@code SPARK_HOME} with {@code jars/} (the
 * Worker builds each executor's class path from it), plus {@code SparkSubmit} runs against it.
 *
 * <p>{@code SPARK_HOME/jars} holds symbolic links to the jars listed in {@code target/spark-home.classpath}
 * (Spark, Scala, Hadoop and their dependencies, without fundus4j, DL4J or ND4J, which reach the executors in
 * the shaded job jar only, as on a real cluster). Every process is started here and stopped by its pid in
 * {@link #close} (executors, as children of their Worker, first); every wait has a deadline. Logs go to
 * {@code <work>/logs/}.
 *
 * <pre>{@code
 * try (StandaloneCluster cluster = StandaloneCluster.start(dir, 2, 2, "3g")) {
 *   StandaloneCluster.Submission job = cluster.submit("client", Map.of(), List.of(), jobJar, args);
 *   assertEquals(0, job.await(Duration.ofMinutes(3)));
 * }
 * }</pre>
 */
final class StandaloneCluster implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final String MAIN = "org.fundus4j.spark.SparkTrainMain";

  private final Path work;
  private final Path sparkHome;
  private final List<String> addOpens;
  private final int masterPort;
  private final int masterUiPort;
  private final List<Process> processes = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private final List<Integer> workerUiPorts = new ArrayList<>();
  private int cores;
  private String memory;

  private StandaloneCluster(Path work, Path sparkHome, List<String> addOpens, int masterPort, int masterUiPort) {
    this.work = work;
    this.sparkHome = sparkHome;
    this.addOpens = addOpens;
    this.masterPort = masterPort;
    this.masterUiPort = masterUiPort;
  }

  /** The shaded job jar that {@code mvn package} wrote (system property set by the failsafe plugin). */
  static Path jobJar() {
    Path jar = Path.of(required("fundus4j.spark.jobJar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("No shaded job jar at " + jar + ": run through mvn verify (spark-jar profile)");
    }
    return jar;
  }

  /**
   * Lays out {@code SPARK_HOME} under {@code work}, starts the Master and {@code workers} Workers with
   * {@code cores} cores and {@code memory} (e.g. {@code "3g"}) each, and waits until all are registered.
   */
  static StandaloneCluster start(Path work, int workers, int cores, String memory) throws IOException {
    Path home = work.resolve("spark-home");
    Path jars = home.resolve("jars");
    Files.createDirectories(jars);
    Files.createDirectories(work.resolve("logs"));
    for (String entry : Files.readString(Path.of(required("fundus4j.spark.homeClasspath"))).trim().split(":")) {
      Path jar = Path.of(entry);
      Path link = jars.resolve(jar.getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, jar);
      }
    }
    List<String> opens = Arrays.asList(required("fundus4j.spark.addOpens").trim().split("\\s+"));
    StandaloneCluster cluster = new StandaloneCluster(work, home, opens, freePort(), freePort());
    try {
      cluster.launch("master", List.of("-Xmx512m", "-Dspark.worker.timeout=10"),
          "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", "" + cluster.masterPort,
          "--webui-port", "" + cluster.masterUiPort);
      // the Workers start with the Master (they retry registering until it answers); the deadlines are
      // generous because a JVM start takes a minute on 2 cores shared with other builds
      cluster.cores = cores;
      cluster.memory = memory;
      for (int i = 0; i < workers; i++) {
        cluster.workers.add(null);
        cluster.workerUiPorts.add(0);
        cluster.launchWorker(i);
      }
      cluster.await("the Master's status page", Duration.ofMinutes(3), () -> cluster.masterStatusOrNull() != null);
      cluster.await(workers + " ALIVE workers", Duration.ofMinutes(3), () -> cluster.aliveWorkers() == workers);
      return cluster;
    } catch (RuntimeException | IOException | Error e) {   // await's timeout is an AssertionError
      cluster.close();
      throw e;
    }
  }

  private void launchWorker(int i) throws IOException {
    int ui = freePort();
    Path dir = Files.createDirectories(work.resolve("worker-" + i));
    Process worker = launch("worker-" + i + "-" + ui, List.of("-Xmx512m", "-Dspark.worker.timeout=10"),
        "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--webui-port", "" + ui, "--cores", "" + cores,
        "--memory", memory, "--work-dir", dir.toString(), masterUrl());
    workers.set(i, worker);
    workerUiPorts.set(i, ui);
  }

  /**
   * Starts a new Worker in place of Worker {@code i} (after {@link #killWorker}) and waits until the Master lists
   * it ALIVE next to the others, so that a cluster shared by several test classes has all its Workers again.
   */
  void restartWorker(int i) throws IOException {
    if (workers.get(i).isAlive()) {
      throw new IllegalStateException("Worker " + i + " is still running (pid " + workers.get(i).pid() + ")");
    }
    launchWorker(i);
    await("the new Worker " + i + " ALIVE on the Master", Duration.ofMinutes(3), () -> {
      String id;
      try {
        id = workerStatus(i).path("id").asText();
      } catch (RuntimeException e) {
        return false;   // not answering yet
      }
      JsonNode status = masterStatusOrNull();
      if (status == null || status.path("aliveworkers").asInt() != workers.size()) {
        return false;
      }
      for (JsonNode w : status.path("workers")) {
        if (w.path("id").asText().equals(id) && w.path("state").asText().equals("ALIVE")) {
          return true;
        }
      }
      return false;
    });
  }

  /** Number of Workers. */
  int size() {
    return workers.size();
  }

  /** {@code spark://127.0.0.1:<port>}. */
  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** The Master's JSON status page ({@code /json/}): workers, applications, drivers. */
  JsonNode masterStatus() {
    JsonNode status = masterStatusOrNull();
    if (status == null) {
      throw new IllegalStateException("The Master's status page does not answer; logs in " + work.resolve("logs"));
    }
    return status;
  }

  /** Worker {@code i}'s JSON status page: its running and finished executors. */
  JsonNode workerStatus(int i) {
    return getJson("http://127.0.0.1:" + workerUiPorts.get(i) + "/json/");
  }

  /** The pid of Worker {@code i} and of every process it started (executors, drivers in cluster mode). */
  Set<Long> workerPids(int i) {
    Set<Long> pids = workers.get(i).descendants().map(ProcessHandle::pid).collect(Collectors.toSet());
    pids.add(workers.get(i).pid());
    return pids;
  }

  /** Kills Worker {@code i} and the processes it started with SIGKILL, as a machine that loses power. */
  void killWorker(int i) throws InterruptedException {
    Process worker = workers.get(i);
    List<ProcessHandle> children = worker.descendants().toList();
    worker.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    worker.waitFor();
    for (ProcessHandle child : children) {
      child.onExit().join();
    }
  }

  private int aliveWorkers() {
    JsonNode status = masterStatusOrNull();
    return status == null ? -1 : status.path("aliveworkers").asInt(-1);
  }

  private JsonNode masterStatusOrNull() {
    try {
      return getJson("http://127.0.0.1:" + masterUiPort + "/json/");
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static JsonNode getJson(String url) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException(url + " answered HTTP " + response.statusCode());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(url, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts {@code SparkSubmit} with the job jar: {@code deployMode} {@code client} (the driver runs in the
   * submitting JVM, with the heap of {@code spark.driver.memory}, 1 GB unless {@code conf} says otherwise) or {@code cluster} (the Master starts the driver on a Worker and
   * the submitter waits for it to finish).
   *
   * @param conf extra {@code --conf} pairs
   * @param jars extra jars for driver and executors ({@code --jars})
   */
  Submission submit(String name, String deployMode, Map<String, String> conf, List<Path> jars, Path jobJar,
      List<String> args) throws IOException {
    Map<String, String> all = new TreeMap<>();
    String opens = String.join(" ", addOpens) + " " + String.join(" ", LOG_TIMES);
    all.put("spark.driver.extraJavaOptions", opens);
    all.put("spark.executor.extraJavaOptions", opens);
    all.put("spark.executorEnv.OMP_NUM_THREADS", "1");
    all.put("spark.executor.memory", "1g");
    all.put("spark.executor.cores", "1");
    all.put("spark.cores.max", "" + workers.size());
    all.put("spark.driver.memory", "1g");
    all.put("spark.driver.host", "127.0.0.1");
    all.put("spark.ui.enabled", "false");
    all.put("spark.locality.wait", "0");
    all.put("spark.standalone.submit.waitAppCompletion", "true");
    all.putAll(conf);
    List<String> command = new ArrayList<>(List.of("--master", masterUrl(), "--deploy-mode", deployMode,
        "--class", MAIN, "--name", name));
    all.forEach((k, v) -> command.addAll(List.of("--conf", k + "=" + v)));
    if (!jars.isEmpty()) {
      command.addAll(List.of("--jars", jars.stream().map(Path::toString).collect(Collectors.joining(","))));
    }
    command.add(jobJar.toString());
    command.addAll(args);
    Path log = work.resolve("logs").resolve(name + ".log");
    // in client mode this JVM is the driver; spark-submit's shell script would size it from spark.driver.memory
    String heap = deployMode.equals("client") ? all.get("spark.driver.memory") : "1g";
    Process process = launch(name, List.of("-Xmx" + heap), "org.apache.spark.deploy.SparkSubmit",
        command.toArray(String[]::new));
    return new Submission(process, log);
  }

  /** A running {@code SparkSubmit}: its process and its log. */
  record Submission(Process process, Path log) {

    /** Waits for the submitter to exit and returns its exit code. */
    int await(Duration timeout) throws InterruptedException {
      if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        throw new AssertionError("SparkSubmit did not finish within " + timeout + "; log " + log + ":\n" + tail());
      }
      return process.exitValue();
    }

    /** The last lines of the log, for assertion messages. */
    String tail() {
      try {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }

    /** The whole log. */
    String text() throws IOException {
      return Files.readString(log);
    }
  }

  /** The log folder: Master, Workers, submitters; executor logs are under {@code worker-<i>/<app>/<id>/}. */
  Path logs() {
    return work.resolve("logs");
  }

  /** Timestamps on every log line of the processes started here (slf4j-simple), to see where a job's time goes. */
  private static final List<String> LOG_TIMES = List.of("-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");

  private Process launch(String name, List<String> jvmOptions, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(addOpens);
    command.addAll(LOG_TIMES);
    command.addAll(List.of("-cp", sparkHome.resolve("jars") + "/*", mainClass));
    command.addAll(Arrays.asList(args));
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(work.resolve("logs").resolve(name + ".log").toFile());
    Map<String, String> env = builder.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.12");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("JAVA_HOME", System.getProperty("java.home"));
    env.put("OMP_NUM_THREADS", "1");
    Process process = builder.start();
    synchronized (processes) {
      processes.add(process);
    }
    return process;
  }

  /** Polls {@code condition} every 200 ms until it holds, failing after {@code timeout} with the logs' place. */
  void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out after " + timeout + " waiting for " + what + "; logs in " + logs());
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("Interrupted waiting for " + what, e);
      }
    }
  }

  /** Stops every process started here, children first, by pid (SIGTERM, then SIGKILL after 20 s). */
  @Override
  public void close() {
    List<Process> started;
    synchronized (processes) {
      started = new ArrayList<>(processes);
    }
    List<ProcessHandle> all = new ArrayList<>();
    for (int i = started.size() - 1; i >= 0; i--) {
      all.addAll(started.get(i).descendants().toList());
      all.add(started.get(i).toHandle());
    }
    all.forEach(ProcessHandle::destroy);
    for (ProcessHandle handle : all) {
      try {
        handle.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception e) {
        handle.destroyForcibly();
        handle.onExit().join();
      }
    }
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("System property " + property + " is not set: run through mvn verify");
    }
    return value;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

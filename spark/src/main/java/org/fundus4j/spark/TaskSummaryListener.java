package org.fundus4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts, on the driver, the tasks each executor finished and failed and the executors the application
 * lost, and reports them when the application ends: one log line, and a small properties file when
 * {@value #FILE_KEY} names one.
 *
 * <p>{@link SparkConfigs#forDl4j} registers it through {@code spark.extraListeners}, so every training
 * run says which executors did the work and what happened to those that died (Spark's reason, e.g.
 * "Worker shutting down" or "Command exited with code 137"). The file holds {@code tasks.<executor>},
 * {@code failed.<executor>}, {@code lost.<executor>} (the removal reason) and {@code executors}.
 */
public final class TaskSummaryListener extends SparkListener {

  private static final Logger LOG = LoggerFactory.getLogger(TaskSummaryListener.class);

  /** Spark property naming the summary file; unset writes none. */
  public static final String FILE_KEY = "spark.fundus4j.taskSummaryFile";

  private final String file;
  private final Map<String, Integer> succeeded = new TreeMap<>();
  private final Map<String, Integer> failed = new TreeMap<>();
  private final Map<String, String> lost = new TreeMap<>();

  /** Called by Spark for {@code spark.extraListeners}. */
  public TaskSummaryListener(SparkConf conf) {
    this.file = conf.get(FILE_KEY, "");
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    String executor = taskEnd.taskInfo().executorId();
    Map<String, Integer> counts = taskEnd.taskInfo().successful() ? succeeded : failed;
    counts.merge(executor, 1, Integer::sum);
  }

  @Override
  public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    lost.put(removed.executorId(), removed.reason().replace('\n', ' '));
  }

  @Override
  public synchronized void onApplicationEnd(SparkListenerApplicationEnd end) {
    LOG.info("Tasks finished per executor {}, failed {}, executors lost {}", succeeded, failed, lost);
    if (file.isEmpty()) {
      return;
    }
    StringBuilder text = new StringBuilder();
    Set<String> executors = new TreeSet<>(succeeded.keySet());
    executors.addAll(failed.keySet());
    text.append("executors=").append(String.join(",", executors)).append('\n');
    succeeded.forEach((e, n) -> text.append("tasks.").append(e).append('=').append(n).append('\n'));
    failed.forEach((e, n) -> text.append("failed.").append(e).append('=').append(n).append('\n'));
    lost.forEach((e, reason) -> text.append("lost.").append(e).append('=').append(reason).append('\n'));
    try {
      Path target = Path.of(file);
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the task summary " + file, e);
    }
  }
}

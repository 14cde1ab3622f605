package org.fundus4j.transfer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.fundus4j.io.AtomicFiles;

/**
 * The output folder of a {@link TransferRun} and its {@code run.json}: the settings that define the run, so
 * that resuming continues the same run and nothing else.
 *
 * <p>A run starts only in a new or empty folder; resuming needs the folder's {@code run.json} and the same
 * settings (how many threads or devices run it is not one of them), and says which setting differs otherwise.
 */
final class RunFolder {

  static final String RUN = "run.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RunFolder() {}

  /**
   * Checks that a run with {@code options} (option name to value; key {@code command} names the command)
   * may start or resume in {@code out}; writes nothing.
   */
  static void check(Path out, boolean resume, Map<String, String> options) throws IOException {
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new IllegalArgumentException("Output folder " + out + " is a file; give a folder");
    }
    if (!resume) {
      if (!isEmpty(out)) {
        throw new IllegalArgumentException("Output folder " + out + " is not empty; resume (--resume) to continue "
            + "the run in it, or give a new or empty folder");
      }
      return;
    }
    Path file = out.resolve(RUN);
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("Cannot resume: " + out + " holds no run to continue (no " + RUN
          + "); start without resuming");
    }
    Map<String, String> before = read(file);
    if (!Objects.equals(before.get("command"), options.get("command"))) {
      throw new IllegalArgumentException("Cannot resume: the run in " + out + " was made by '"
          + before.get("command") + "', not '" + options.get("command") + "'");
    }
    Set<String> keys = new LinkedHashSet<>(before.keySet());
    keys.addAll(options.keySet());
    for (String key : keys) {
      if (!Objects.equals(before.get(key), options.get(key))) {
        throw new IllegalArgumentException("Cannot resume: " + key + " was " + shown(before.get(key))
            + " in the run in " + out + ", now " + shown(options.get(key)) + "; resume with the run's settings (see "
            + file + ")");
      }
    }
  }

  /** Creates the folder and writes {@code run.json} (atomically). */
  static void write(Path out, Map<String, String> options) throws IOException {
    Files.createDirectories(out);
    AtomicFiles.write(out.resolve(RUN), stream -> JSON.writeValue(stream, options));
  }

  private static Map<String, String> read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, String>>() {});
  }

  private static String shown(String value) {
    return value == null ? "not given" : "'" + value + "'";
  }

  private static boolean isEmpty(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return true;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }
}

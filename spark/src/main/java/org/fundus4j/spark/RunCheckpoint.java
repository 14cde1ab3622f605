package org.fundus4j.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.fundus4j.networks.LayerHelpers;

/**
 * The per-epoch checkpoint of a {@link SparkTrainMain} run and the atomic publication of its model folder.
 *
 * <p>The checkpoint lives beside the output folder, in {@code <output>.checkpoint/}: {@code epoch-<k>.zip}
 * (weights and updater state after {@code k} epochs) and {@code state.json} (epochs done, the loss of each,
 * the weights file and the options that must not change on resume). Each file is written under a temporary
 * name and moved into place, and {@code state.json} is moved last, so a driver killed at any moment leaves
 * either the previous or the new checkpoint, never a mixture. The model folder itself is assembled in a
 * hidden sibling ({@code .<output>.partial}) and renamed into place in one step ({@link #publish}): it is
 * either absent, the previous model, or complete.
 *
 * <pre>{@code
 * Optional<RunCheckpoint.Saved> saved = RunCheckpoint.read(RunCheckpoint.dirFor(out), fingerprint);
 * RunCheckpoint.write(RunCheckpoint.dirFor(out), graph, losses, fingerprint);
 * }</pre>
 */
public final class RunCheckpoint {

  static final String STATE = "state.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * A checkpoint read back.
   *
   * @param graph the network after {@code losses.size()} epochs, with its updater state
   * @param losses mean training loss of each finished epoch
   */
  public record Saved(ComputationGraph graph, List<Double> losses) {
    /** Copies the list. */
    public Saved {
      losses = List.copyOf(losses);
    }
  }

  private RunCheckpoint() {}

  /** Returns {@code <output>.checkpoint}, the checkpoint folder of a run writing {@code output}. */
  public static Path dirFor(Path output) {
    Path absolute = output.toAbsolutePath().normalize();
    return absolute.resolveSibling(absolute.getFileName() + ".checkpoint");
  }

  /**
   * Reads the checkpoint in {@code dir}, if there is one.
   *
   * @param fingerprint the options of the run that wants to resume; each must equal the checkpoint's
   * @throws IllegalArgumentException naming the first option whose value differs from the checkpoint's
   * @throws IOException when the checkpoint cannot be read
   */
  public static Optional<Saved> read(Path dir, Map<String, String> fingerprint) throws IOException {
    Path stateFile = dir.resolve(STATE);
    if (!Files.isRegularFile(stateFile)) {
      return Optional.empty();
    }
    State state = JSON.readValue(stateFile.toFile(), State.class);
    for (Map.Entry<String, String> option : fingerprint.entrySet()) {
      String saved = state.options().get(option.getKey());
      if (!Objects.equals(saved, option.getValue())) {
        throw new IllegalArgumentException("Cannot resume from " + dir + ": it was written with " + option.getKey()
            + " " + saved + ", this run has " + option.getValue() + "; use the same option, or another --output");
      }
    }
    ComputationGraph graph = ModelSerializer.restoreComputationGraph(dir.resolve(state.weights()).toFile(), true);
    LayerHelpers.installIfOneDnn(graph);
    return Optional.of(new Saved(graph, state.losses()));
  }

  /** Writes the checkpoint after {@code losses.size()} epochs; see the class comment for the order of moves. */
  public static void write(Path dir, ComputationGraph graph, List<Double> losses, Map<String, String> fingerprint)
      throws IOException {
    Files.createDirectories(dir);
    String weights = "epoch-" + losses.size() + ".zip";
    Path tmp = dir.resolve(weights + ".tmp");
    ModelSerializer.writeModel(graph, tmp.toFile(), true);
    Files.move(tmp, dir.resolve(weights), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Path stateTmp = dir.resolve(STATE + ".tmp");
    JSON.writeValue(stateTmp.toFile(), new State(losses.size(), new ArrayList<>(losses), weights,
        new LinkedHashMap<>(fingerprint)));
    Files.move(stateTmp, dir.resolve(STATE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "epoch-*.zip")) {
      for (Path file : old) {
        if (!file.getFileName().toString().equals(weights)) {
          Files.deleteIfExists(file);
        }
      }
    }
  }

  /** Returns the hidden folder in which {@link #publish} expects the finished model folder of {@code output}. */
  public static Path partialFor(Path output) {
    Path absolute = output.toAbsolutePath().normalize();
    return absolute.resolveSibling("." + absolute.getFileName() + ".partial");
  }

  /**
   * Moves the complete folder {@code partial} to {@code output} in one rename, replacing an earlier model
   * folder there (which is first renamed aside and deleted afterwards).
   */
  public static void publish(Path partial, Path output) throws IOException {
    Path target = output.toAbsolutePath().normalize();
    Path previous = target.resolveSibling("." + target.getFileName() + ".previous");
    deleteTree(previous);
    if (Files.exists(target)) {
      Files.move(target, previous, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    deleteTree(previous);
  }

  /** Deletes {@code dir} and everything in it; nothing happens when it does not exist. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** {@code state.json}. */
  record State(int epochsDone, List<Double> losses, String weights, Map<String, String> options) {}
}

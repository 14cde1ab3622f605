package org.fundus4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fundus4j.samples.synthetic.SyntheticDataset;
import org.fundus4j.transfer.EarlyStoppingTrainer;
import org.fundus4j.transfer.SavedModel;
import org.fundus4j.transfer.TransferRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code fundus pretrain} process that dies right after its first checkpoint (the deterministic
 * {@link TransferRun#HALT_AFTER_EPOCH} hook halts the JVM there), then resumed.
 */
class PretrainResumeTests {

  @Test
  void aKilledPretrainResumesAndFinishesTheRequestedEpochs(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("data");
    SyntheticDataset.writeDicom(data, 16, 64, 31);
    Path out = dir.resolve("upstream");
    List<String> args = List.of("pretrain", "--data", data.toString(), "--size", "64", "--epochs", "2",
        "--batch", "8", "--val-fraction", "0.25", "--workers", "2", "--seed", "5", "--synthetic-data",
        "--out", out.toString());
    Path state = out.resolve(TransferRun.CHECKPOINTS).resolve("state.json");

    // the child JVM halts (exit 137, as after SIGKILL) right after its first epoch's checkpoint: no race
    Process first = cli(args, dir.resolve("first.log"));
    try {
      assertTrue(first.waitFor(6, TimeUnit.MINUTES), "the first run neither finished nor halted in 6 minutes");
    } finally {
      first.destroyForcibly();
    }
    assertEquals(137, first.exitValue(), Files.readString(dir.resolve("first.log")));
    EarlyStoppingTrainer.State killed = new ObjectMapper().readValue(state.toFile(), EarlyStoppingTrainer.State.class);
    assertEquals(1, killed.epochsDone(), "halted after the first of two epochs");
    assertTrue(Files.notExists(out.resolve(SavedModel.CARD)), "the killed run wrote no model");

    List<String> again = new ArrayList<>(args);
    again.add("--resume");
    CliRun resumed = CliRun.of(again.toArray(String[]::new));

    assertEquals(0, resumed.exit(), resumed.all());
    assertTrue(resumed.out().contains("Resuming after epoch 1 of 2"), resumed.out());
    assertTrue(resumed.out().contains("epoch 2/2"), resumed.out());
    EarlyStoppingTrainer.State done = new ObjectMapper().readValue(state.toFile(), EarlyStoppingTrainer.State.class);
    assertEquals(2, done.epochsDone());
    assertEquals(2, done.scores().size(), "each epoch validated exactly once");
    assertEquals(killed.scores().get(0), done.scores().get(0), "epoch 1 was not trained again");
    SavedModel model = SavedModel.load(out);
    assertEquals(2, model.card().training().epochs());
    assertEquals(16, model.card().training().trainingImages() + model.card().training().validationImages());
  }

  /** The CLI's main class in a child JVM with the test class path, output to {@code log}. */
  private static Process cli(List<String> args, Path log) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx3g", "-D" + TransferRun.HALT_AFTER_EPOCH + "=1", "-cp", System.getProperty("java.class.path"), FundusCli.class.getName()));
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // One OpenMP thread: on a shared 2-core machine ND4J's two spinning OpenMP threads made a ResNet-50
    // training step 4x slower (24 s vs 6 s at 64 px, batch 8, load average 5-9).
    pb.environment().put("OMP_NUM_THREADS", "1");
    return pb.start();
  }
}

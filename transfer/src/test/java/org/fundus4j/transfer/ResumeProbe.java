package org.fundus4j.transfer;

import java.nio.file.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * A separate JVM that trains with checkpoints, so a test can SIGKILL it mid-training and resume.
 * Arguments: checkpoint folder, max epochs.
 */
public final class ResumeProbe {

  private ResumeProbe() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int epochs = Integer.parseInt(args[1]);
    ComputationGraph model = SmallCnn.build(1, 32);
    EarlyStoppingTrainer.Result result = new EarlyStoppingTrainer(dir, epochs, epochs).fit(model,
        epoch -> TinyData.brightSquares(64, 32, 8, 100 + epoch),
        m -> Predictions.of(m, TinyData.brightSquares(16, 32, 8, 99), 1).scores()[0],
        EpochListener.none());
    System.out.println("epochs=" + result.state().epochsDone());
  }
}

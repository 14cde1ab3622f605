package org.fundus4j.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.fundus4j.networks.Head;
import org.fundus4j.networks.RawTensors;
import org.fundus4j.networks.ResNet50;
import org.fundus4j.networks.torch.LoadReport;
import org.fundus4j.networks.torch.StateDict;
import org.fundus4j.networks.torch.TorchCheckpoint;
import org.fundus4j.networks.torch.TorchWeights;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fundus weights}: inspect PyTorch checkpoints and check a conversion against PyTorch. */
@Command(name = "weights", mixinStandardHelpOptions = true,
    description = "PyTorch .pth checkpoints (torchvision ResNet-50, the paper's released weights).",
    subcommands = {WeightsCommand.Info.class, WeightsCommand.Check.class})
final class WeightsCommand {

  /** {@code fundus weights info FILE}. */
  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "Detected format, tensors, and missing/unexpected keys against fundus4j's ResNet-50.")
  static final class Info implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = ".pth file")
    Path file;

    @Option(names = "--tensors", description = "List every tensor with its shape and dtype")
    boolean tensors;

    @Override
    public Integer call() throws Exception {
      StateDict sd = TorchCheckpoint.read(file);
      System.out.printf(Locale.ROOT, "file: %s%nformat: %s%ntensors: %d (%,d elements)%n", file, sd.format(),
          sd.keys().size(), sd.elementCount());
      if (tensors) {
        for (String key : sd.keys()) {
          System.out.printf(Locale.ROOT, "  %-45s %-8s %s%n", key, sd.dtype(key), Arrays.toString(sd.shape(key)));
        }
      }
      Head head = TorchWeights.detectHead(sd).orElse(null);
      if (head == null) {
        System.out.println("head: none recognised (no fc.weight / fc.3.weight): not a torchvision ResNet-50?");
        return 1;
      }
      System.out.println("head: " + head);
      LoadReport report = TorchWeights.check(ResNet50.build(head, 0), sd);
      System.out.println("missing keys (" + report.missingKeys().size() + "): " + report.missingKeys());
      System.out.println("unexpected keys (" + report.unexpectedKeys().size() + "): " + report.unexpectedKeys());
      return report.missingKeys().isEmpty() ? 0 : 1;
    }
  }

  /** {@code fundus weights check}: run a raw tensor through the converted model, print outputs as CSV. */
  @Command(name = "check", mixinStandardHelpOptions = true,
      description = {"Loads the weights into fundus4j's ResNet-50, runs a raw little-endian float32 NCHW tensor "
          + "through it and prints the outputs (logits, before softmax) as CSV, one row per image, to compare "
          + "with PyTorch's model(x) before trusting a conversion."})
  static final class Check implements Callable<Integer> {

    @Option(names = "--weights", required = true, description = ".pth file")
    Path weights;

    @Option(names = "--head", required = true, description = "linear or paper")
    String head;

    @Option(names = "--classes", required = true, description = "Outputs of the head")
    int classes;

    @Option(names = "--tensor", required = true, description = "Raw float32 little-endian file, NCHW")
    Path tensor;

    @Option(names = "--shape", required = true, split = ",", description = "N,C,H,W, e.g. 1,3,224,224")
    long[] shape;

    @Override
    public Integer call() throws Exception {
      Head h = switch (head.toLowerCase(Locale.ROOT)) {
        case "linear" -> Head.linear(classes);
        case "paper" -> Head.paper(classes);
        default -> throw new IllegalArgumentException("--head must be linear or paper, got '" + head + "'");
      };
      ComputationGraph net = ResNet50.build(h, 0);
      LoadReport report = TorchWeights.load(net, TorchCheckpoint.read(weights));
      if (!report.missingKeys().isEmpty()) {
        System.err.println("missing keys: " + report.missingKeys());
        return 1;
      }
      INDArray logits = ResNet50.logits(net, RawTensors.readFloat32(tensor, shape));
      for (int i = 0; i < logits.size(0); i++) {
        INDArray row = logits.getRow(i);
        System.out.println(Arrays.stream(row.toDoubleVector())
            .mapToObj(v -> String.format(Locale.ROOT, "%.7g", v)).collect(Collectors.joining(",")));
      }
      return 0;
    }
  }
}

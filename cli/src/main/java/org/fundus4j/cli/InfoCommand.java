package org.fundus4j.cli;

import java.util.concurrent.Callable;
import org.fundus4j.networks.RuntimeReport;
import picocli.CommandLine.Command;

/** {@code fundus info}: prints what this machine would train and screen on ({@link RuntimeReport}). */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "ND4J backend and build (OpenBLAS/oneDNN/CUDA), devices, ONNX Runtime providers, threads and "
        + "memory limits of this machine.")
final class InfoCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    RuntimeReport.collect().lines().forEach(System.out::println);
    return 0;
  }
}

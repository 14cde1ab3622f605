package org.fundus4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code fundus} command: screening fundus photographs from DICOM, PACS and folders, and training and
 * evaluating fundus foundation models. Run {@code ./fundus --help} for the commands.
 */
@Command(name = "fundus", mixinStandardHelpOptions = true, version = "fundus4j 0.1.0",
    description = "Fundus photograph screening and fundus foundation models on the JVM (research use, not a "
        + "medical device).",
    subcommands = {DemoCommand.class, ScreenCommand.class, DicomCommand.class, StatsCommand.class,
        CommandLine.HelpCommand.class})
public final class FundusCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new FundusCli()).execute(args));
  }
}

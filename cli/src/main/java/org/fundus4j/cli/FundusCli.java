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
        ExperimentCommand.class, PretrainCommand.class, TransferCommand.class, WeightsCommand.class,
        PacsCommand.class, ServeCommand.class, InfoCommand.class, CommandLine.HelpCommand.class})
public final class FundusCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    quietJavaUtilLogging();
    System.exit(commandLine().execute(args));
  }

  /**
   * The configured command line: a failure prints one line naming what went wrong (the stack trace only
   * with {@code FUNDUS_DEBUG=1}) and exits with status 1; a malformed command line (a missing, unknown or
   * repeated option) prints one line, picocli's suggestions if any, and where to find the usage, and exits
   * with status 2.
   */
  static CommandLine commandLine() {
    return new CommandLine(new FundusCli()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + (e.getMessage() == null ? e : e.getMessage()));
      if ("1".equals(System.getenv("FUNDUS_DEBUG"))) {
        e.printStackTrace(cmd.getErr());
      }
      return 1;
    }).setParameterExceptionHandler((e, args) -> {
      CommandLine cmd = e.getCommandLine();
      String name = cmd.getCommandSpec().qualifiedName();
      cmd.getErr().println(name + ": " + e.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
      cmd.getErr().println("Try '" + name + " --help' for the options.");
      return cmd.getCommandSpec().exitCodeOnInvalidInput();
    });
  }

  /**
   * ND4J logs its start-up banner through java.util.logging; keep warnings and errors only, so a person
   * sees the command's own output and progress.
   */
  private static void quietJavaUtilLogging() {
    java.util.logging.Logger root = java.util.logging.LogManager.getLogManager().getLogger("");
    root.setLevel(java.util.logging.Level.WARNING);
    for (java.util.logging.Handler handler : root.getHandlers()) {
      handler.setLevel(java.util.logging.Level.WARNING);
    }
  }
}

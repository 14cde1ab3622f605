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
        PacsCommand.class, ServeCommand.class, QuantizeCommand.class, InfoCommand.class,
        CommandLine.HelpCommand.class})
public final class FundusCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    quietPixelMed();
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
    // enum options (--order, ...) take their values in any case: prefix, PREFIX
    return new CommandLine(new FundusCli()).setCaseInsensitiveEnumValuesAllowed(true).setExecutionStrategy(parsed -> {
      // libraries (PixelMed's decoders) print stack traces on System.err themselves: one-line errors only
      if ("1".equals(System.getenv("FUNDUS_DEBUG"))) {
        return new CommandLine.RunLast().execute(parsed);
      }
      java.io.PrintStream err = System.err;
      System.setErr(StackTraceFilter.over(err));
      try {
        return new CommandLine.RunLast().execute(parsed);
      } finally {
        System.err.flush();
        System.setErr(err);
      }
    }).setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + describe(e));
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
   * One line for a failure: the file and the cause for file-system errors (whose own messages are often only
   * a path), the message otherwise, never a stack trace or a line break.
   */
  static String describe(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.io.UncheckedIOException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String text;
    if (t instanceof java.nio.file.FileSystemException fse) {
      String why = t instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
          : t instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : t instanceof java.nio.file.FileAlreadyExistsException ? "exists and is not a folder"
          : t instanceof java.nio.file.NotDirectoryException ? "not a folder"
          : t instanceof java.nio.file.DirectoryNotEmptyException ? "folder not empty"
          : fse.getReason() != null ? fse.getReason() : t.getClass().getSimpleName();
      text = (fse.getFile() == null ? "" : fse.getFile() + ": ") + why
          + (fse.getOtherFile() == null ? "" : " (" + fse.getOtherFile() + ")");
    } else if (t.getMessage() == null || t.getMessage().isBlank()) {
      text = t.getClass().getSimpleName();
    } else {
      text = t.getMessage();
    }
    return text.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }

  /**
   * PixelMed logs its own stack traces at ERROR for failures fundus4j reports in one line itself: keep them
   * for {@code FUNDUS_DEBUG=1} only (slf4j-simple reads system properties when the first logger is made).
   */
  private static void quietPixelMed() {
    if ("1".equals(System.getenv("FUNDUS_DEBUG"))) {
      System.setProperty("org.slf4j.simpleLogger.log.com.pixelmed", "debug");
    }
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

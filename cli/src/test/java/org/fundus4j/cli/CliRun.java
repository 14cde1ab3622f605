package org.fundus4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * One in-process run of the {@code fundus} command line with its exit code and captured output.
 *
 * @param exit exit status
 * @param out standard output
 * @param err standard error
 */
record CliRun(int exit, String out, String err) {

  /** Standard output followed by standard error. */
  String all() {
    return out + err;
  }

  /** Runs {@code fundus args...} through {@link FundusCli#commandLine()}, capturing System.out/err. */
  static synchronized CliRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int exit = FundusCli.commandLine().execute(args);
      return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}

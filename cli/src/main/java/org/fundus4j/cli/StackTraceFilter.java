package org.fundus4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Standard error without stack traces: drops the lines of a printed Java stack trace (the exception line,
 * {@code at ...} frames, {@code ... n more}, {@code Caused by:}) that libraries print themselves (PixelMed's
 * decoders do, for every file they cannot decode), and passes everything else through, progress bars included.
 * {@code FUNDUS_DEBUG=1} keeps them ({@link FundusCli} then does not install the filter).
 */
final class StackTraceFilter extends OutputStream {

  /** An exception line as {@code Throwable.toString()} prints it: {@code a.b.SomeException: message}. */
  private static final Pattern TRACE = Pattern.compile(
      "^(\\s+at .*|\\s*\\.\\.\\. \\d+ (more|common frames omitted)|Caused by: .*|Suppressed: .*"
          + "|([a-z][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error|Throwable)(: .*)?)$");

  private final PrintStream target;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  /** True once part of the current line was passed on (a progress bar redrawn without a newline). */
  private boolean lineStarted;

  private StackTraceFilter(PrintStream target) {
    this.target = target;
  }

  /** A print stream onto {@code target} that drops stack-trace lines. */
  static PrintStream over(PrintStream target) {
    return new PrintStream(new StackTraceFilter(target), true, StandardCharsets.UTF_8);
  }

  @Override
  public synchronized void write(int b) {
    if (b == '\n') {
      String text = line.toString(StandardCharsets.UTF_8);
      if (lineStarted || !TRACE.matcher(text.replace("\r", "")).matches()) {
        target.write(line.toByteArray(), 0, line.size());
        target.write('\n');
      }
      line.reset();
      lineStarted = false;
    } else if (b == '\r') {
      line.write(b);
      passOn();
    } else {
      line.write(b);
    }
  }

  @Override
  public synchronized void flush() {
    String text = line.toString(StandardCharsets.UTF_8);
    // a line still open at a flush is a progress bar or a prompt, unless it starts like a trace line
    if (line.size() > 0 && !text.startsWith("\t") && !TRACE.matcher(text).matches() && !text.contains("Exception")) {
      passOn();
    }
    target.flush();
  }

  private void passOn() {
    target.write(line.toByteArray(), 0, line.size());
    line.reset();
    lineStarted = true;
  }

  @Override
  public synchronized void close() {
    flush();
  }
}

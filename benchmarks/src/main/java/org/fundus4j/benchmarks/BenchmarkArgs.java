package org.fundus4j.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options of a benchmark's {@code main}: {@code --name value} options with defaults and {@code --name}
 * flags, declared once as {@code "name=default"} and {@code "name"}; an unknown option or a missing value fails
 * naming the options known. Also gives the command line that reproduces the run, for the results file.
 *
 * <pre>{@code
 * BenchmarkArgs a = BenchmarkArgs.parse(MyBenchmark.class, args, "threads=2", "rounds=5", "out=", "no-torch");
 * int threads = a.integer("threads");
 * Path out = a.path("out");            // null: the default is empty
 * boolean torch = !a.flag("no-torch");
 * }</pre>
 */
final class BenchmarkArgs {
  private final String mainClass;
  private final List<String> given;
  private final Map<String, String> values;
  private final Map<String, Boolean> flags;

  private BenchmarkArgs(String mainClass, List<String> given, Map<String, String> values, Map<String, Boolean> flags) {
    this.mainClass = mainClass;
    this.given = given;
    this.values = values;
    this.flags = flags;
  }

  /**
   * Parses {@code args} against {@code spec}: {@code "name=default"} declares a valued option,
   * {@code "name"} a flag.
   *
   * @throws IllegalArgumentException for an unknown option or a valued option without its value
   */
  static BenchmarkArgs parse(Class<?> main, String[] args, String... spec) {
    Map<String, String> values = new LinkedHashMap<>();
    Map<String, Boolean> flags = new LinkedHashMap<>();
    for (String s : spec) {
      int eq = s.indexOf('=');
      if (eq < 0) {
        flags.put(s, false);
      } else {
        values.put(s.substring(0, eq), s.substring(eq + 1));
      }
    }
    for (int k = 0; k < args.length; k++) {
      String name = args[k].startsWith("--") ? args[k].substring(2) : null;
      if (name != null && flags.containsKey(name)) {
        flags.put(name, true);
      } else if (name != null && values.containsKey(name)) {
        if (k + 1 >= args.length) {
          throw new IllegalArgumentException("Option " + args[k] + " needs a value");
        }
        values.put(name, args[++k]);
      } else {
        throw new IllegalArgumentException("Unknown option '" + args[k] + "' for " + main.getSimpleName()
            + "; expected " + known(values, flags));
      }
    }
    return new BenchmarkArgs(main.getName(), List.of(args), values, flags);
  }

  private static String known(Map<String, String> values, Map<String, Boolean> flags) {
    List<String> all = new ArrayList<>();
    values.forEach((k, v) -> all.add("--" + k + " (default " + (v.isEmpty() ? "none" : v) + ")"));
    flags.keySet().forEach(k -> all.add("--" + k));
    return String.join(", ", all);
  }

  String text(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("Option --" + name + " was not declared");
    }
    return v;
  }

  int integer(String name) {
    try {
      return Integer.parseInt(text(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Option --" + name + " needs an integer, got '" + text(name) + "'");
    }
  }

  double real(String name) {
    try {
      return Double.parseDouble(text(name));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Option --" + name + " needs a number, got '" + text(name) + "'");
    }
  }

  /** The option as a path, or {@code null} if it is empty. */
  Path path(String name) {
    String v = text(name);
    return v.isEmpty() ? null : Path.of(v);
  }

  /** The option split at commas. */
  List<String> list(String name) {
    String v = text(name);
    return v.isEmpty() ? List.of() : Arrays.asList(v.split(","));
  }

  boolean flag(String name) {
    Boolean f = flags.get(name);
    if (f == null) {
      throw new IllegalArgumentException("Flag --" + name + " was not declared");
    }
    return f;
  }

  /**
   * The command that reproduces this run from the repository root, after the benchmarks are packaged: the JVM
   * options it was started with ({@link #javaOptions()}) and its arguments.
   */
  String command() {
    return command(mainClass, given);
  }

  /** As {@link #command()}, for a benchmark that parses its own arguments. */
  static String command(String mainClass, List<String> arguments) {
    String quoted = String.join(" ", arguments.stream()
        .map(a -> a.matches("[A-Za-z0-9_./:,=+-]+") ? a : "'" + a + "'").toList());
    return ("java " + javaOptions() + " -cp \"benchmarks/target/classes:$(cat benchmarks/target/runtime-classpath.txt)\" "
        + mainClass + " " + quoted).replaceAll(" +", " ").trim();
  }

  /**
   * The options this JVM was started with that change what a benchmark measures: its heap limit ({@code -Xmx}) and
   * system properties ({@code -D}, such as the layer helpers' switches); read from the running JVM, so a written
   * command never claims a heap it did not have.
   */
  static String javaOptions() {
    return String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(o -> o.startsWith("-Xmx") || o.startsWith("-D")).toList());
  }
}

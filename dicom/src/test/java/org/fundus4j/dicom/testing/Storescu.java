package org.fundus4j.dicom.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** dcmtk's {@code storescu} as the modality of node tests, on 127.0.0.1. */
public final class Storescu {

  private Storescu() {}

  /**
   * Pushes {@code files} with {@code storescu [flags] -aet calling -aec called 127.0.0.1 port files...}.
   *
   * @param flags e.g. {@code -xy} (propose JPEG baseline) or {@code -R} (only what the files need)
   * @return {@code "exit=<code>\n"} followed by storescu's output
   */
  public static String push(String flags, String calling, String called, int port, List<Path> files)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("storescu", flags, "-aet", calling, "-aec", called, "127.0.0.1",
        String.valueOf(port)));
    files.forEach(f -> cmd.add(f.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor();
    return "exit=" + p.exitValue() + "\n" + out;
  }
}

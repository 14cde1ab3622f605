package org.fundus4j.dicom.testing;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference validators every SR and derived object must pass: dicom3tools' {@code dciodvfy} and PixelMed's
 * {@code com.pixelmed.validate.DicomSRValidator} (the template validator IHE's AIR test tooling uses).
 */
public final class Validators {
  private Validators() {}

  /** The output of a finished command. */
  public record Output(int exitCode, String text) {
    public List<String> lines() {
      return text.lines().toList();
    }
  }

  /** Lines of {@code dciodvfy FILE} that start with {@code Error}. */
  public static List<String> dciodvfyErrors(Path file) throws IOException, InterruptedException {
    Output r = run(List.of("dciodvfy", file.toString()), 120);
    if (r.text().isBlank()) {
      throw new IllegalStateException("dciodvfy printed nothing for " + file + "; is dicom3tools installed?");
    }
    return r.lines().stream().filter(line -> line.startsWith("Error")).toList();
  }

  /**
   * Lines of PixelMed's {@code DicomSRValidator} output that report an error ({@code Error:} or
   * {@code ... error}), run in a child JVM on the PixelMed jar of the class path with JDK 17's XPath limits
   * lifted (it needs {@code -Djdk.xml.xpath*Limit=0}, see the issue that added it).
   */
  public static List<String> pixelmedSrErrors(Path file) throws IOException, InterruptedException {
    String jar;
    try {
      jar = Path.of(com.pixelmed.validate.DicomSRValidator.class.getProtectionDomain().getCodeSource().getLocation()
          .toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IOException("Cannot locate PixelMed's jar", e);
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Output r = run(List.of(java, "-Xmx512m", "-Djdk.xml.xpathExprOpLimit=0", "-Djdk.xml.xpathExprGrpLimit=0",
        "-Djdk.xml.xpathTotalOpLimit=0", "-cp", jar, "com.pixelmed.validate.DicomSRValidator", file.toString()), 180);
    if (!r.text().contains("Template") && !r.text().contains("Validation")) {
      throw new IllegalStateException("DicomSRValidator printed no validation report for " + file + ":\n" + r.text());
    }
    List<String> errors = new ArrayList<>();
    for (String line : r.lines()) {
      if (line.startsWith("Error") || line.contains("Error:")) {
        errors.add(line);
      }
    }
    return errors;
  }

  /** Runs a command, waiting at most {@code timeoutSeconds}. */
  public static Output run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("Timed out: " + command);
    }
    return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}

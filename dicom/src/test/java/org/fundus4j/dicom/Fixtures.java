package org.fundus4j.dicom;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test fixtures of the dicom module: the committed ones in {@code src/test/fixtures} and the large
 * derived copies that {@code make-fixtures.sh derived DIR} makes with dcmtk once per test JVM.
 */
public final class Fixtures {
  /** The real CC0 fundus photograph every OP fixture is made from. */
  public static final Path CC0_JPEG = Path.of("..", "data", "cc0", "retina-normal-left.jpg");
  /** Identity written into op-jpeg-baseline.dcm by make-fixtures.sh. */
  public static final String PATIENT_ID = "F4J-FIXTURE-0001";
  public static final String PATIENT_FAMILY_NAME = "Fundusfixture";
  public static final String STUDY_UID = "2.25.100000000000000000000000000000000001";
  public static final String SERIES_UID = "2.25.100000000000000000000000000000000002";
  public static final String SOP_INSTANCE_UID = "2.25.100000000000000000000000000000000003";

  private static final Path DIR = Path.of("src", "test", "fixtures");
  private static Path derivedDir;

  private Fixtures() {}

  /** A committed fixture, e.g. {@code committed("op-jpeg-baseline.dcm")}. */
  public static Path committed(String name) {
    Path p = DIR.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("Missing committed fixture " + p.toAbsolutePath()
          + "; run src/test/fixtures/make-fixtures.sh");
    }
    return p;
  }

  /** A derived fixture, made on first use by {@code make-fixtures.sh derived} into a temporary directory. */
  public static synchronized Path derived(String name) throws IOException, InterruptedException {
    if (derivedDir == null) {
      Path dir = Files.createTempDirectory("fundus4j-dicom-fixtures");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
      Result r = run(List.of("bash", DIR.resolve("make-fixtures.sh").toString(), "derived", dir.toString()), 300);
      if (r.exitCode() != 0) {
        throw new IllegalStateException("make-fixtures.sh derived failed (" + r.exitCode() + "):\n" + r.output());
      }
      derivedDir = dir;
    }
    Path p = derivedDir.resolve(name);
    if (!Files.exists(p)) {
      throw new IllegalStateException("make-fixtures.sh did not make " + name);
    }
    return p;
  }

  /** Exit code and combined stdout+stderr of a process. */
  public record Result(int exitCode, String output) {
    /** Lines of the output. */
    public List<String> lines() {
      return output.lines().toList();
    }
  }

  /** Runs a command, failing if it takes longer than {@code timeoutSeconds}. */
  public static Result run(List<String> command, int timeoutSeconds) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread pump = new Thread(() -> {
      try (InputStream in = p.getInputStream()) {
        in.transferTo(out);
      } catch (IOException ignored) {
        // process ended
      }
    });
    pump.start();
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("Timed out after " + timeoutSeconds + " s: " + command);
    }
    pump.join();
    return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
  }

  /** Runs dciodvfy (dicom3tools) on {@code file} and returns its lines that start with "Error". */
  public static List<String> dciodvfyErrors(Path file) throws IOException, InterruptedException {
    return org.fundus4j.dicom.testing.Validators.dciodvfyErrors(file);
  }


  /** Reads a binary PGM (P5) or PPM (P6) with maxval 255 as packed 0xRRGGBB ints, row by row. */
  public static int[] readPnm(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    int[] pos = {0};
    String magic = token(b, pos);
    int w = Integer.parseInt(token(b, pos));
    int h = Integer.parseInt(token(b, pos));
    int max = Integer.parseInt(token(b, pos));
    if (max != 255 || !(magic.equals("P5") || magic.equals("P6"))) {
      throw new IOException(file + ": expected P5/P6 with maxval 255, got " + magic + " " + max);
    }
    int p = pos[0] + 1; // one whitespace after maxval
    int[] rgb = new int[w * h];
    for (int i = 0; i < rgb.length; i++) {
      if (magic.equals("P5")) {
        int g = b[p++] & 0xFF;
        rgb[i] = (g << 16) | (g << 8) | g;
      } else {
        rgb[i] = ((b[p] & 0xFF) << 16) | ((b[p + 1] & 0xFF) << 8) | (b[p + 2] & 0xFF);
        p += 3;
      }
    }
    return rgb;
  }

  private static String token(byte[] b, int[] pos) {
    int i = pos[0];
    while (Character.isWhitespace(b[i]) || b[i] == '#') {
      if (b[i] == '#') {
        while (b[i] != '\n') {
          i++;
        }
      }
      i++;
    }
    int start = i;
    while (!Character.isWhitespace(b[i])) {
      i++;
    }
    pos[0] = i;
    return new String(b, start, i - start, StandardCharsets.US_ASCII);
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // best effort at JVM exit
    }
  }
}

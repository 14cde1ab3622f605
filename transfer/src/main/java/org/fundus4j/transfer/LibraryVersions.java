package org.fundus4j.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The versions of the libraries and runtime that train a model, for its model card.
 *
 * <pre>{@code
 * Map<String, String> v = LibraryVersions.current();   // {deeplearning4j=1.0.0-M2.1, nd4j-backend=CpuBackend ...}
 * }</pre>
 */
public final class LibraryVersions {

  private LibraryVersions() {}

  /**
   * Returns DL4J's and ND4J's versions (from their jars' Maven metadata, {@code unknown} when run from
   * elsewhere), the ND4J backend and its BLAS, and the Java runtime.
   */
  public static Map<String, String> current() {
    Map<String, String> v = new LinkedHashMap<>();
    v.put("fundus4j", fundus4j());
    v.put("deeplearning4j", mavenVersion("org.deeplearning4j", "deeplearning4j-nn"));
    v.put("nd4j", mavenVersion("org.nd4j", "nd4j-api"));
    v.put("nd4j-backend", Nd4j.getBackend().getClass().getSimpleName() + " ("
        + Nd4j.getExecutioner().getEnvironmentInformation().getOrDefault("blas.vendor", "unknown BLAS") + ")");
    v.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
    v.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    return v;
  }

  /** fundus4j's own version, from the build (e.g. {@code 0.1.0-SNAPSHOT}): the card's algorithm version. */
  public static String fundus4j() {
    try (InputStream in = LibraryVersions.class.getResourceAsStream("fundus4j.properties")) {
      if (in == null) {
        throw new IllegalStateException("fundus4j.properties is missing from the transfer module's jar");
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version");
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read fundus4j.properties: " + e.getMessage(), e);
    }
  }

  private static String mavenVersion(String group, String artifact) {
    String resource = "/META-INF/maven/" + group + "/" + artifact + "/pom.properties";
    try (InputStream in = LibraryVersions.class.getResourceAsStream(resource)) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }
}

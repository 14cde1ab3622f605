package org.fundus4j.dicom;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.fundus4j.dicom.sr.AlgorithmId;
import org.fundus4j.dicom.sr.Finding;
import org.fundus4j.dicom.sr.Findings;
import org.fundus4j.dicom.sr.ScreeningReportWriter;
import org.fundus4j.dicom.sr.UidGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * No patient name or ID in any log line of reading, checking and SR writing, at debug level.
 *
 * <p>Works with the two SLF4J bindings this build can end up with: slf4j-simple (the Maven test
 * dependency; debug for org.fundus4j.dicom is switched on in the module's Surefire configuration)
 * and java.util.logging via slf4j-jdk14 (which Debian's pixelmed.jar puts on the class path through
 * its manifest Class-Path).
 */
class LogPrivacyTests {

  @Test
  void noPatientNameOrIdInLogLines(@TempDir Path dir) throws Exception {
    List<String> lines = capture(() -> {
      DicomImages.read(Fixtures.committed("op-jpeg-baseline.dcm"));
      DicomCheck.check(Fixtures.committed("op-jpeg-baseline.dcm"));
      DicomCheck.check(Fixtures.derived("truncated-jpeg.dcm"));
      new ScreeningReportWriter(new AlgorithmId("privacy test", "1"), UidGenerator.uuidDerived())
          .write(Fixtures.committed("op-jpeg-baseline.dcm"), List.of(new Finding(Findings.ABNORMAL_FUNDUS, 0.9)),
              dir.resolve("sr.dcm"));
    });

    String binding = LoggerFactory.getILoggerFactory().getClass().getName();
    assertTrue(lines.stream().anyMatch(l -> l.contains(LogSafe.shortHash(Fixtures.SOP_INSTANCE_UID))),
        "expected debug lines naming the instance by its short hash (binding " + binding + "): " + lines);
    for (String line : lines) {
      assertFalse(line.contains(Fixtures.PATIENT_ID), line);
      assertFalse(line.contains(Fixtures.PATIENT_FAMILY_NAME), line);
      assertFalse(line.contains("ACC-FIXTURE-1"), line);
      assertFalse(line.contains(Fixtures.SOP_INSTANCE_UID), "full UID in log line: " + line);
    }
  }

  interface Action {
    void run() throws Exception;
  }

  private static List<String> capture(Action action) throws Exception {
    List<String> lines = new ArrayList<>();
    java.util.logging.Logger jul = java.util.logging.Logger.getLogger("org.fundus4j");
    Level previous = jul.getLevel();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        lines.add(r.getLoggerName() + " " + r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    handler.setLevel(Level.ALL);
    jul.setLevel(Level.ALL);
    jul.addHandler(handler);
    PrintStream err = System.err;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(err);
      jul.removeHandler(handler);
      jul.setLevel(previous);
    }
    lines.addAll(buffer.toString(StandardCharsets.UTF_8).lines().toList());
    return lines;
  }
}

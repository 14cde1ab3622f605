package org.fundus4j.pipelines.splits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.fundus4j.pipelines.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatientKFoldTests {

  /** 150 patients, one or two eyes each, labels 0..classes-1 with a skewed distribution. */
  static List<Sample> patients(int nPatients, int classes, long seed) {
    Random rnd = new Random(seed);
    List<Sample> out = new ArrayList<>();
    for (int p = 0; p < nPatients; p++) {
      int eyes = rnd.nextDouble() < 0.8 ? 2 : 1;
      int patientClass = rnd.nextDouble() < 0.6 ? 0 : 1 + rnd.nextInt(classes - 1);
      for (int e = 0; e < eyes; e++) {
        // Fellow eyes usually share the label, sometimes not.
        int label = rnd.nextDouble() < 0.8 ? patientClass : rnd.nextInt(classes);
        out.add(new Sample(Path.of("/data/img", p + "_" + e + ".dcm"), "P" + p, new int[] {label}, null));
      }
    }
    return out;
  }

  @Test
  void foldsNeverShareAPatientAndCoverEverySampleOnce() {
    List<Sample> samples = patients(150, 2, 1);
    List<Fold> folds = PatientKFold.split(samples, 5, 42);
    assertEquals(5, folds.size());
    Set<String> seen = new HashSet<>();
    int total = 0;
    for (Fold f : folds) {
      Set<String> testPatients = new HashSet<>();
      f.test().forEach(s -> testPatients.add(s.patientId()));
      for (Sample s : f.train()) {
        assertFalse(testPatients.contains(s.patientId()), "patient in train and test of fold " + f.index());
      }
      for (String p : testPatients) {
        assertTrue(seen.add(p), "patient in two test folds");
      }
      assertEquals(samples.size(), f.train().size() + f.test().size());
      total += f.test().size();
    }
    assertEquals(samples.size(), total);
  }

  @Test
  void foldsKeepLabelProportionsWithinOneSamplePerClass() {
    for (int classes : new int[] {2, 4}) {
      for (long seed = 0; seed < 5; seed++) {
        List<Sample> samples = patients(150, classes, 100 + seed);
        int k = 5;
        int[] total = new int[classes];
        samples.forEach(s -> total[s.label(0)]++);
        for (Fold f : PatientKFold.split(samples, k, seed)) {
          int[] count = new int[classes];
          f.test().forEach(s -> count[s.label(0)]++);
          for (int c = 0; c < classes; c++) {
            double expected = (double) total[c] / k;
            assertTrue(Math.abs(count[c] - expected) <= 1.0, "classes " + classes + " seed " + seed + " fold "
                + f.index() + " class " + c + ": " + count[c] + " vs " + expected);
          }
        }
      }
    }
  }

  @Test
  void sameSeedGivesTheSameSplitFileAndItReadsBack(@TempDir Path dir) throws Exception {
    List<Sample> samples = patients(60, 2, 7);
    Path a = dir.resolve("a.csv");
    Path b = dir.resolve("b.csv");
    Path c = dir.resolve("c.csv");
    SplitFiles.writeFolds(PatientKFold.split(samples, 4, 9), a);
    SplitFiles.writeFolds(PatientKFold.split(new ArrayList<>(samples), 4, 9), b);
    SplitFiles.writeFolds(PatientKFold.split(samples, 4, 10), c);
    assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(c)), "another seed, another split");

    List<Fold> original = PatientKFold.split(samples, 4, 9);
    List<Fold> read = SplitFiles.readFolds(a);
    assertEquals(4, read.size());
    for (int f = 0; f < 4; f++) {
      assertEquals(new HashSet<>(original.get(f).test()), new HashSet<>(read.get(f).test()));
      assertEquals(new HashSet<>(original.get(f).train()), new HashSet<>(read.get(f).train()));
    }
  }

  @Test
  void rejectsMoreFoldsThanPatients() {
    List<Sample> samples = patients(3, 2, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PatientKFold.split(samples, 4, 1));
    assertEquals("k must be between 2 and the number of patients (3), got 4", e.getMessage());
  }
}

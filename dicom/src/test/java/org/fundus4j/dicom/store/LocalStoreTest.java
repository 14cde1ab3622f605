package org.fundus4j.dicom.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.fundus4j.dicom.net.QueryLevel;
import org.fundus4j.dicom.net.QueryMatch;
import org.fundus4j.dicom.net.ReceivedInstance;
import org.fundus4j.dicom.net.RetrieveTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStoreTest {

  @TempDir
  Path tmp;

  @Test
  void validUidsAreKeptAndHostileOnesHashed() {
    assertEquals("1.2.840.113619.2.55", LocalStore.sanitise("1.2.840.113619.2.55"));
    String hostile = LocalStore.sanitise("../../etc/passwd");
    assertTrue(hostile.matches("x[0-9a-f]{8}"), hostile);
    assertEquals(hostile, LocalStore.sanitise("../../etc/passwd"));
    assertEquals("instances/1.2/1.2.3/1.2.3.4.dcm", LocalStore.relativePath("1.2", "1.2.3", "1.2.3.4"));
  }

  @Test
  void instancesWithInvalidUidsAreRefusedAndTheStoreReopens() throws IOException {
    try (LocalStore store = LocalStore.open(tmp)) {
      QueryMatch hostile = new QueryMatch(QueryLevel.IMAGE, "1.2", "1.2.3", "1.2.3\n4\t5",
          "1.2.840.10008.5.1.4.1.1.7", "", "", List.of(), "", -1);
      QueryMatch fine = new QueryMatch(QueryLevel.IMAGE, "1.2", "1.2.3", "1.2.3.5", "1.2.840.10008.5.1.4.1.1.7", "",
          "", List.of(), "", -1);
      assertEquals(List.of(hostile), store.foundAll(List.of(hostile, fine)));
      Path file = Files.writeString(store.incomingDir().resolve("rx-1.dcm"), "data");
      RefusedInstanceException e = assertThrows(RefusedInstanceException.class, () -> store.accept(
          new ReceivedInstance(file, "1.2.840.10008.5.1.4.1.1.7", "1.2.3\n4\t5", "1.2", "1.2.3",
              "1.2.840.10008.1.2.1", "ORTHANC")));
      assertTrue(e.getMessage().matches("SOP Instance UID uid#[0-9a-f]{8} is not a valid DICOM UID .*: it contains "
          + "the control character 0x0a at position 6"), e.getMessage());
      assertFalse(Files.exists(file), "a refused file is not kept");
      assertEquals(1, store.manifest().entries().size());
    }
    try (LocalStore store = LocalStore.open(tmp)) {
      assertEquals(0, store.manifest().quarantinedLines());
      assertEquals("1.2.3.5", store.manifest().entries().get(0).sopInstanceUid());
    }
  }

  @Test
  void secondOpenOfTheSameStoreFails() throws IOException {
    try (LocalStore store = LocalStore.open(tmp)) {
      IOException e = assertThrows(IOException.class, () -> LocalStore.open(tmp));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }
    LocalStore.open(tmp).close(); // released
  }

  @Test
  void acceptMovesTheFileOnceAndDropsDuplicates() throws IOException {
    try (LocalStore store = LocalStore.open(tmp)) {
      store.found(new QueryMatch(QueryLevel.IMAGE, "1.2", "1.2.3", "1.2.3.4", "1.2.840.10008.5.1.4.1.1.7", "", "",
          List.of(), "", -1));
      assertFalse(store.isOnDisk("1.2.3.4"));
      Path first = Files.writeString(store.incomingDir().resolve("a"), "first");
      assertTrue(store.accept(new ReceivedInstance(first, "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "1.2", "1.2.3",
          "1.2.840.10008.1.2.1", "ORTHANC")));
      Path second = Files.writeString(store.incomingDir().resolve("b"), "second");
      assertFalse(store.accept(new ReceivedInstance(second, "1.2.840.10008.5.1.4.1.1.7", "1.2.3.4", "1.2", "1.2.3",
          "1.2.840.10008.1.2.1", "ORTHANC")));
      assertFalse(Files.exists(second));
      assertTrue(store.isOnDisk("1.2.3.4"));
      assertEquals("first", Files.readString(tmp.resolve("instances/1.2/1.2.3/1.2.3.4.dcm")));
      assertEquals(InstanceState.RETRIEVED, store.manifest().get("1.2.3.4").orElseThrow().state());
      assertEquals(2, store.manifest().journalLines()); // FOUND, RETRIEVED
    }
  }

  @Test
  void acceptAllCommitsABatchWithOneManifestAppendAndSaysWhatBecameOfEach() throws IOException {
    String sc = "1.2.840.10008.5.1.4.1.1.7";
    String ts = "1.2.840.10008.1.2.1";
    try (LocalStore store = LocalStore.open(tmp)) {
      Path known = Files.writeString(store.incomingDir().resolve("k"), "known");
      assertTrue(store.accept(new ReceivedInstance(known, sc, "1.2.3.1", "1.2", "1.2.3", ts, "ORTHANC")));
      List<ReceivedInstance> batch = List.of(
          new ReceivedInstance(Files.writeString(store.incomingDir().resolve("a"), "a"), sc, "1.2.3.2", "1.2",
              "1.2.3", ts, "ORTHANC"),
          new ReceivedInstance(Files.writeString(store.incomingDir().resolve("b"), "b"), sc, "1.2.3.1", "1.2",
              "1.2.3", ts, "ORTHANC"), // already on disk
          new ReceivedInstance(Files.writeString(store.incomingDir().resolve("c"), "c"), sc, "1.2.3\n9", "1.2",
              "1.2.3", ts, "ORTHANC"), // invalid UID
          new ReceivedInstance(Files.writeString(store.incomingDir().resolve("d"), "d"), sc, "1.2.4.1", "1.2",
              "1.2.4", ts, "ORTHANC"), // another series folder
          new ReceivedInstance(Files.writeString(store.incomingDir().resolve("e"), "e"), sc, "1.2.3.2", "1.2",
              "1.2.3", ts, "ORTHANC")); // twice in the batch
      AtomicInteger forced = new AtomicInteger();
      List<LocalStore.Accepted> out = store.acceptAll(batch, task -> {
        forced.incrementAndGet();
        task.run();
      });
      assertEquals(List.of(LocalStore.Outcome.STORED, LocalStore.Outcome.DUPLICATE, LocalStore.Outcome.REFUSED,
          LocalStore.Outcome.STORED, LocalStore.Outcome.DUPLICATE), out.stream().map(LocalStore.Accepted::outcome)
          .toList());
      assertEquals(2, forced.get(), "one force per new file, on the given executor");
      assertTrue(out.get(2).refusal().startsWith("SOP Instance UID uid#"), out.get(2).refusal());
      assertEquals("a", Files.readString(tmp.resolve("instances/1.2/1.2.3/1.2.3.2.dcm")));
      assertEquals("d", Files.readString(tmp.resolve("instances/1.2/1.2.4/1.2.4.1.dcm")));
      assertEquals("known", Files.readString(tmp.resolve("instances/1.2/1.2.3/1.2.3.1.dcm")));
      try (var left = Files.list(store.incomingDir())) {
        assertEquals(0, left.count(), "moved or deleted, nothing left in incoming/");
      }
      assertEquals(3, store.manifest().journalLines()); // 1.2.3.1, then 1.2.3.2 and 1.2.4.1
    }
    try (LocalStore store = LocalStore.open(tmp)) {
      assertTrue(store.isOnDisk("1.2.3.2") && store.isOnDisk("1.2.4.1"), "recorded durably");
    }
  }

  /**
   * {@link LocalStore#accept} from many threads at once (the node's SCP, one thread per association), which
   * share group commits: each caller learns its own instance's outcome, whichever commit took it.
   */
  @Test
  void concurrentAcceptsEachGetTheirOwnOutcome() throws Exception {
    String sc = "1.2.840.10008.5.1.4.1.1.7";
    String ts = "1.2.840.10008.1.2.1";
    int distinct = 10;
    try (LocalStore store = LocalStore.open(tmp)) {
      List<ReceivedInstance> all = new java.util.ArrayList<>();
      for (int i = 0; i < distinct; i++) {
        all.add(new ReceivedInstance(Files.writeString(store.incomingDir().resolve("f" + i), "v" + i), sc,
            "1.2.3." + i, "1.2", "1.2.3", ts, "CAMERA1"));
      }
      all.add(new ReceivedInstance(Files.writeString(store.incomingDir().resolve("again"), "v0"), sc, "1.2.3.0",
          "1.2", "1.2.3", ts, "CAMERA2")); // the same image from a second modality
      all.add(new ReceivedInstance(Files.writeString(store.incomingDir().resolve("bad"), "x"), sc, "1.2.3\n9",
          "1.2", "1.2.3", ts, "CAMERA1"));
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(all.size());
      try {
        List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
        for (ReceivedInstance r : all) {
          results.add(threads.submit(() -> {
            go.await();
            return store.accept(r);
          }));
        }
        go.countDown();
        int stored = 0;
        for (int i = 0; i < distinct; i++) {
          stored += results.get(i).get(1, java.util.concurrent.TimeUnit.MINUTES) ? 1 : 0;
        }
        stored += results.get(distinct).get(1, java.util.concurrent.TimeUnit.MINUTES) ? 1 : 0;
        assertEquals(distinct, stored, "each distinct image stored once, the second copy of 1.2.3.0 dropped");
        java.util.concurrent.ExecutionException refused = assertThrows(java.util.concurrent.ExecutionException.class,
            () -> results.get(distinct + 1).get(1, java.util.concurrent.TimeUnit.MINUTES));
        assertTrue(refused.getCause() instanceof RefusedInstanceException, refused.getCause().toString());
      } finally {
        threads.shutdownNow();
      }
      for (int i = 1; i < distinct; i++) {
        assertEquals("v" + i, Files.readString(tmp.resolve("instances/1.2/1.2.3/1.2.3." + i + ".dcm")));
      }
      try (var left = Files.list(store.incomingDir())) {
        assertEquals(0, left.count(), "moved or deleted, nothing left in incoming/");
      }
      assertEquals(distinct, store.manifest().journalLines());
    }
    try (LocalStore store = LocalStore.open(tmp)) {
      for (int i = 0; i < distinct; i++) {
        assertTrue(store.isOnDisk("1.2.3." + i), "recorded durably: 1.2.3." + i);
      }
    }
  }

  @Test
  void planFetchesStudySeriesOrInstancesDependingOnWhatIsMissing() {
    QueryMatch a1 = image("1.1", "1.1.1");
    QueryMatch a2 = image("1.1", "1.1.2");
    QueryMatch b1 = image("1.2", "1.2.1");
    List<QueryMatch> all = List.of(a1, a2, b1);
    assertEquals(List.of(RetrieveTarget.study("1")), StudyPuller.plan("1", all, all));
    assertEquals(List.of(), StudyPuller.plan("1", all, List.of()));
    assertEquals(List.of(RetrieveTarget.instance("1", "1.1", "1.1.2"), RetrieveTarget.series("1", "1.2")),
        StudyPuller.plan("1", all, List.of(a2, b1)));
  }

  static QueryMatch image(String series, String sop) {
    return new QueryMatch(QueryLevel.IMAGE, "1", series, sop, "", "", "", List.of(), "", -1);
  }
}

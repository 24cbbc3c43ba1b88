package org.modalgrid.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.protocol.RunSpec;

/** What the embedded store does with files it must not touch, and with a full disk. */
class SqliteStoreFailuresTest {

  @TempDir Path tmp;

  @Test
  void aFileThatIsNotADatabaseIsRefusedAndLeftAlone() throws Exception {
    Path f = tmp.resolve("notes.db");
    byte[] text = "these are my notes, not a database\n".repeat(200).getBytes();
    Files.write(f, text);
    StoreException e = assertThrows(StoreException.class, () -> ResultStore.open(f.toString()));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("not an SQLite database"), e.getMessage());
    assertTrue(e.getMessage().contains("left as it is"), e.getMessage());
    assertArrayEquals(text, Files.readAllBytes(f));
    assertEquals(List.of("notes.db", "notes.db.lock"), list(tmp), "no journal or WAL was created beside it");
  }

  @Test
  void aDamagedStoreIsRefusedAndLeftAlone() throws Exception {
    Path f = tmp.resolve("modalgrid.db");
    ExperimentPlan plan = ResultStoreTest.plan("experiment.seeds=20");
    try (ResultStore s = ResultStore.open(f.toString())) {
      s.saveExperiment(StoredExperiment.of(plan, null, null, 1), plan, List.of());
      List<EpochRow> epochs = new ArrayList<>();
      for (RunSpec r : plan.runs()) {
        for (int e = 1; e <= 50; e++) epochs.add(new EpochRow(r.runId(), 1, new EpochStat(e, 1.0 / e, null, e)));
      }
      s.saveEpochs(epochs);
    }
    long size = Files.size(f);
    assertTrue(size > 40 * 4096, "a store of several pages: " + size);
    byte[] junk = new byte[3 * 4096];
    new Random(7).nextBytes(junk);
    try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
      raf.seek(size / 2 / 4096 * 4096);
      raf.write(junk);
    }
    byte[] damaged = Files.readAllBytes(f);
    StoreException e = assertThrows(StoreException.class, () -> ResultStore.open(f.toString()));
    assertTrue(e.getMessage().contains("damaged") && e.getMessage().contains(f.toString()), e.getMessage());
    assertArrayEquals(damaged, Files.readAllBytes(f), "the damaged file was not written to");
  }

  @Test
  void aFullDiskFailsTheWriteClearlyAndKeepsWhatWasCommitted() {
    Path f = tmp.resolve("modalgrid.db");
    ExperimentPlan plan = ResultStoreTest.plan();
    RunSpec first = plan.runs().get(0);
    RunSpec second = plan.runs().get(1);
    RunRecord done = RunRecord.queued(first.runId(), plan.experimentId(), first.cell(), 1).started(1, "w", "cpu:0", 2)
        .succeeded(ResultStoreTest.result(first, List.of(new EpochStat(1, 0.5, 90.0, 1))), 3);
    List<EpochStat> long_ = new ArrayList<>();
    for (int e = 1; e <= 5000; e++) long_.add(new EpochStat(e, 1.0 / e, 50.0, e));
    RunRecord big = RunRecord.queued(second.runId(), plan.experimentId(), second.cell(), 1).started(1, "w", "cpu:1", 2);
    try (ResultStore s = ResultStore.open(f.toString())) {
      s.saveExperiment(StoredExperiment.of(plan, null, null, 1), plan, List.of());
      s.saveRun(done, List.of());
      s.saveRun(big, List.of());
      ((JdbcResultStore) s).capSizeAtCurrent();
      RunRecord bigDone = big.succeeded(ResultStoreTest.result(second, long_), 4);
      StoreException e = assertThrows(StoreException.class, () -> s.saveRun(bigDone, List.of()));
      assertTrue(e.getMessage().contains("cannot save run " + second.runId()) && e.getMessage().contains("disk is full"),
          e.getMessage());
      assertEquals(RunState.RUNNING, s.runs(plan).get(second.runId()).state(), "the failed write left no trace");
    }
    try (ResultStore s = ResultStore.open(f.toString())) {
      assertEquals(done, s.runs(plan).get(first.runId()), "what was committed before is intact");
      assertEquals(RunState.RUNNING, s.runs(plan).get(second.runId()).state());
    }
  }

  private static List<String> list(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

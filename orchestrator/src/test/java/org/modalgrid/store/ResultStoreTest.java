package org.modalgrid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.modalgrid.data.Task;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentConfigTest;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;

/** The store's contract, against SQLite and PostgreSQL alike. */
class ResultStoreTest {

  @TempDir Path tmp;

  static List<String> kinds() {
    return TestStores.kinds();
  }

  static ExperimentPlan plan(String... overrides) {
    ExperimentConfig c = ExperimentConfig.parse("t.conf", ExperimentConfigTest.BASE, List.of(overrides));
    return ExperimentPlan.build(c, List.of("a", "b"), Task.CLASSIFICATION, 3);
  }

  static RunResult result(RunSpec spec, List<EpochStat> history) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("accuracy", 70.0 + spec.cell().seed());
    metrics.put("test_error", 30.0 - spec.cell().seed());
    metrics.put("test_ce", Double.NaN);
    Map<String, Double> eta = new LinkedHashMap<>();
    eta.put("eta_error", 12.5);
    eta.put("eta_ce", 0.75);
    return new RunResult(metrics, eta, 42, history, 10, 5, 20);
  }

  /** Records in every state: queued, running (with epochs), succeeded, failed after a retry, cancelled. */
  static List<RunRecord> variety(ExperimentPlan plan, List<EpochRow> epochs) {
    List<RunRecord> out = new ArrayList<>();
    String id = plan.experimentId();
    List<RunSpec> runs = plan.runs();
    out.add(RunRecord.queued(runs.get(0).runId(), id, runs.get(0).cell(), 1000));
    RunRecord running = RunRecord.queued(runs.get(1).runId(), id, runs.get(1).cell(), 1000)
        .started(1, "node/cpu:0", "cpu:0", 1100);
    EpochStat e1 = new EpochStat(1, 1.5, null, 10);
    EpochStat e2 = new EpochStat(2, Double.NaN, 81.25, 20);
    running = running.epoch(e1).epoch(e2);
    epochs.add(new EpochRow(running.runId(), 1, e1));
    epochs.add(new EpochRow(running.runId(), 1, e2));
    out.add(running);
    List<EpochStat> h = List.of(new EpochStat(1, 0.9, null, 3), new EpochStat(2, 0.4, 88.0, 6));
    out.add(RunRecord.queued(runs.get(2).runId(), id, runs.get(2).cell(), 1000).started(1, "node/cpu:1", "cpu:1", 1200)
        .succeeded(result(runs.get(2), h), 1300));
    out.add(RunRecord.queued(runs.get(3).runId(), id, runs.get(3).cell(), 1000).started(1, "w", "cpu:0", 1400)
        .failed("worker-lost", "worker lost (worker stopped)", true, 1500).started(2, "w", "cpu:1", 1600)
        .failed("diverged", "loss became NaN at epoch 3", false, 1700));
    out.add(RunRecord.queued(runs.get(4).runId(), id, runs.get(4).cell(), 1000).cancelledWhileQueued(1800));
    return out;
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void keepsEveryRecordAcrossAReopen(String kind) {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp)) {
      ExperimentPlan plan = plan();
      List<EpochRow> epochs = new ArrayList<>();
      List<RunRecord> records = variety(plan, epochs);
      StoredExperiment meta = StoredExperiment.of(plan, null, tmp.resolve("out").toString(), 1000);
      try (ResultStore s = ResultStore.open(f.location())) {
        s.saveExperiment(meta, plan, List.of());
        for (RunRecord r : records) s.saveRun(r, List.of());
        s.saveEpochs(epochs);
      }
      try (ResultStore s = ResultStore.open(f.location())) {
        assertEquals(List.of(meta), s.experiments());
        assertEquals(plan.experimentId(), s.experiment(plan.experimentId()).orElseThrow().plan().experimentId(),
            "the stored config plans the same run ids");
        Map<String, RunRecord> back = s.runs(plan);
        assertEquals(plan.runs().size(), back.size(), "every run of the plan is in the store");
        for (RunRecord r : records) assertEquals(r, back.get(r.runId()), r.state().label());
        RunRecord untouched = back.get(plan.runs().get(5).runId());
        assertEquals(RunState.QUEUED, untouched.state());
        assertTrue(untouched.attempts().isEmpty());
        assertTrue(Double.isNaN(back.get(records.get(2).runId()).result().metrics().get("test_ce")),
            "NaN is kept (as SQL NULL)");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void runsAreSharedBetweenExperimentsAndARetryDropsTheOldResult(String kind) {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp); ResultStore s = ResultStore.open(f.location())) {
      ExperimentPlan two = plan();
      ExperimentPlan three = plan("experiment.seeds=3");
      s.saveExperiment(StoredExperiment.of(two, null, null, 1), two, List.of());
      RunSpec spec = two.runs().get(0);
      RunRecord done = RunRecord.queued(spec.runId(), two.experimentId(), spec.cell(), 1).started(1, "w", "cpu:0", 2)
          .succeeded(result(spec, List.of(new EpochStat(1, 0.5, 90.0, 1))), 3);
      s.saveRun(done, List.of());
      s.saveExperiment(StoredExperiment.of(three, two.experimentId(), null, 4), three, List.of());
      assertEquals(2, s.experiments().size());
      assertEquals(two.experimentId(), s.experiment(three.experimentId()).orElseThrow().extendsId());
      Map<String, RunRecord> seen = s.runs(three);
      assertEquals(18, seen.size());
      RunRecord shared = seen.get(spec.runId());
      assertEquals(RunState.SUCCEEDED, shared.state(), "the new experiment sees the committed result");
      assertEquals(three.experimentId(), shared.experimentId());
      assertEquals(done.result(), shared.result());

      s.saveRun(done.requeued(5), List.of());
      assertNull(s.runs(two).get(spec.runId()).result(), "a retried run has no result until it succeeds again");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aSecondWriterIsRefusedNamingTheStore(String kind) {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp); ResultStore first = ResultStore.open(f.location())) {
      StoreException e = assertThrows(StoreException.class, () -> ResultStore.open(f.location()));
      assertTrue(e.getMessage().contains("is in use by") && e.getMessage().contains("one writer"), e.getMessage());
      assertFalse(e.getMessage().contains("password=modalgrid"), "no password in messages: " + e.getMessage());
      try (ResultStore reader = ResultStore.openForReading(f.location())) {
        assertTrue(reader.experiments().isEmpty(), "reading needs no lock");
      }
      first.close();
      try (ResultStore again = ResultStore.open(f.location())) {
        assertTrue(again.experiments().isEmpty(), "the lock goes with its holder");
      }
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aStoreWrittenByANewerVersionIsRefusedAndLeftAlone(String kind) throws Exception {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp)) {
      ExperimentPlan plan = plan();
      try (ResultStore s = ResultStore.open(f.location())) {
        s.saveExperiment(StoredExperiment.of(plan, null, null, 1), plan, List.of());
      }
      try (Connection c = TestStores.raw(f.location()); Statement st = c.createStatement()) {
        st.executeUpdate("INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
            + "checksum, installed_by, installed_on, execution_time, success) VALUES (99, '99', 'from the future', "
            + "'SQL', 'V99__future.sql', 0, 'someone', CURRENT_TIMESTAMP, 1, " + (kind.equals("sqlite") ? "1" : "true") + ")");
      }
      String before = dump(f.location());
      StoreException e = assertThrows(StoreException.class, () -> ResultStore.open(f.location()));
      assertTrue(e.getMessage().contains("newer modalgrid") && e.getMessage().contains("schema version 99"), e.getMessage());
      assertTrue(e.getMessage().contains("this one knows up to 1"), e.getMessage());
      StoreException r = assertThrows(StoreException.class, () -> ResultStore.openForReading(f.location()));
      assertTrue(r.getMessage().contains("newer modalgrid"), r.getMessage());
      assertEquals(before, dump(f.location()), "nothing was touched");
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aDatabaseOfSomethingElseIsRefusedAndLeftAlone(String kind) throws Exception {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp)) {
      if (kind.equals("sqlite")) java.nio.file.Files.createDirectories(Path.of(f.location()).getParent());
      try (Connection c = TestStores.raw(f.location()); Statement st = c.createStatement()) {
        if (kind.equals("postgresql")) {
          String schema = f.location().replaceAll(".*currentSchema=", "");
          st.execute("CREATE SCHEMA " + schema);
        }
        st.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total DOUBLE PRECISION)");
        st.execute("INSERT INTO invoices VALUES (1, 9.5)");
      }
      String before = dump(f.location());
      StoreException e = assertThrows(StoreException.class, () -> ResultStore.open(f.location()));
      assertTrue(e.getMessage().contains("not a modalgrid store") && e.getMessage().contains("invoices"), e.getMessage());
      assertEquals(before, dump(f.location()), "nothing was touched");
    }
  }

  /** Every table's rows, as text: to prove a refused store was not touched. */
  static String dump(String location) throws SQLException {
    StringBuilder sb = new StringBuilder();
    try (Connection c = TestStores.raw(location)) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = c.getMetaData().getTables(null, location.startsWith("jdbc:postgresql") ? c.getSchema() : null,
          "%", new String[] {"TABLE"})) {
        while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
      }
      java.util.Collections.sort(tables);
      for (String t : tables) {
        sb.append(t).append(':');
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + t)) {
          int n = rs.getMetaData().getColumnCount();
          List<String> rows = new ArrayList<>();
          while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= n; i++) row.append(rs.getString(i)).append('|');
            rows.add(row.toString());
          }
          java.util.Collections.sort(rows);
          sb.append(rows).append('\n');
        }
      }
    }
    return sb.toString();
  }
}

package org.modalgrid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.modalgrid.analysis.Table;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.http.ApiServerTest;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.Attempt;
import org.modalgrid.orchestrator.ExperimentSupervisor;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.run.RunExecution;

/**
 * The orchestrator over a store, against SQLite and PostgreSQL: a restart takes over where it
 * stopped, an extension runs only new runs, and a result that cannot be committed is not
 * acknowledged. Training is a stand-in that counts its executions.
 */
class DurableOrchestratorTest {

  @TempDir Path tmp;

  final List<Orchestrator> started = new ArrayList<>();
  final List<CountDownLatch> gates = new ArrayList<>();

  static List<String> kinds() {
    return TestStores.kinds();
  }

  @AfterEach
  void stop() {
    gates.forEach(CountDownLatch::countDown);
    started.forEach(Orchestrator::close);
  }

  Orchestrator start(String location, RunExecution execution) {
    Orchestrator o = Orchestrator.start("durable-test", ConfigFactory.load(),
        new Orchestrator.Settings(List.of("cpu:0", "cpu:1"), tmp.resolve("runs"), 2), new DatasetCache(4), execution,
        ResultStore.open(location));
    started.add(o);
    return o;
  }

  static ExperimentConfig config(String... overrides) {
    return ExperimentConfig.parse("durable.conf", ApiServerTest.EXPERIMENT, List.of(overrides));
  }

  /** Counts executions per run id. */
  static RunExecution counting(Map<String, AtomicInteger> counts, RunExecution inner) {
    return (spec, l) -> {
      counts.computeIfAbsent(spec.runId(), k -> new AtomicInteger()).incrementAndGet();
      return inner.execute(spec, l);
    };
  }

  static RunRecord awaitDone(Orchestrator o, String id) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      var s = o.experiment(id).toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (s.isPresent() && s.get().completed()) return null;
      Thread.sleep(20);
    }
    throw new AssertionError("experiment " + id + " did not complete");
  }

  static List<RunRecord> runs(Orchestrator o, String id) throws Exception {
    return o.runs(id, null).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow();
  }

  static Map<String, Table> tables(Orchestrator o, String id) throws Exception {
    Map<String, Table> out = new java.util.LinkedHashMap<>();
    for (String t : org.modalgrid.analysis.Tables.NAMES) {
      out.put(t, o.table(id, t).toCompletableFuture().get(10, TimeUnit.SECONDS).orElseThrow());
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aRestartFinishesTheGridWithoutRunningFinishedRunsAgain(String kind) throws Exception {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp)) {
      // first life: seed-0 runs finish, seed-1 runs hang in training until the orchestrator is gone
      CountDownLatch never = new CountDownLatch(1);
      gates.add(never);
      Map<String, AtomicInteger> first = new ConcurrentHashMap<>();
      Orchestrator o1 = start(f.location(), counting(first, (spec, l) -> {
        if (spec.cell().seed() == 1) {
          l.onEpoch(new EpochStat(1, 0.9, null, 1));
          try {
            never.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return ApiServerTest.fake(spec, l, 1);
      }));
      ExperimentPlan plan = o1.plan(config()).toCompletableFuture().get();
      String id = plan.experimentId();
      Path dir = tmp.resolve("results");
      assertEquals(12, o1.submit(plan, dir).toCompletableFuture().get().queued());
      long deadline = System.currentTimeMillis() + 30_000;
      while (true) {
        List<RunRecord> rs = runs(o1, id);
        long ok = rs.stream().filter(r -> r.state() == RunState.SUCCEEDED).count();
        long running = rs.stream().filter(r -> r.state() == RunState.RUNNING).count();
        if (ok == 6 && running == 2) break;
        assertTrue(System.currentTimeMillis() < deadline, "6 finished and 2 running: " + ok + ", " + running);
        Thread.sleep(20);
      }
      Thread.sleep(2 * org.modalgrid.orchestrator.Aggregator.EPOCH_FLUSH.toMillis());
      Set<String> inFlight = runs(o1, id).stream().filter(r -> r.state() == RunState.RUNNING)
          .map(RunRecord::runId).collect(Collectors.toSet());
      Map<String, RunRecord> before = runs(o1, id).stream().collect(Collectors.toMap(RunRecord::runId, r -> r));
      o1.close(); // stands in for a crash: the hanging runs are never reported

      try (ResultStore peek = ResultStore.openForReading(f.location())) {
        Map<String, RunRecord> stored = peek.runs(plan);
        for (String r : inFlight) {
          assertEquals(RunState.RUNNING, stored.get(r).state(), "the store still says running");
          assertEquals(1, stored.get(r).history().size(), "its first epoch was committed");
        }
      }

      // second life: the same store, a new process
      Map<String, AtomicInteger> second = new ConcurrentHashMap<>();
      Orchestrator o2 = start(f.location(), counting(second, (spec, l) -> ApiServerTest.fake(spec, l, 1)));
      Orchestrator.Resumed resumed = o2.resumeAll();
      assertEquals(new Orchestrator.Resumed(1, 6, List.of()), resumed);
      awaitDone(o2, id);
      assertEquals(6, second.size(), "only the 6 unfinished runs ran again");
      assertTrue(second.values().stream().allMatch(n -> n.get() == 1));
      for (RunRecord r : runs(o2, id)) {
        assertEquals(RunState.SUCCEEDED, r.state(), r.runId());
        if (before.get(r.runId()).state() == RunState.SUCCEEDED) {
          assertEquals(before.get(r.runId()), r, "a run finished before the restart is untouched");
          assertFalse(second.containsKey(r.runId()));
        } else if (inFlight.contains(r.runId())) {
          List<Attempt> as = r.attempts();
          assertEquals(2, as.size(), r.attempts().toString());
          assertEquals("lost", as.get(0).status());
          assertEquals(RunRecord.RESTART_KIND, as.get(0).kind());
          assertEquals("succeeded", as.get(1).status());
        } else {
          assertEquals(1, r.attempts().size(), "a run queued at the restart ran once");
        }
      }
      assertTrue(Files.readString(dir.resolve("runs.jsonl")).lines().count() == 12, "the folder has every run");

      // the same numbers as an uninterrupted run
      Map<String, AtomicInteger> third = new ConcurrentHashMap<>();
      Orchestrator plain = Orchestrator.start("plain", ConfigFactory.load(),
          new Orchestrator.Settings(List.of("cpu:0"), null, 2), new DatasetCache(4),
          counting(third, (spec, l) -> ApiServerTest.fake(spec, l, 1)));
      started.add(plain);
      plain.submit(config(), null).toCompletableFuture().get();
      awaitDone(plain, id);
      assertEquals(tables(plain, id), tables(o2, id));
    }
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void extendingAFinishedTwoSeedGridToThreeSeedsRunsOnlyTheNewThird(String kind) throws Exception {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp)) {
      Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
      RunExecution exec = counting(counts, (spec, l) -> ApiServerTest.fake(spec, l, 1));
      Orchestrator o = start(f.location(), exec);
      ExperimentSupervisor.Submitted two = o.submit(config(), null).toCompletableFuture().get();
      awaitDone(o, two.experimentId());
      assertEquals(12, counts.size());

      ExperimentSupervisor.Submitted three = o.extend(two.experimentId(), config("experiment.seeds=3"), null)
          .toCompletableFuture().get().orElseThrow();
      assertEquals(18, three.runs());
      assertEquals(6, three.queued());
      awaitDone(o, three.experimentId());
      assertEquals(18, counts.size(), "exactly the 6 runs of seed 2 ran");
      assertTrue(counts.values().stream().allMatch(n -> n.get() == 1), "no run ran twice");
      List<RunRecord> all = runs(o, three.experimentId());
      assertEquals(18, all.stream().filter(r -> r.state() == RunState.SUCCEEDED).count());
      Table acc = tables(o, three.experimentId()).get("accuracy");
      assertTrue(acc.rows().stream().allMatch(r -> ((Number) r.get("n")).intValue() == 3), acc.rows().toString());
      assertTrue(o.extend("nope-00000000", config("experiment.seeds=3"), null).toCompletableFuture().get().isEmpty());
      o.close();

      // a new process, nothing in memory: the store alone knows what is done
      Map<String, AtomicInteger> later = new ConcurrentHashMap<>();
      Orchestrator o2 = start(f.location(), counting(later, (spec, l) -> ApiServerTest.fake(spec, l, 1)));
      ExperimentSupervisor.Submitted again = o2.submit(config("experiment.seeds=3"), null).toCompletableFuture().get();
      assertEquals(three.experimentId(), again.experimentId());
      assertFalse(again.created(), "the store already had it");
      assertEquals(0, again.queued());
      ExperimentSupervisor.Submitted four = o2.extend(three.experimentId(), config("experiment.seeds=4"), null)
          .toCompletableFuture().get().orElseThrow();
      assertEquals(6, four.queued());
      awaitDone(o2, four.experimentId());
      assertEquals(6, later.size());
      assertTrue(later.keySet().stream().allMatch(r -> all.stream().noneMatch(x -> x.runId().equals(r))));
      try (ResultStore peek = ResultStore.openForReading(f.location())) {
        // a reader beside the open writer
        assertEquals(three.experimentId(), peek.experiment(four.experimentId()).orElseThrow().extendsId());
      }
    }
  }

  @Test
  void aResultThatCannotBeCommittedIsNotAcknowledged() throws Exception {
    String location = tmp.resolve("full/modalgrid.db").toString();
    CountDownLatch go = new CountDownLatch(1);
    gates.add(go);
    RunExecution bigResult = (spec, l) -> {
      try {
        go.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      RunResult small = ApiServerTest.fake(spec, l, 0);
      List<EpochStat> h = new ArrayList<>();
      for (int e = 1; e <= 5000; e++) h.add(new EpochStat(e, 1.0 / e, 50.0, e));
      return new RunResult(small.metrics(), small.eta(), small.trainRows(), h, 1, 1, 2);
    };
    Orchestrator o = start(location, bigResult);
    ExperimentPlan plan = o.plan(config("experiment.seeds=1", "experiment.fractions=[1.0]", "experiment.subsets=[[a]]"))
        .toCompletableFuture().get();
    Path dir = tmp.resolve("full-results");
    o.submit(plan, dir).toCompletableFuture().get();
    String runId = plan.runs().get(0).runId();
    while (runs(o, plan.experimentId()).get(0).state() != RunState.RUNNING) Thread.sleep(10);
    ((JdbcResultStore) o.store().orElseThrow()).capSizeAtCurrent();
    go.countDown();
    awaitDone(o, plan.experimentId());
    RunRecord r = runs(o, plan.experimentId()).get(0);
    assertEquals(RunState.FAILED, r.state());
    assertTrue(r.error().contains("not kept") && r.error().contains("disk is full"), r.error());
    assertEquals(null, r.result());
    var summary = o.experiment(plan.experimentId()).toCompletableFuture().get().orElseThrow();
    assertEquals(0, summary.counts().get("succeeded"), "not counted as finished");
    assertTrue(tables(o, plan.experimentId()).get("accuracy").rows().stream()
        .allMatch(row -> ((Number) row.get("n")).intValue() == 0), "not in the tables");
    o.close();

    // the store kept what it had: the run is still running there, so a restart runs it again
    Orchestrator o2 = start(location, (spec, l) -> ApiServerTest.fake(spec, l, 0));
    assertEquals(1, o2.resumeAll().queued());
    awaitDone(o2, plan.experimentId());
    RunRecord again = runs(o2, plan.experimentId()).get(0);
    assertEquals(RunState.SUCCEEDED, again.state());
    assertEquals(List.of("lost", "succeeded"), again.attempts().stream().map(Attempt::status).toList());
    assertEquals(runId, again.runId());
  }
}

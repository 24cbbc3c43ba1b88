package org.modalgrid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;

/**
 * What the store costs the aggregator: a 245-run grid with 200 epochs per run, every event sent
 * as fast as the aggregator takes them (far faster than training produces them), with no store,
 * with SQLite and with PostgreSQL. Prints the numbers; fails only if the store costs more than a
 * small share of even a very short run.
 */
@Tag("slow")
class StoreThroughputTest {

  static final int EPOCHS = 200;

  @TempDir Path tmp;

  ActorTestKit kit = ActorTestKit.create();

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "sqlite", "postgresql"})
  void aLargeGridIsNotSlowedDownByTheStore(String kind) throws Exception {
    ExperimentPlan plan = ResultStoreTest.plan("experiment.seeds=7", "experiment.fractions=[0.1, 0.2, 0.3, 0.5, 1.0]");
    // 3 modalities -> 7 subsets x 5 fractions x 7 seeds
    plan = ExperimentPlan.build(plan.config(), List.of("a", "b", "c"), plan.task(), plan.numClasses());
    assertEquals(245, plan.runs().size());
    TestStores.Fresh f = kind.equals("none") ? null : TestStores.fresh(kind, tmp);
    ResultStore store = f == null ? null : ResultStore.open(f.location());
    try {
      ActorRef<Aggregator.Command> agg = kit.spawn(Aggregator.create(store), "agg-" + kind, Aggregator.dispatcher());
      long t0 = System.nanoTime();
      agg.tell(new Aggregator.Register(plan, null));
      long now = System.currentTimeMillis();
      for (RunSpec spec : plan.runs()) {
        agg.tell(new Aggregator.Observe(new RunEvent.Started(spec.runId(), 1, "w", "cpu:0", now), false));
        List<EpochStat> history = new ArrayList<>(EPOCHS);
        for (int e = 1; e <= EPOCHS; e++) {
          EpochStat s = new EpochStat(e, 1.0 / e, e % 20 == 0 ? 50.0 + e / 10.0 : null, e);
          history.add(s);
          agg.tell(new Aggregator.Observe(new RunEvent.Epoch(spec.runId(), 1, s), false));
        }
        RunResult r = new RunResult(java.util.Map.of("accuracy", 80.0, "test_error", 20.0, "test_ce", 0.5),
            java.util.Map.of("eta_error", 18.0, "eta_ce", 0.45), 100, history, 1000, 100, 1100);
        agg.tell(new Aggregator.Observe(new RunEvent.Succeeded(spec.runId(), 1, "w", r, now), false));
      }
      TestProbe<Optional<Aggregator.ExperimentSummary>> probe = kit.createTestProbe();
      while (true) {
        agg.tell(new Aggregator.GetExperiment(plan.experimentId(), probe.getRef()));
        if (probe.receiveMessage(Duration.ofSeconds(120)).orElseThrow().completed()) break;
        Thread.sleep(20);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double perRun = seconds * 1000 / plan.runs().size();
      System.out.printf("store %-10s: 245 runs x %d epochs through the aggregator in %.2f s (%.1f ms per run)%n",
          kind, EPOCHS, seconds, perRun);
      if (store != null) {
        assertEquals(245, store.runs(plan).values().stream().filter(x -> x.result() != null).count());
        assertEquals(EPOCHS, store.runs(plan).get(plan.runs().get(0).runId()).history().size());
      }
      // Real runs take seconds; 100 ms of store work per run would still be a small share.
      assertTrue(perRun < 100, kind + ": " + perRun + " ms per run");
    } finally {
      if (store != null) store.close();
      if (f != null) f.close();
    }
  }
}

package org.modalgrid.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.Task;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentConfigTest;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.run.RunExecution;
import org.modalgrid.worker.RunWorker;

class ExperimentSupervisorTest {

  ActorTestKit kit;

  @BeforeEach
  void start() {
    kit = ActorTestKit.create();
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  static ExperimentPlan plan(String... overrides) {
    ExperimentConfig c = ExperimentConfig.parse("t.conf", ExperimentConfigTest.BASE, List.of(overrides));
    return ExperimentPlan.build(c, List.of("a", "b"), Task.CLASSIFICATION, 3);
  }

  /** A stand-in for training: two epochs, then numbers derived from the cell. */
  static RunResult fakeResult(RunSpec spec, org.modalgrid.model.TrainingListener l) {
    List<EpochStat> history = List.of(new EpochStat(1, 1.0, null, 1), new EpochStat(2, 0.5, 90.0, 2));
    history.forEach(l::onEpoch);
    double acc = 60 + 10 * spec.cell().subset().size() + spec.cell().seed();
    return new RunResult(Map.of("accuracy", acc, "test_error", 100 - acc, "test_ce", 1.0 / acc),
        Map.of("eta_error", 100 - acc - 1, "eta_ce", 1.0 / acc), 10, history, 1, 1, 2);
  }

  record Harness(ActorRef<ExperimentSupervisor.Command> supervisor, ActorRef<Aggregator.Command> aggregator,
      TestProbe<Aggregator.Update> updates) {}

  Harness harness(int slots, RunExecution execution) {
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create());
    TestProbe<Aggregator.Update> updates = kit.createTestProbe();
    aggregator.tell(new Aggregator.Subscribe(updates.getRef()));
    ActorRef<ExperimentSupervisor.Command> supervisor =
        kit.spawn(ExperimentSupervisor.create(aggregator, new ExperimentSupervisor.Settings(2)));
    for (int i = 0; i < slots; i++) {
      kit.spawn(RunWorker.create("test/cpu:" + i, "cpu:" + i, execution), RunWorker.actorName("cpu:" + i));
    }
    return new Harness(supervisor, aggregator, updates);
  }

  Aggregator.ExperimentCompleted awaitCompleted(TestProbe<Aggregator.Update> probe, String experimentId) {
    return (Aggregator.ExperimentCompleted) probe.fishForMessage(Duration.ofSeconds(20), u ->
        u instanceof Aggregator.ExperimentCompleted c && c.experimentId().equals(experimentId)
            ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
            : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore()).get(0);
  }

  List<RunRecord> runs(Harness h, String experimentId) {
    TestProbe<java.util.Optional<List<RunRecord>>> p = kit.createTestProbe();
    h.aggregator().tell(new Aggregator.GetRuns(experimentId, null, p.getRef()));
    return p.receiveMessage().orElseThrow();
  }

  @Test
  void everyRunOfTheGridSucceedsOnceAndTheTablesFollow() {
    Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    Harness h = harness(2, (spec, l) -> {
      executions.computeIfAbsent(spec.runId(), k -> new AtomicInteger()).incrementAndGet();
      return fakeResult(spec, l);
    });
    ExperimentPlan plan = plan();
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    assertEquals(new ExperimentSupervisor.Submitted(plan.experimentId(), 12, true), submitted.receiveMessage());
    Aggregator.ExperimentCompleted done = awaitCompleted(h.updates(), plan.experimentId());
    assertEquals(12, done.summary().counts().get("succeeded"));
    assertEquals("succeeded", done.summary().status());
    assertEquals(12, executions.size());
    assertTrue(executions.values().stream().allMatch(n -> n.get() == 1));
    for (RunRecord r : runs(h, plan.experimentId())) {
      assertEquals(RunState.SUCCEEDED, r.state());
      assertEquals(1, r.attempts().size());
      assertEquals(2, r.history().size());
      assertEquals(0.5, r.history().get(1).trainLoss());
    }
    TestProbe<java.util.Optional<org.modalgrid.analysis.Table>> tp = kit.createTestProbe();
    h.aggregator().tell(new Aggregator.GetTable(plan.experimentId(), "accuracy", tp.getRef()));
    var table = tp.receiveMessage().orElseThrow();
    var full = table.rows().stream().filter(r -> r.get("subset").equals("a+b")).findFirst().orElseThrow();
    assertEquals(80.5, (double) full.get("accuracy_mean"), 1e-9, "(80 + 81) / 2 over seeds 0 and 1");

    // submitting the same experiment again is idempotent
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    assertEquals(false, submitted.receiveMessage().created());
  }

  @Test
  void chaosFailsChosenRunsAndAManualRetryCompletesThem() {
    Harness h = harness(2, ExperimentSupervisorTest::fakeResult);
    ExperimentPlan plan = plan("chaos.fail-first-attempts=1", "chaos.select=\"subset=a+b,seed=0\"");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    Aggregator.ExperimentCompleted first = awaitCompleted(h.updates(), plan.experimentId());
    assertEquals(2, first.summary().counts().get("failed"));
    assertEquals("finished-with-failures", first.summary().status());
    List<RunRecord> failed = runs(h, plan.experimentId()).stream().filter(r -> r.state() == RunState.FAILED).toList();
    assertTrue(failed.stream().allMatch(r -> r.attempts().get(0).kind().equals("chaos")));
    assertTrue(failed.get(0).error().contains("planned failure"), failed.get(0).error());

    TestProbe<ExperimentSupervisor.Reply> reply = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Retry("rnope", reply.getRef()));
    assertEquals("not-found", reply.receiveMessage().status());
    String ok = runs(h, plan.experimentId()).stream().filter(r -> r.state() == RunState.SUCCEEDED).findFirst().orElseThrow().runId();
    h.supervisor().tell(new ExperimentSupervisor.Retry(ok, reply.getRef()));
    assertEquals("ok", reply.receiveMessage().status(), "a succeeded run may be run again");
    awaitCompleted(h.updates(), plan.experimentId());

    h.supervisor().tell(new ExperimentSupervisor.RetryFailed(plan.experimentId(), reply.getRef()));
    ExperimentSupervisor.Reply r = reply.receiveMessage();
    assertEquals("ok", r.status());
    assertEquals(2, r.runIds().size());
    Aggregator.ExperimentCompleted second = awaitCompleted(h.updates(), plan.experimentId());
    assertEquals(12, second.summary().counts().get("succeeded"));
    for (RunRecord rec : runs(h, plan.experimentId())) {
      if (r.runIds().contains(rec.runId())) {
        assertEquals(2, rec.attempts().size());
        assertEquals("failed", rec.attempts().get(0).status());
        assertEquals("succeeded", rec.attempts().get(1).status());
      }
    }
  }

  @Test
  void retryingAQueuedOrRunningRunIsAConflictAndCancelStopsIt() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Harness h = harness(1, (spec, l) -> {
      for (int i = 0; i < 200 && !l.stopRequested(); i++) {
        try {
          release.await(25, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      if (l.stopRequested()) throw new org.modalgrid.model.TrainingCancelledException("cancelled at epoch 1");
      return fakeResult(spec, l);
    });
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    String first = plan.runs().get(0).runId();
    String second = plan.runs().get(1).runId();
    TestProbe<ExperimentSupervisor.Reply> reply = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Retry(second, reply.getRef()));
    assertEquals("conflict", reply.receiveMessage().status());
    h.supervisor().tell(new ExperimentSupervisor.Cancel(first, reply.getRef()));
    assertEquals("ok", reply.receiveMessage().status());
    h.supervisor().tell(new ExperimentSupervisor.Cancel(second, reply.getRef()));
    assertEquals("ok", reply.receiveMessage().status());
    release.countDown();
    Aggregator.ExperimentCompleted done = awaitCompleted(h.updates(), plan.experimentId());
    assertEquals(2, done.summary().counts().get("cancelled"));
    assertEquals(1, done.summary().counts().get("succeeded"));
    h.supervisor().tell(new ExperimentSupervisor.Cancel(first, reply.getRef()));
    assertEquals("conflict", reply.receiveMessage().status());
  }

  @Test
  void aStoppedWorkerLosesItsRunToAnotherSlot() {
    CountDownLatch never = new CountDownLatch(1);
    List<String> seenBy = java.util.Collections.synchronizedList(new ArrayList<>());
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create());
    TestProbe<Aggregator.Update> updates = kit.createTestProbe();
    aggregator.tell(new Aggregator.Subscribe(updates.getRef()));
    ActorRef<ExperimentSupervisor.Command> supervisor =
        kit.spawn(ExperimentSupervisor.create(aggregator, new ExperimentSupervisor.Settings(2)));
    ActorRef<RunWorker.Command> stuck = kit.spawn(RunWorker.create("test/stuck", "cpu:9", (spec, l) -> {
      seenBy.add("stuck");
      try {
        never.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return fakeResult(spec, l);
    }), RunWorker.actorName("cpu:9"));
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]", "experiment.subsets=[[a]]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    supervisor.tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    updates.fishForMessage(Duration.ofSeconds(10), u -> u instanceof Aggregator.RunChanged c
        && c.record().state() == RunState.RUNNING
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    kit.spawn(RunWorker.create("test/cpu:0", "cpu:0", ExperimentSupervisorTest::fakeResult), RunWorker.actorName("cpu:0"));
    kit.stop(stuck);
    Aggregator.ExperimentCompleted done = awaitCompleted(updates, plan.experimentId());
    TestProbe<java.util.Optional<List<RunRecord>>> p = kit.createTestProbe();
    aggregator.tell(new Aggregator.GetRuns(plan.experimentId(), null, p.getRef()));
    RunRecord r = p.receiveMessage().orElseThrow().get(0);
    assertEquals(1, done.summary().counts().get("succeeded"), r.toString());
    assertEquals(2, r.attempts().size());
    assertEquals("lost", r.attempts().get(0).status());
    assertEquals("worker-lost", r.attempts().get(0).kind());
    assertEquals("test/cpu:0", r.attempts().get(1).workerId());
    never.countDown();
  }

  static ExperimentSupervisor.SlotInfo onlySlot(ActorTestKit kit, ActorRef<ExperimentSupervisor.Command> supervisor) {
    TestProbe<List<ExperimentSupervisor.SlotInfo>> p = kit.createTestProbe();
    for (int i = 0; i < 100; i++) {
      supervisor.tell(new ExperimentSupervisor.GetWorkers(p.getRef()));
      List<ExperimentSupervisor.SlotInfo> slots = p.receiveMessage();
      if (slots.size() == 1) return slots.get(0);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("the slot never registered");
  }

  long count(Harness h, String experimentId, RunState state) {
    return runs(h, experimentId).stream().filter(r -> r.state() == state).count();
  }

  @Test
  void aDrainedNodeFinishesItsRunAndTakesNoNewOneUntilResumed() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger started = new AtomicInteger();
    Harness h = harness(1, (spec, l) -> {
      if (started.incrementAndGet() == 1) {
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
      return fakeResult(spec, l);
    });
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    String node = onlySlot(kit, h.supervisor()).node();

    TestProbe<ExperimentSupervisor.Reply> reply = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Drain("10.9.9.9:2552", reply.getRef()));
    assertEquals("not-found", reply.receiveMessage().status());
    h.supervisor().tell(new ExperimentSupervisor.Drain(node, reply.getRef()));
    ExperimentSupervisor.Reply drained = reply.receiveMessage();
    assertEquals("ok", drained.status());
    assertEquals(1, drained.runIds().size(), "the run in flight is finished, not dropped");
    release.countDown();

    // the run in flight succeeds; the other two stay queued on an idle, draining slot
    h.updates().fishForMessage(Duration.ofSeconds(10), u -> u instanceof Aggregator.RunChanged c
        && c.record().state() == RunState.SUCCEEDED
        ? org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.complete()
        : org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes.continueAndIgnore());
    Thread.sleep(300);
    ExperimentSupervisor.SlotInfo slot = onlySlot(kit, h.supervisor());
    assertTrue(slot.draining());
    assertEquals(false, slot.busy());
    assertEquals(2, count(h, plan.experimentId(), RunState.QUEUED));
    assertEquals(1, started.get());

    h.supervisor().tell(new ExperimentSupervisor.ResumeWorker(node, reply.getRef()));
    assertEquals("ok", reply.receiveMessage().status());
    Aggregator.ExperimentCompleted done = awaitCompleted(h.updates(), plan.experimentId());
    assertEquals(3, done.summary().counts().get("succeeded"));
  }

  @Test
  void aNodeWhoseRunsKeepFailingIsQuarantinedAndFailuresOfTheRunsOwnDoNotCount() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create());
    TestProbe<Aggregator.Update> updates = kit.createTestProbe();
    aggregator.tell(new Aggregator.Subscribe(updates.getRef()));
    ActorRef<ExperimentSupervisor.Command> supervisor =
        kit.spawn(ExperimentSupervisor.create(aggregator, new ExperimentSupervisor.Settings(2, 2, false)));
    kit.spawn(RunWorker.create("test/cpu:0", "cpu:0", (spec, l) -> switch (calls.incrementAndGet()) {
      case 1 -> throw new org.modalgrid.model.TrainingDivergedException("loss became NaN at epoch 3");
      case 2, 3 -> throw new IllegalStateException("native crash in the BLAS library");
      default -> fakeResult(spec, l);
    }), RunWorker.actorName("cpu:0"));
    Harness h = new Harness(supervisor, aggregator, updates);
    ExperimentPlan plan = plan("experiment.seeds=2", "experiment.fractions=[1.0]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    supervisor.tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();

    // a divergence (the run's fault), then two errors in a row (the node's): quarantined after the second
    for (int i = 0; i < 100 && !onlySlot(kit, supervisor).quarantined(); i++) Thread.sleep(50);
    ExperimentSupervisor.SlotInfo slot = onlySlot(kit, supervisor);
    assertTrue(slot.quarantined(), slot.toString());
    Thread.sleep(300);
    assertEquals(3, calls.get(), "no run after the quarantine");
    assertEquals(3, count(h, plan.experimentId(), RunState.FAILED), "errors and divergence are not retried");
    assertEquals(3, count(h, plan.experimentId(), RunState.QUEUED));

    TestProbe<ExperimentSupervisor.Reply> reply = kit.createTestProbe();
    supervisor.tell(new ExperimentSupervisor.ResumeWorker(slot.node(), reply.getRef()));
    assertEquals("ok", reply.receiveMessage().status());
    Aggregator.ExperimentCompleted done = awaitCompleted(updates, plan.experimentId());
    assertEquals(3, done.summary().counts().get("succeeded"));
    assertEquals(3, done.summary().counts().get("failed"));
    assertEquals(false, onlySlot(kit, supervisor).quarantined());
  }

  @Test
  void onlyTransientFailuresAreRetriedAndOnlyUpToMaxAttempts() {
    Harness h = harness(1, (spec, l) -> {
      if (spec.cell().subset().equals(List.of("a"))) throw new OutOfMemoryError("Java heap space");
      if (spec.cell().subset().equals(List.of("b"))) throw new org.modalgrid.data.DataException("x.csv, line 3: bad");
      return fakeResult(spec, l);
    });
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    awaitCompleted(h.updates(), plan.experimentId());
    for (RunRecord r : runs(h, plan.experimentId())) {
      switch (r.cell().subsetLabel()) {
        case "a" -> {
          assertEquals(RunState.FAILED, r.state());
          assertEquals(2, r.attempts().size(), "out of memory is transient: tried max-attempts = 2 times");
          assertTrue(r.attempts().stream().allMatch(a -> a.kind().equals("resources")));
        }
        case "b" -> {
          assertEquals(RunState.FAILED, r.state());
          assertEquals(1, r.attempts().size(), "bad data is not retried");
        }
        default -> assertEquals(RunState.SUCCEEDED, r.state());
      }
    }
  }

  /** A worker slot that only records the StartRun messages it gets: the test answers for it. */
  static org.apache.pekko.actor.typed.Behavior<RunWorker.Command> puppet(TestProbe<RunWorker.StartRun> starts) {
    return org.apache.pekko.actor.typed.javadsl.Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(
          org.apache.pekko.actor.typed.receptionist.Receptionist.register(RunWorker.SERVICE_KEY, ctx.getSelf()));
      return org.apache.pekko.actor.typed.javadsl.Behaviors.receiveMessage(m -> {
        if (m instanceof RunWorker.StartRun s) starts.getRef().tell(s);
        return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
      });
    });
  }

  @Test
  void aLateResultFromALostWorkerIsIgnoredAndTheCellKeepsOneResult() {
    Harness h = harness(0, ExperimentSupervisorTest::fakeResult);
    TestProbe<RunWorker.StartRun> starts = kit.createTestProbe();
    ActorRef<RunWorker.Command> lost = kit.spawn(puppet(starts), RunWorker.actorName("cpu:7"));
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]", "experiment.subsets=[[a]]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    RunWorker.StartRun first = starts.receiveMessage(Duration.ofSeconds(10));
    String runId = first.spec().runId();
    first.replyTo().tell(new org.modalgrid.protocol.RunEvent.Started(runId, 1, "lost/cpu:7", "cpu:7", 1));

    kit.stop(lost);
    // the run goes back to the queue and a second attempt starts on a new slot
    TestProbe<RunWorker.StartRun> starts2 = kit.createTestProbe();
    kit.spawn(puppet(starts2), RunWorker.actorName("cpu:8"));
    RunWorker.StartRun second = starts2.receiveMessage(Duration.ofSeconds(10));
    assertEquals(2, second.attempt());
    second.replyTo().tell(new org.modalgrid.protocol.RunEvent.Started(runId, 2, "new/cpu:8", "cpu:8", 2));

    // the lost worker's result arrives late, then the real one
    org.modalgrid.protocol.RunResult late = fakeResult(first.spec(), org.modalgrid.model.TrainingListener.NONE);
    first.replyTo().tell(new org.modalgrid.protocol.RunEvent.Succeeded(runId, 1, "lost/cpu:7",
        new org.modalgrid.protocol.RunResult(Map.of("accuracy", 1.0, "test_error", 99.0, "test_ce", 9.0), late.eta(),
            1, late.history(), 1, 1, 1), 3));
    second.replyTo().tell(new org.modalgrid.protocol.RunEvent.Succeeded(runId, 2, "new/cpu:8", late, 4));
    first.replyTo().tell(new org.modalgrid.protocol.RunEvent.Failed(runId, 1, "lost/cpu:7", "boom", "error", false, 5));
    awaitCompleted(h.updates(), plan.experimentId());
    RunRecord r = runs(h, plan.experimentId()).get(0);
    assertEquals(RunState.SUCCEEDED, r.state());
    assertEquals(late.metrics().get("accuracy"), r.result().metrics().get("accuracy"), "the late result is not the one kept");
    assertEquals(List.of("lost", "succeeded"), r.attempts().stream().map(Attempt::status).toList());
    assertEquals("new/cpu:8", r.attempts().get(1).workerId());
  }

  @Test
  void aRunLostBeforeItsWorkerReportedStillShowsTheLostAttempt() {
    Harness h = harness(0, ExperimentSupervisorTest::fakeResult);
    TestProbe<RunWorker.StartRun> starts = kit.createTestProbe();
    ActorRef<RunWorker.Command> silent = kit.spawn(puppet(starts), RunWorker.actorName("cpu:5"));
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]", "experiment.subsets=[[a]]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    h.supervisor().tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    starts.receiveMessage(Duration.ofSeconds(10)); // handed out, never acknowledged
    kit.stop(silent);
    kit.spawn(RunWorker.create("test/cpu:0", "cpu:0", ExperimentSupervisorTest::fakeResult), RunWorker.actorName("cpu:0"));
    awaitCompleted(h.updates(), plan.experimentId());
    RunRecord r = runs(h, plan.experimentId()).get(0);
    assertEquals(List.of("lost", "succeeded"), r.attempts().stream().map(Attempt::status).toList());
    assertEquals("cpu:5", r.attempts().get(0).device());
    assertEquals(1, r.attempts().get(0).number());
    assertEquals(2, r.attempts().get(1).number());
  }

  /** A slot that answers "busy" is left alone for a while, not offered the run again in a tight loop. */
  @Test
  void aBusySlotIsBackedOffNotHammered() {
    java.util.List<Long> offers = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    org.apache.pekko.actor.typed.Behavior<RunWorker.Command> busyOnce =
        org.apache.pekko.actor.typed.javadsl.Behaviors.setup(ctx -> {
          ctx.getSystem().receptionist().tell(
              org.apache.pekko.actor.typed.receptionist.Receptionist.register(RunWorker.SERVICE_KEY, ctx.getSelf()));
          return org.apache.pekko.actor.typed.javadsl.Behaviors.receive(RunWorker.Command.class)
              .onMessage(RunWorker.StartRun.class, m -> {
                offers.add(System.currentTimeMillis());
                String id = m.spec().runId();
                long now = System.currentTimeMillis();
                if (offers.size() == 1) {
                  m.replyTo().tell(new org.modalgrid.protocol.RunEvent.Failed(id, m.attempt(), "test/cpu:0",
                      "slot cpu:0 is busy with another run", "busy", true, now));
                } else {
                  m.replyTo().tell(new org.modalgrid.protocol.RunEvent.Started(id, m.attempt(), "test/cpu:0", "cpu:0", now));
                  m.replyTo().tell(new org.modalgrid.protocol.RunEvent.Succeeded(id, m.attempt(), "test/cpu:0",
                      fakeResult(m.spec(), org.modalgrid.model.TrainingListener.NONE), now));
                }
                return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
              })
              .build();
        });
    ActorRef<Aggregator.Command> aggregator = kit.spawn(Aggregator.create());
    TestProbe<Aggregator.Update> updates = kit.createTestProbe();
    aggregator.tell(new Aggregator.Subscribe(updates.getRef()));
    ActorRef<ExperimentSupervisor.Command> supervisor =
        kit.spawn(ExperimentSupervisor.create(aggregator, new ExperimentSupervisor.Settings(2)));
    kit.spawn(busyOnce, RunWorker.actorName("cpu:0"));
    ExperimentPlan plan = plan("experiment.seeds=1", "experiment.fractions=[1.0]", "experiment.subsets=[[a]]");
    TestProbe<ExperimentSupervisor.Submitted> submitted = kit.createTestProbe();
    supervisor.tell(new ExperimentSupervisor.Submit(plan, null, submitted.getRef()));
    submitted.receiveMessage();
    Aggregator.ExperimentCompleted done = awaitCompleted(updates, plan.experimentId());
    assertEquals(1, done.summary().counts().get("succeeded"));
    assertEquals(2, offers.size(), "offered once, refused as busy, offered again once");
    assertTrue(offers.get(1) - offers.get(0) >= 900, "the second offer waits for the back-off: "
        + (offers.get(1) - offers.get(0)) + " ms");
    TestProbe<java.util.Optional<List<RunRecord>>> p = kit.createTestProbe();
    aggregator.tell(new Aggregator.GetRuns(plan.experimentId(), null, p.getRef()));
    assertEquals(1, p.receiveMessage().orElseThrow().get(0).attempts().size(), "a busy answer is not an attempt");
  }
}

package org.modalgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modalgrid.data.DataFetcher;
import org.modalgrid.latent.ProbeSpec;
import org.modalgrid.model.EpochStat;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;

class RunWorkerTest {

  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static RunSpec spec(String id, int epochs, Map<String, String> files) {
    return new RunSpec(id, "e", new Cell(List.of("a"), 1.0, 0, Map.of()),
        Map.of("source", "multiview-files", "dir", "/nowhere"), ModelSpec.linear(4),
        new TrainSpec(epochs, 8, 0.01, 0.9, 0.999, 1e-8, 0, 1, false), new ProbeSpec(2, 0, 10, 1e-6, 10, 10, 0), false,
        files);
  }

  static RunResult result(List<EpochStat> history) {
    return new RunResult(Map.of("accuracy", 50.0), Map.of("eta_error", 50.0), 1, history, 1, 1, 1);
  }

  List<RunEvent> eventsUntilTheEnd(TestProbe<RunEvent> probe) {
    List<RunEvent> events = new ArrayList<>();
    while (true) {
      RunEvent e = probe.receiveMessage(Duration.ofSeconds(20));
      events.add(e);
      if (e instanceof RunEvent.Succeeded || e instanceof RunEvent.Failed) return events;
    }
  }

  @Test
  void progressOfFastEpochsIsThinnedButTheLastAndEvaluatedEpochsAlwaysGo() {
    int epochs = 2000;
    ActorRef<RunWorker.Command> w = kit.spawn(RunWorker.create("t/cpu:0", "cpu:0", (spec, l) -> {
      List<EpochStat> h = new ArrayList<>();
      for (int e = 1; e <= epochs; e++) {
        EpochStat s = new EpochStat(e, 1.0 / e, e == 1000 || e == epochs ? 90.0 : null, e);
        h.add(s);
        l.onEpoch(s);
      }
      return result(h);
    }));
    TestProbe<RunEvent> probe = kit.createTestProbe();
    w.tell(new RunWorker.StartRun(spec("r1", epochs, Map.of()), 1, probe.getRef()));
    List<RunEvent> events = eventsUntilTheEnd(probe);
    assertInstanceOf(RunEvent.Started.class, events.get(0));
    List<Integer> sent = events.stream().filter(e -> e instanceof RunEvent.Epoch)
        .map(e -> ((RunEvent.Epoch) e).stat().epoch()).toList();
    assertTrue(sent.size() < 50, "a fast run sends a few progress events, not " + sent.size());
    assertEquals(1, sent.get(0));
    assertTrue(sent.contains(1000), "an evaluated epoch always goes: " + sent);
    assertEquals(epochs, sent.get(sent.size() - 1));
    RunEvent.Succeeded done = (RunEvent.Succeeded) events.get(events.size() - 1);
    assertEquals(epochs, done.result().history().size(), "the full history arrives with the result");
  }

  @Test
  void aSecondRunOnABusySlotIsRefusedAsBusy() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ActorRef<RunWorker.Command> w = kit.spawn(RunWorker.create("t/cpu:1", "cpu:1", (spec, l) -> {
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return result(List.of());
    }));
    TestProbe<RunEvent> probe = kit.createTestProbe();
    w.tell(new RunWorker.StartRun(spec("r1", 1, Map.of()), 1, probe.getRef()));
    probe.expectMessageClass(RunEvent.Started.class);
    w.tell(new RunWorker.StartRun(spec("r2", 1, Map.of()), 1, probe.getRef()));
    RunEvent.Failed busy = probe.expectMessageClass(RunEvent.Failed.class);
    assertEquals("busy", busy.kind());
    assertEquals("r2", busy.runId());
    release.countDown();
    assertInstanceOf(RunEvent.Succeeded.class, probe.receiveMessage(Duration.ofSeconds(10)));
  }

  @Test
  void aRunWhoseFilesCannotBeCheckedFailsBeforeTrainingWithTheReason(@TempDir java.nio.file.Path cache) {
    boolean[] trained = {false};
    ActorRef<RunWorker.Command> w = kit.spawn(RunWorker.create("t/cpu:2", "cpu:2", (spec, l) -> {
      trained[0] = true;
      return result(List.of());
    }, new DataFetcher(cache)));
    TestProbe<RunEvent> probe = kit.createTestProbe();
    // the files are nowhere here and there is no orchestrator to fetch them from
    w.tell(new RunWorker.StartRun(spec("r3", 1, Map.of("text.csv", "a".repeat(64))), 1, probe.getRef(), null));
    List<RunEvent> events = eventsUntilTheEnd(probe);
    RunEvent.Failed f = (RunEvent.Failed) events.get(events.size() - 1);
    assertEquals("data", f.kind());
    assertFalse(f.retryable());
    assertTrue(f.reason().contains("text.csv") && f.reason().contains("is not on this node"), f.reason());
    assertFalse(trained[0]);
  }
}

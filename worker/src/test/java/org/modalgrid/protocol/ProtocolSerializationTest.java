package org.modalgrid.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.modalgrid.latent.ProbeSpec;
import org.modalgrid.model.EpochStat;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;
import org.modalgrid.worker.RunWorker;

/**
 * Every message that crosses nodes survives Pekko's serialization unchanged, through the
 * {@code jackson-cbor} serializer (not Java serialization), with no tensor in it.
 */
class ProtocolSerializationTest {

  static ActorTestKit kit;

  @BeforeAll
  static void start() {
    // Java serialization off, as on a cluster node: a message that needed it would fail here.
    kit = ActorTestKit.create(ConfigFactory.parseString("pekko.actor.allow-java-serialization = off")
        .withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static RunSpec spec() {
    Map<String, Object> dataset = new LinkedHashMap<>();
    dataset.put("source", "multiview-files");
    dataset.put("dir", "/data/iemocap");
    dataset.put("test-fraction", 0.2);
    dataset.put("split-seed", 7);
    dataset.put("big", 12_345_678_901L);
    dataset.put("standardize", true);
    dataset.put("modalities", List.of(Map.of("name", "text", "file", "text.npy"), Map.of("name", "audio", "file", "audio.csv")));
    Cell cell = new Cell(List.of("text", "audio"), 0.25, 3, Map.of("overlap", 0.5, "rank", 2, "mode", "x"));
    return new RunSpec("r0123456789ab", "iemocap-1f0c9a2b", cell, dataset, new ModelSpec("mlp", List.of(64, 32), 128),
        new TrainSpec(100, 2048, 1e-3, 0.9, 0.999, 1e-8, 0.0, 5, true),
        new ProbeSpec(2, 1e-4, 200, 1e-6, 20_000, 20_000, 1e-9), true,
        Map.of("text.npy", "a".repeat(64), "audio.csv", "b".repeat(64)));
  }

  static RunResult result() {
    List<EpochStat> history = List.of(new EpochStat(1, 1.25, null, 10), new EpochStat(2, 0.5, 61.5, 20));
    return new RunResult(Map.of("accuracy", 61.5, "test_error", 38.5, "test_ce", 1.1),
        Map.of("eta_error", 40.0, "eta_ce", Double.NaN), 1320, history, 100, 20, 130);
  }

  /** Round-trips {@code message} and checks it went through jackson-cbor. */
  static void roundTrip(Object message) {
    Object back = kit.serializationTestKit().verifySerialization(message, true);
    assertEquals(message, back);
    Serializer s = SerializationExtension.get(Adapter.toClassic(kit.system())).findSerializerFor(message);
    assertEquals("org.apache.pekko.serialization.jackson.JacksonCborSerializer", s.getClass().getName(),
        message.getClass() + " must be serialized by jackson-cbor");
  }

  @Test
  void runProtocolRecords() {
    RunSpec spec = spec();
    roundTrip(spec);
    roundTrip(spec.cell());
    roundTrip(spec.model());
    roundTrip(spec.train());
    roundTrip(spec.probe());
    roundTrip(result());
    roundTrip(new EpochStat(3, 0.1, 99.0, 1234));
    roundTrip(new RunSpec("r1", "e", spec.cell(), Map.of("source", "synthetic-overlap"), ModelSpec.linear(8),
        spec.train(), spec.probe(), false));
  }

  @Test
  void dataAndAxesComeBackAsPlainJavaValuesThatConfigAccepts() {
    RunSpec back = (RunSpec) kit.serializationTestKit().verifySerialization(spec(), true);
    assertInstanceOf(java.util.List.class, back.dataset().get("modalities"));
    assertInstanceOf(Integer.class, back.dataset().get("split-seed"));
    assertInstanceOf(Long.class, back.dataset().get("big"));
    assertInstanceOf(Double.class, back.cell().axes().get("overlap"));
    // the worker rebuilds the dataset block from the map
    assertEquals("audio.csv", ConfigFactory.parseMap(back.dataset()).getConfigList("modalities").get(1).getString("file"));
  }

  @Test
  void workerCommandsCarryTheReplyReference() {
    TestProbe<RunEvent> probe = kit.createTestProbe();
    RunWorker.StartRun start = new RunWorker.StartRun(spec(), 2, probe.getRef(), "http://10.0.0.5:8080");
    roundTrip(start);
    roundTrip(new RunWorker.StartRun(spec(), 1, probe.getRef()));
    roundTrip(new RunWorker.CancelRun("r0123456789ab"));
    RunWorker.StartRun back = (RunWorker.StartRun) kit.serializationTestKit().verifySerialization(start, true);
    back.replyTo().tell(new RunEvent.Epoch("r0123456789ab", 2, new EpochStat(1, 1, null, 1)));
    assertEquals(2, probe.receiveMessage().attempt());
  }

  @Test
  void everyRunEvent() {
    long now = 1_700_000_000_000L;
    List<RunEvent> events = List.of(
        new RunEvent.Started("r1", 1, "127.0.0.1:2552/cpu:0", "cpu:0", now),
        new RunEvent.Epoch("r1", 1, new EpochStat(1, 0.7, null, 5)),
        new RunEvent.Succeeded("r1", 1, "127.0.0.1:2552/cpu:0", result(), now),
        new RunEvent.Failed("r1", 2, "127.0.0.1:2552/cuda:1", "out of memory: Java heap space", "resources", true, now));
    for (RunEvent e : events) roundTrip(e);
    // the sealed interface's subtypes are all covered
    assertEquals(RunEvent.class.getPermittedSubclasses().length, events.size());
  }

  @Test
  void onlyMarkedMessagesAreBoundToCbor() throws Exception {
    Serialization ser = SerializationExtension.get(Adapter.toClassic(kit.system()));
    for (Class<?> c : RunWorker.Command.class.getPermittedSubclasses()) {
      if (CborSerializable.class.isAssignableFrom(c)) {
        assertTrue(java.lang.reflect.Modifier.isPublic(c.getModifiers()), c + " crosses nodes and must be public");
      }
    }
    assertEquals("org.apache.pekko.serialization.jackson.JacksonCborSerializer",
        ser.serializerFor(RunWorker.CancelRun.class).getClass().getName());
  }
}

package org.modalgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.modalgrid.data.FileHashes;

/**
 * Cluster mode across JVMs on loopback: the orchestrator of {@code serve --cluster} in this JVM,
 * worker nodes as separate processes started with {@code modalgrid worker --join}, everything
 * observed through the HTTP API. Most tests train with {@link SleepingExecution} (they are about
 * orchestration); {@link #realTrainingWithDatasetFilesShippedByHash} trains for real.
 */
@Tag("slow")
class ClusterEndToEndTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final Path ROOT = Path.of("target", "cluster-e2e");
  /** Faster failure detection and downing than production, the same on every node. */
  static final List<String> FAST = List.of(
      "pekko.cluster.split-brain-resolver.stable-after=2s",
      "pekko.cluster.failure-detector.acceptable-heartbeat-pause=3s");

  static final String GRID = """
      experiment { name = %s, seeds = %d, subsets = all, fractions = [0.5, 1.0] }
      dataset {
        source = synthetic-classification
        classes = 3
        train-rows = 60
        test-rows = 30
        modalities = [ { name = a, dim = 4, signal = 2.0 }, { name = b, dim = 3, signal = 1.0 } ]
      }
      train.epochs = %d
      """;

  record Worker(String name, Process process, Path log, String node) {}

  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final List<Worker> workers = new ArrayList<>();
  Path dir;
  int clusterPort;
  ServeCommand.Served served;
  String api;
  final long t0 = System.nanoTime();

  /** Progress with the seconds since the test started (in the test's output file). */
  void note(String what) {
    System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
  }

  @BeforeEach
  void startOrchestrator(TestInfo info) throws IOException {
    dir = ROOT.resolve(info.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime());
    Files.createDirectories(dir);
    clusterPort = freePort();
    Config fast = ConfigFactory.parseString(String.join("\n", FAST));
    served = ServeCommand.start(true, "127.0.0.1", clusterPort, 0, null, 0, dir.resolve("runs"), fast);
    api = served.server().url() + "api/v1/";
    note("orchestrator up: cluster 127.0.0.1:" + clusterPort + ", API " + api);
  }

  @AfterEach
  void stopEverything() throws InterruptedException {
    // the orchestrator first: it leaves a cluster whose members all answer, which is quick
    if (served != null) served.close();
    note("orchestrator stopped");
    for (Worker w : workers) {
      w.process().destroyForcibly();
      w.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
    }
  }

  // ----------------------------------------------------------------------------------------------

  @Test
  void aWorkerKilledWhileTrainingLosesItsRunsToTheOtherAndEveryCellGetsOneResult() throws Exception {
    List<Worker> ab = startTwoWorkers("a", "b");
    Worker a = ab.get(0);
    Worker b = ab.get(1);
    String id = submit(GRID.formatted("kill", 4, 4)); // 3 subsets x 2 fractions x 4 seeds = 24 runs
    // kill a while it trains, with work still queued
    awaitTrue(Duration.ofSeconds(60), "worker a training with runs still queued", () -> {
      JsonNode e = getJson("experiments/" + id);
      return e.get("counts").get("succeeded").asInt() >= 3 && e.get("counts").get("queued").asInt() >= 6
          && busyRun(a.node()) != null;
    });
    a.process().destroyForcibly(); // SIGKILL
    a.process().waitFor();

    JsonNode done = awaitFinished(id, Duration.ofSeconds(120));
    assertEquals("succeeded", done.get("status").asText(), done.toString());
    List<JsonNode> runs = runs(id);
    assertEquals(24, runs.size());
    Set<String> cells = new HashSet<>();
    int lost = 0;
    for (JsonNode r : runs) {
      cells.add(r.get("cell").toString());
      assertEquals("succeeded", r.get("status").asText(), r.toString());
      List<JsonNode> attempts = list(r.get("attempts"));
      assertEquals(1, attempts.stream().filter(x -> x.get("status").asText().equals("succeeded")).count(),
          "exactly one result: " + r);
      for (JsonNode at : attempts) {
        if (at.get("status").asText().equals("lost")) {
          lost++;
          assertEquals("worker-lost", at.get("kind").asText());
          assertTrue(at.get("error").asText().startsWith("worker lost"), at.toString());
          assertTrue(at.get("worker").asText().startsWith(a.node() + "/"), at.toString());
          JsonNode last = attempts.get(attempts.size() - 1);
          assertTrue(last.get("worker").asText().startsWith(b.node() + "/"), "run again on b: " + r);
        }
      }
    }
    assertEquals(24, cells.size(), "one run per cell");
    assertTrue(lost >= 1, "the run a was training shows a 'worker lost' attempt");
    assertEquals(List.of(b.node()), nodes(), "a was downed and removed");
  }

  @Test
  void aWorkerThatJoinsMidRunTakesWork() throws Exception {
    Worker a = startWorker("a", "cpu:1", true);
    String id = submit(GRID.formatted("join", 4, 10)); // 24 runs of ~1.5 s: ~36 s on one worker
    Worker launched = launch("b", "cpu:1", true, Path.of("").toAbsolutePath());
    awaitTrue(Duration.ofSeconds(60), "a few runs done on a",
        () -> getJson("experiments/" + id).get("counts").get("succeeded").asInt() >= 2);
    Worker b = awaitJoined(launched);
    assertEquals(Set.of(a.node(), b.node()), new HashSet<>(nodes()));
    JsonNode midRun = getJson("experiments/" + id);
    assertTrue(midRun.get("counts").get("queued").asInt() > 0, "b joined while runs were still queued: " + midRun);
    JsonNode done = awaitFinished(id, Duration.ofSeconds(120));
    assertEquals("succeeded", done.get("status").asText(), done.toString());
    long onB = runs(id).stream().filter(r -> r.get("worker").asText().startsWith(b.node() + "/")).count();
    assertTrue(onB >= 1, "the new worker trained some runs");
  }

  @Test
  void twoSlotsOnOneNodeTrainTwoRunsAtOnceAndNoMore() throws Exception {
    Worker w = startWorker("w", "cpu:2", true);
    JsonNode slots = getJson("workers").get("nodes").get(0).get("slots");
    assertEquals(2, slots.size());
    assertEquals("cpu:0", slots.get(0).get("device").asText());
    assertEquals("cpu:1", slots.get(1).get("device").asText());
    String id = submit(GRID.formatted("slots", 2, 4)); // 12 runs
    int maxBusy = 0;
    long deadline = System.currentTimeMillis() + 120_000;
    while (!getJson("experiments/" + id).get("status").asText().startsWith("succeeded")) {
      assertTrue(System.currentTimeMillis() < deadline, "experiment did not finish\n" + tail(w));
      maxBusy = Math.max(maxBusy, getJson("workers").get("slots_busy").asInt());
      Thread.sleep(50);
    }
    assertEquals(2, maxBusy, "the worker panel showed both slots busy, never more");
    int peak = 0;
    for (JsonNode r : runs(id)) {
      int p = r.get("metrics").get("concurrent_peak").asInt();
      assertTrue(p <= 2, "at most two runs trained at once in the worker JVM: " + r);
      peak = Math.max(peak, p);
    }
    assertEquals(2, peak, "two runs trained at once");
    note("12 runs, at most " + maxBusy + " busy slots, peak " + peak + " concurrent runs");
  }

  @Test
  void aPausedWorkerIsDeclaredLostAndItsLateResultIsIgnored() throws Exception {
    List<Worker> cd = startTwoWorkers("c", "d");
    Worker c = cd.get(0);
    Worker d = cd.get(1);
    String id = submit(GRID.formatted("pause", 2, 10)); // 12 runs of ~1.5 s
    awaitTrue(Duration.ofSeconds(60), "c training", () -> busyRun(c.node()) != null);
    signal(c, "STOP");
    note("worker c paused");
    String[] paused = new String[1];
    try {
      awaitTrue(Duration.ofSeconds(60), "c's run declared lost and run again", () -> {
        for (JsonNode r : runs(id)) {
          List<JsonNode> attempts = list(r.get("attempts"));
          if (attempts.size() >= 2 && attempts.get(0).get("status").asText().equals("lost")) {
            paused[0] = r.get("id").asText();
            return true;
          }
        }
        return false;
      });
    } finally {
      signal(c, "CONT"); // its training finishes now, too late: c was downed
      note("worker c resumed");
    }
    JsonNode done = awaitFinished(id, Duration.ofSeconds(120));
    assertEquals("succeeded", done.get("status").asText(), done.toString());
    for (JsonNode r : runs(id)) {
      List<JsonNode> attempts = list(r.get("attempts"));
      assertEquals(1, attempts.stream().filter(x -> x.get("status").asText().equals("succeeded")).count(), r.toString());
    }
    JsonNode run = getJson("runs/" + paused[0]);
    List<JsonNode> attempts = list(run.get("attempts"));
    assertEquals("lost", attempts.get(0).get("status").asText(), run.toString());
    assertTrue(attempts.get(0).get("worker").asText().startsWith(c.node() + "/"), run.toString());
    assertEquals("succeeded", attempts.get(attempts.size() - 1).get("status").asText(), run.toString());
    assertTrue(attempts.get(attempts.size() - 1).get("worker").asText().startsWith(d.node() + "/"), run.toString());
    // the downed worker shuts down and joins again as a new node
    awaitTrue(Duration.ofSeconds(60), "c joins again", () -> countOf(Files.readString(c.log()), "joined the cluster") >= 2);
  }

  @Test
  void realTrainingWithDatasetFilesShippedByHash() throws Exception {
    Path cwd = Files.createDirectories(dir.resolve("worker-cwd"));
    Worker w = startWorker("real", "cpu:1", false, cwd);

    // the smoke config, trained for real
    String smoke = Files.readString(Path.of("..", "configs", "smoke.conf"));
    String id = submit(smoke);
    JsonNode done = awaitFinished(id, Duration.ofSeconds(180));
    assertEquals("succeeded", done.get("status").asText(), done + "\n" + tail(w));
    for (JsonNode r : runs(id)) {
      double acc = r.get("metrics").get("accuracy").asDouble();
      assertTrue(acc > 33 && acc <= 100, "a trained model beats chance on 3 classes: " + r);
      assertTrue(r.get("eta").has("eta_error"), r.toString());
      assertTrue(r.get("worker").asText().startsWith(w.node() + "/"), r.toString());
    }
    assertEquals(15, getJson("runs/" + runs(id).get(0).get("id").asText()).get("history").size());

    // files the worker cannot see (relative to the orchestrator's working directory) are fetched by hash
    Path data = writeViews(dir.resolve("data"), 0);
    String files = """
        experiment { name = %s, seeds = 1, subsets = all, fractions = [1.0] }
        dataset { source = multiview-files, dir = "%s", modalities { text = text.csv, audio = audio.csv }, labels = labels.csv }
        model.latent-dim = 8
        train { epochs = 5, batch-size = 32 }
        probe.max-iterations = 50
        """;
    String shipped = submit(files.formatted("shipped", data.toString().replace('\\', '/')));
    done = awaitFinished(shipped, Duration.ofSeconds(120));
    assertEquals("succeeded", done.get("status").asText(), done + "\n" + tail(w));
    assertFalse(Files.exists(cwd.resolve(data)), "the worker's working directory has no copy of the data");
    for (String f : List.of("text.csv", "audio.csv", "labels.csv")) {
      assertTrue(Files.isRegularFile(dir.resolve("cache-real/blobs").resolve(FileHashes.sha256(data.resolve(f)))), f);
    }

    // a file that changes after submission is refused by its hash: drain, corrupt, resume
    Path data2 = writeViews(dir.resolve("data2"), 1);
    assertEquals(202, post("workers/" + w.node() + "/drain").statusCode());
    assertEquals("drained", getJson("workers").get("nodes").get(0).get("state").asText());
    String corrupted = submit(files.formatted("corrupted", data2.toString().replace('\\', '/')));
    String text = Files.readString(data2.resolve("text.csv"));
    Files.writeString(data2.resolve("text.csv"), text.replaceFirst("\n(-?)\\d", "\n$19"));
    assertEquals(202, post("workers/" + w.node() + "/resume").statusCode());
    done = awaitFinished(corrupted, Duration.ofSeconds(120));
    assertEquals(3, done.get("counts").get("failed").asInt(), done.toString());
    for (JsonNode r : runs(corrupted)) {
      List<JsonNode> attempts = list(r.get("attempts"));
      assertEquals(1, attempts.size(), "bad data is not retried: " + r);
      assertEquals("data", attempts.get(0).get("kind").asText(), r.toString());
      String err = attempts.get(0).get("error").asText();
      assertTrue(err.contains("dataset file 'text.csv'") && err.contains("refusing to train on it"), err);
    }
    assertFalse(getJson("workers").get("nodes").get(0).get("quarantined").asBoolean(),
        "a changed file is not the worker's fault");
  }

  // ----------------------------------------------------------------------------------------------

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  Worker startWorker(String name, String devices, boolean fake) throws Exception {
    return awaitJoined(launch(name, devices, fake, Path.of("").toAbsolutePath()));
  }

  Worker startWorker(String name, String devices, boolean fake, Path cwd) throws Exception {
    return awaitJoined(launch(name, devices, fake, cwd));
  }

  /** Starts two fake-training workers with one slot each, in parallel, and waits until both are listed. */
  List<Worker> startTwoWorkers(String first, String second) throws Exception {
    Worker a = launch(first, "cpu:1", true, Path.of("").toAbsolutePath());
    Worker b = launch(second, "cpu:1", true, Path.of("").toAbsolutePath());
    return List.of(awaitJoined(a), awaitJoined(b));
  }

  /** Starts {@code modalgrid worker --join} in a JVM of its own. */
  Worker launch(String name, String devices, boolean fake, Path cwd) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx768m", "-Dorg.bytedeco.javacpp.maxbytes=2G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=4G"));
    FAST.forEach(p -> cmd.add("-D" + p));
    if (fake) {
      // orchestration only: start fast (C1 only, one GC thread) and train nothing
      cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dmodalgrid.worker.execution-class=" + SleepingExecution.class.getName()));
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker",
        "--join", "127.0.0.1:" + clusterPort, "--devices", devices, "--host", "127.0.0.1", "--port", "0",
        "--cache", dir.resolve("cache-" + name).toAbsolutePath().toString()));
    Path log = dir.resolve("worker-" + name + ".log").toAbsolutePath();
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    Worker w = new Worker(name, p, log, null);
    workers.add(w);
    return w;
  }

  /** Waits until a launched worker has joined the cluster and its slots are listed by the API. */
  Worker awaitJoined(Worker w) throws Exception {
    Pattern joining = Pattern.compile("modalgrid worker (127\\.0\\.0\\.1:\\d+): joining");
    String[] node = new String[1];
    awaitTrue(Duration.ofSeconds(90), "worker " + w.name() + " joined", () -> {
      assertTrue(w.process().isAlive(), "worker " + w.name() + " exited:\n" + tail(w));
      String text = Files.exists(w.log()) ? Files.readString(w.log()) : "";
      Matcher m = joining.matcher(text);
      if (m.find()) node[0] = m.group(1);
      return node[0] != null && text.contains("joined the cluster");
    });
    note("worker " + w.name() + " joined as " + node[0]);
    Worker joined = new Worker(w.name(), w.process(), w.log(), node[0]);
    workers.set(workers.indexOf(w), joined);
    awaitTrue(Duration.ofSeconds(30), "slots of " + node[0] + " listed", () -> nodes().contains(node[0]));
    note("worker " + w.name() + " listed");
    return joined;
  }

  static void signal(Worker w, String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(w.process().pid())).inheritIO().start();
    assertEquals(0, kill.waitFor());
  }

  static String tail(Worker w) {
    try {
      List<String> lines = Files.readAllLines(w.log());
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  static int countOf(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) n++;
    return n;
  }

  /** Three views of 90 rows (text 5-d, audio 3-d, labels in 3 classes), generated from {@code seed}. */
  static Path writeViews(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    java.util.Random rnd = new java.util.Random(seed);
    StringBuilder text = new StringBuilder();
    StringBuilder audio = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = 0; i < 90; i++) {
      int y = i % 3;
      labels.append(y).append('\n');
      for (int j = 0; j < 5; j++) text.append(j == 0 ? "" : ",").append(String.format("%.4f", y * (j % 2 == 0 ? 1.0 : -0.5) + rnd.nextGaussian()));
      for (int j = 0; j < 3; j++) audio.append(j == 0 ? "" : ",").append(String.format("%.4f", 0.5 * y + rnd.nextGaussian()));
      text.append('\n');
      audio.append('\n');
    }
    Files.writeString(dir.resolve("text.csv"), text);
    Files.writeString(dir.resolve("audio.csv"), audio);
    Files.writeString(dir.resolve("labels.csv"), labels);
    return dir;
  }

  // ---- API calls

  JsonNode getJson(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path + ": " + r.body());
    return JSON.readTree(r.body());
  }

  HttpResponse<String> post(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  String submit(String config) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + "experiments")).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(config, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    String id = JSON.readTree(r.body()).get("id").asText();
    note("submitted " + id);
    return id;
  }

  List<JsonNode> runs(String experimentId) throws Exception {
    return list(getJson("experiments/" + experimentId + "/runs").get("runs"));
  }

  List<String> nodes() throws Exception {
    List<String> out = new ArrayList<>();
    getJson("workers").get("nodes").forEach(n -> out.add(n.get("node").asText()));
    return out;
  }

  /** The run a node's first slot is training, or null. */
  String busyRun(String node) throws Exception {
    for (JsonNode n : getJson("workers").get("nodes")) {
      if (!n.get("node").asText().equals(node)) continue;
      for (JsonNode s : n.get("slots")) if (s.get("busy").asBoolean()) return s.get("run").asText();
    }
    return null;
  }

  JsonNode awaitFinished(String id, Duration limit) throws Exception {
    JsonNode[] last = new JsonNode[1];
    awaitTrue(limit, "experiment " + id + " finished", () -> {
      last[0] = getJson("experiments/" + id);
      return last[0].get("status").asText().equals("succeeded") || last[0].get("status").asText().equals("finished-with-failures");
    });
    note("experiment " + id + " " + last[0].get("status").asText());
    return last[0];
  }

  static List<JsonNode> list(JsonNode array) {
    List<JsonNode> out = new ArrayList<>();
    array.forEach(out::add);
    return out;
  }

  interface Check {
    boolean holds() throws Exception;
  }

  void awaitTrue(Duration limit, String what, Check check) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      if (check.holds()) return;
      if (System.nanoTime() > deadline) {
        StringBuilder logs = new StringBuilder();
        for (Worker w : workers) logs.append("\n--- worker ").append(w.name()).append(":\n").append(tail(w));
        throw new AssertionError("timed out after " + limit.toSeconds() + " s waiting for: " + what + logs);
      }
      Thread.sleep(100);
    }
  }

}

package org.modalgrid.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.model.EpochStat;
import org.modalgrid.model.TrainingCancelledException;
import org.modalgrid.model.TrainingListener;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.run.RunExecution;

/** Every endpoint of the HTTP API against a real server on loopback, with a stand-in for training. */
public class ApiServerTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String TOKEN = "s3cret";

  public static final String EXPERIMENT = """
      experiment { name = api, seeds = 2, subsets = all, fractions = [0.5, 1.0] }
      dataset {
        source = synthetic-classification
        classes = 3
        train-rows = 60
        test-rows = 30
        modalities = [ { name = a, dim = 4, signal = 2.0 }, { name = b, dim = 3, signal = 1.0 } ]
      }
      train.epochs = 4
      """;

  Orchestrator orch;
  HttpServer server;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Training stand-in: a few epochs with a short pause each, numbers from the cell. */
  public static RunResult fake(RunSpec spec, TrainingListener l, long pauseMillis) {
    List<EpochStat> history = new java.util.ArrayList<>();
    for (int e = 1; e <= spec.train().epochs(); e++) {
      if (l.stopRequested()) throw new TrainingCancelledException("cancelled at epoch " + e);
      try {
        Thread.sleep(pauseMillis);
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
      }
      EpochStat s = new EpochStat(e, 1.0 / e, e == spec.train().epochs() ? 90.0 : null, e * pauseMillis);
      history.add(s);
      l.onEpoch(s);
    }
    double acc = 50 + 20 * spec.cell().subset().size() + spec.cell().seed() + 10 * spec.cell().fraction();
    return new RunResult(Map.of("accuracy", acc, "test_error", 100 - acc, "test_ce", 2.0 / acc),
        Map.of("eta_error", 100 - acc - 2, "eta_ce", 1.5 / acc), 10, history, 1, 1, 2);
  }

  void start(String token, Path runsDir, RunExecution execution) {
    DatasetCache cache = new DatasetCache(4);
    orch = Orchestrator.start("api-test", ConfigFactory.load(),
        new Orchestrator.Settings(List.of("cpu:0", "cpu:1"), runsDir, 2), cache, execution);
    server = HttpServer.start(orch, "127.0.0.1", 0, token);
  }

  @AfterEach
  void stop() {
    if (server != null) server.stop();
    if (orch != null) orch.close();
  }

  record Resp(int status, JsonNode json, String text, HttpResponse<String> raw) {}

  Resp call(String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode j = null;
    if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) j = JSON.readTree(r.body());
    return new Resp(r.statusCode(), j, r.body(), r);
  }

  Resp get(String path) throws Exception {
    return call("GET", path, null, null);
  }

  String submit(String token) throws Exception {
    Resp r = call("POST", "/api/v1/experiments", EXPERIMENT, token);
    assertEquals(201, r.status(), r.text());
    assertEquals(12, r.json().get("runs").asInt());
    return r.json().get("id").asText();
  }

  JsonNode awaitStatus(String id, String... states) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      JsonNode s = get("/api/v1/experiments/" + id).json();
      if (List.of(states).contains(s.get("status").asText())) return s;
      Thread.sleep(50);
    }
    throw new AssertionError("experiment " + id + " never reached " + List.of(states));
  }

  static void assertError(Resp r, int status, String fragment) {
    assertEquals(status, r.status(), r.text());
    assertTrue(r.json() != null && r.json().has("error"), "JSON error body: " + r.text());
    assertTrue(r.text().contains(fragment), "'" + fragment + "' in " + r.text());
  }

  @Test
  void fullLifecycleOverTheApi(@TempDir Path runs) throws Exception {
    start(null, runs, (s, l) -> fake(s, l, 2));
    Resp health = get("/api/v1/health");
    assertEquals(200, health.status());
    assertEquals("ok", health.json().get("status").asText());

    JsonNode workers = get("/api/v1/workers").json();
    assertEquals(2, workers.get("slots_total").asInt());
    assertEquals("cpu:0", workers.get("nodes").get(0).get("slots").get(0).get("device").asText());

    String id = submit(null);
    Resp again = call("POST", "/api/v1/experiments", EXPERIMENT, null);
    assertEquals(200, again.status(), "the same experiment twice is idempotent");
    assertFalse(again.json().get("created").asBoolean());
    assertEquals(id, again.json().get("id").asText());

    JsonNode done = awaitStatus(id, "succeeded");
    assertEquals(12, done.get("counts").get("succeeded").asInt());
    assertEquals(List.of("a", "b", "a+b"), JSON.convertValue(done.get("subsets"), List.class));
    assertEquals("accuracy", done.get("metric").asText());
    assertTrue(done.get("results_dir").asText().startsWith(runs.toString()));

    JsonNode list = get("/api/v1/experiments").json();
    assertEquals(id, list.get("experiments").get(0).get("id").asText());

    JsonNode all = get("/api/v1/experiments/" + id + "/runs").json();
    assertEquals(12, all.get("runs").size());
    assertFalse(all.get("runs").get(0).has("history"), "lists leave the history out");
    assertEquals(0, get("/api/v1/experiments/" + id + "/runs?state=failed").json().get("runs").size());
    String runId = all.get("runs").get(0).get("id").asText();
    JsonNode run = get("/api/v1/runs/" + runId).json();
    assertEquals(4, run.get("history").size());
    assertEquals("succeeded", run.get("status").asText());
    assertEquals(1, run.get("attempts").size());
    assertTrue(run.get("metrics").has("accuracy") && run.get("eta").has("eta_error"));

    Resp md = get("/api/v1/experiments/" + id + "/tables/accuracy?format=md");
    assertEquals(200, md.status());
    assertTrue(md.raw().headers().firstValue("Content-Type").orElse("").startsWith("text/markdown"));
    assertTrue(md.text().contains("| a+b |"), md.text());
    Resp csv = get("/api/v1/experiments/" + id + "/tables/fractions?format=csv");
    assertTrue(csv.text().startsWith("subset,fraction,n,accuracy_mean"), csv.text());
    JsonNode gamma = get("/api/v1/experiments/" + id + "/tables/gamma").json();
    assertEquals("gamma", gamma.get("name").asText());
    assertEquals(4, gamma.get("rows").size());
    assertEquals(200, get("/api/v1/experiments/" + id + "/tables/eta?format=json").status());

    // retry a finished run: accepted, and it runs again
    Resp retry = call("POST", "/api/v1/runs/" + runId + "/retry", null, null);
    assertEquals(202, retry.status(), retry.text());
    awaitStatus(id, "succeeded");
    assertEquals(2, get("/api/v1/runs/" + runId).json().get("attempts").size());
    Resp rf = call("POST", "/api/v1/experiments/" + id + "/retry-failed", null, null);
    assertEquals(202, rf.status());
    assertEquals(0, rf.json().get("runs").size());

    // the UI and its vendored chart library come from the classpath
    Resp index = get("/");
    assertEquals(200, index.status());
    assertTrue(index.text().toLowerCase().contains("<html"), index.text());
  }

  @Test
  void extendQueuesOnlyTheNewRuns(@TempDir Path runs) throws Exception {
    java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> executions =
        new java.util.concurrent.ConcurrentHashMap<>();
    start(TOKEN, runs, (s, l) -> {
      executions.computeIfAbsent(s.runId(), k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
      return fake(s, l, 1);
    });
    String id = submit(TOKEN);
    awaitStatus(id, "succeeded");
    String grown = EXPERIMENT.replace("seeds = 2", "seeds = 3");
    assertError(call("POST", "/api/v1/experiments/" + id + "/extend", grown, null), 401, "token");
    assertError(call("POST", "/api/v1/experiments/nope-12345678/extend", grown, TOKEN), 404, "nope-12345678");
    assertError(call("POST", "/api/v1/experiments/" + id + "/extend", "experiment.sedes = 3", TOKEN), 400,
        "experiment.sedes");
    Resp r = call("POST", "/api/v1/experiments/" + id + "/extend", grown, TOKEN);
    assertEquals(201, r.status(), r.text());
    assertEquals(18, r.json().get("runs").asInt());
    assertEquals(6, r.json().get("new_runs").asInt());
    assertEquals(12, r.json().get("reused").asInt());
    assertEquals(id, r.json().get("extends").asText());
    String newId = r.json().get("id").asText();
    JsonNode done = awaitStatus(newId, "succeeded");
    assertEquals(18, done.get("counts").get("succeeded").asInt());
    assertEquals(18, executions.size(), "only the 6 new runs ran");
    assertTrue(executions.values().stream().allMatch(n -> n.get() == 1));
    assertEquals(200, call("POST", "/api/v1/experiments/" + id + "/extend", grown, TOKEN).status(),
        "the same extension twice is idempotent");
  }

  @Test
  void everyClientErrorIsAJson4xx(@TempDir Path runs) throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(null, runs, (s, l) -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return fake(s, l, 0);
    });
    assertError(call("POST", "/api/v1/experiments", "experiment { name = x", null), 400, "invalid experiment config");
    assertError(call("POST", "/api/v1/experiments", "{\"train\": {\"epoch\": 3}}", null), 400, "train.epoch");
    assertError(call("POST", "/api/v1/experiments", "train.epochs = lots", null), 400, "epochs");
    assertError(call("POST", "/api/v1/experiments", "unknown.block = 1", null), 400, "unknown key");
    assertError(call("POST", "/api/v1/experiments",
        "dataset { source = mfeat, path = /nonexistent/mfeat }", null), 400, "mfeat");
    String big = "# " + "x".repeat((int) ApiRoutes.MAX_BODY_BYTES + 10) + "\n";
    assertError(call("POST", "/api/v1/experiments", big, null), 413, "too large");

    assertError(get("/api/v1/experiments/nope"), 404, "nope");
    assertError(get("/api/v1/experiments/nope/runs"), 404, "nope");
    assertError(get("/api/v1/runs/rnope"), 404, "rnope");
    assertError(call("POST", "/api/v1/runs/rnope/retry", null, null), 404, "rnope");
    assertError(call("POST", "/api/v1/runs/rnope/cancel", null, null), 404, "rnope");
    assertError(call("POST", "/api/v1/experiments/nope/retry-failed", null, null), 404, "nope");
    assertError(call("POST", "/api/v1/experiments/nope/cancel", null, null), 404, "nope");
    assertError(get("/api/v1/experiments/nope/tables/accuracy"), 404, "nope");
    assertError(get("/api/v1/no-such-endpoint"), 404, "error");
    assertError(call("DELETE", "/api/v1/health", null, null), 405, "error");

    String id = submit(null);
    assertError(get("/api/v1/experiments/" + id + "/tables/nosuch"), 404, "nosuch");
    assertError(get("/api/v1/experiments/" + id + "/tables/accuracy?format=xls"), 400, "format");
    assertError(get("/api/v1/experiments/" + id + "/runs?state=sleeping"), 400, "state");
    JsonNode runs1 = get("/api/v1/experiments/" + id + "/runs").json().get("runs");
    String running = null;
    long deadline = System.currentTimeMillis() + 10_000;
    while (running == null && System.currentTimeMillis() < deadline) {
      for (JsonNode r : get("/api/v1/experiments/" + id + "/runs?state=running").json().get("runs")) running = r.get("id").asText();
      Thread.sleep(20);
    }
    assertTrue(running != null, "a run is running");
    String queued = get("/api/v1/experiments/" + id + "/runs?state=queued").json().get("runs").get(0).get("id").asText();
    assertError(call("POST", "/api/v1/runs/" + running + "/retry", null, null), 409, "running");
    assertError(call("POST", "/api/v1/runs/" + queued + "/retry", null, null), 409, "queued");
    assertEquals(202, call("POST", "/api/v1/runs/" + queued + "/cancel", null, null).status());
    assertError(call("POST", "/api/v1/runs/" + queued + "/cancel", null, null), 409, "finished");
    Resp cancelAll = call("POST", "/api/v1/experiments/" + id + "/cancel", null, null);
    assertEquals(202, cancelAll.status());
    release.countDown();
    JsonNode end = awaitStatus(id, "finished-with-failures");
    assertEquals(12, end.get("total").asInt());
    assertEquals(12, end.get("counts").get("cancelled").asInt() + end.get("counts").get("succeeded").asInt());
    assertTrue(end.get("counts").get("cancelled").asInt() >= 10);
    assertEquals(12, runs1.size());
  }

  @Test
  void mutatingCallsNeedTheTokenWhenOneIsSet(@TempDir Path runs) throws Exception {
    start(TOKEN, runs, (s, l) -> fake(s, l, 0));
    assertEquals(200, get("/api/v1/health").status(), "reads stay open");
    assertError(call("POST", "/api/v1/experiments", EXPERIMENT, null), 401, "token");
    assertError(call("POST", "/api/v1/experiments", EXPERIMENT, "wrong"), 401, "invalid token");
    Resp no = call("POST", "/api/v1/experiments", EXPERIMENT, null);
    assertTrue(no.raw().headers().firstValue("WWW-Authenticate").isPresent());
    String id = submit(TOKEN);
    awaitStatus(id, "succeeded");
    String runId = get("/api/v1/experiments/" + id + "/runs").json().get("runs").get(0).get("id").asText();
    assertError(call("POST", "/api/v1/runs/" + runId + "/retry", null, null), 401, "token");
    assertError(call("POST", "/api/v1/runs/" + runId + "/cancel", null, "nope"), 401, "token");
    assertError(call("POST", "/api/v1/experiments/" + id + "/retry-failed", null, null), 401, "token");
    assertError(call("POST", "/api/v1/experiments/" + id + "/cancel", null, null), 401, "token");
    assertEquals(202, call("POST", "/api/v1/runs/" + runId + "/retry", null, TOKEN).status());
  }

  @Test
  void bindingBeyondLoopbackWithoutATokenIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HttpServer.checkExposure("0.0.0.0", null));
    assertTrue(e.getMessage().contains("--token"), e.getMessage());
    HttpServer.checkExposure("0.0.0.0", "t");
    HttpServer.checkExposure("127.0.0.1", null);
    HttpServer.checkExposure("localhost", "");
  }

  /** A client that connects mid-run gets the current state first, then every change, and ends right. */
  @Test
  void eventStreamJoinedMidRunEndsWithTheFinalState(@TempDir Path runs) throws Exception {
    start(null, runs, (s, l) -> fake(s, l, 15));
    String id = submit(null);
    // wait until some runs have finished, then join
    long deadline = System.currentTimeMillis() + 20_000;
    while (get("/api/v1/experiments/" + id).json().get("counts").get("succeeded").asInt() < 2) {
      assertTrue(System.currentTimeMillis() < deadline, "runs progress");
      Thread.sleep(10);
    }
    HttpRequest req = HttpRequest.newBuilder(URI.create(server.url() + "api/v1/events?experiment=" + id))
        .header("Accept", "text/event-stream").build();
    HttpResponse<java.io.InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, resp.statusCode());
    assertTrue(resp.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    Map<String, String> state = new HashMap<>();
    int epochs = 0;
    boolean snapshotFirst = false;
    boolean completed = false;
    String firstEvent = null;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
      String event = null;
      String data = null;
      String line;
      while (!completed && (line = in.readLine()) != null) {
        if (line.startsWith("event:")) {
          event = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data = line.substring(5);
        } else if (line.isEmpty() && event != null && data != null) {
          if (firstEvent == null) firstEvent = event;
          JsonNode d = JSON.readTree(data);
          switch (event) {
            case "snapshot" -> {
              snapshotFirst = firstEvent.equals("snapshot");
              for (JsonNode r : d.get("runs")) state.put(r.get("id").asText(), r.get("status").asText());
              int finished = (int) state.values().stream().filter("succeeded"::equals).count();
              assertTrue(finished >= 2 && finished < 12, "joined mid-run: " + finished + " finished");
            }
            case "run" -> state.put(d.get("id").asText(), d.get("status").asText());
            case "epoch" -> epochs++;
            case "completed" -> completed = true;
            default -> { }
          }
          event = null;
          data = null;
        }
      }
    }
    assertTrue(snapshotFirst, "the snapshot comes first");
    assertTrue(completed, "the stream announced completion");
    assertTrue(epochs > 0, "epoch progress streamed");
    assertEquals(12, state.size());
    assertTrue(state.values().stream().allMatch("succeeded"::equals), state.toString());
  }

  @Test
  void workerNodesCanBeDrainedAndResumed(@TempDir Path runs) throws Exception {
    start(TOKEN, runs, (s, l) -> fake(s, l, 2));
    JsonNode node = get("/api/v1/workers").json().get("nodes").get(0);
    String id = node.get("node").asText();
    assertEquals("active", node.get("state").asText());
    assertFalse(node.get("draining").asBoolean());
    assertFalse(node.get("quarantined").asBoolean());
    assertTrue(node.get("reachable").asBoolean());

    assertError(call("POST", "/api/v1/workers/" + id + "/drain", null, null), 401, "needs a token");
    assertError(call("POST", "/api/v1/workers/10.0.0.9:2552/drain", null, TOKEN), 404, "no worker node '10.0.0.9:2552'");
    Resp drained = call("POST", "/api/v1/workers/" + id + "/drain", null, TOKEN);
    assertEquals(202, drained.status(), drained.text());
    node = get("/api/v1/workers").json().get("nodes").get(0);
    assertTrue(node.get("draining").asBoolean());
    assertEquals("drained", node.get("state").asText(), "draining with nothing left to run");

    // a drained node takes no runs: a submitted experiment waits
    String exp = submit(TOKEN);
    Thread.sleep(300);
    assertEquals("queued", get("/api/v1/experiments/" + exp).json().get("status").asText());
    assertEquals(202, call("POST", "/api/v1/workers/" + id + "/resume", null, TOKEN).status());
    awaitStatus(exp, "succeeded");
  }

  @Test
  void datasetFilesOfSubmittedExperimentsAreServedByHashAndNothingElse(@TempDir Path runs, @TempDir Path data)
      throws Exception {
    StringBuilder text = new StringBuilder();
    StringBuilder labels = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      text.append(i % 3).append(',').append(i % 5).append(',').append(i * 0.5).append('\n');
      labels.append(i % 2).append('\n');
    }
    java.nio.file.Files.writeString(data.resolve("text.csv"), text);
    java.nio.file.Files.writeString(data.resolve("labels.csv"), labels);
    java.nio.file.Files.writeString(data.resolve("secret.csv"), "not part of any experiment\n");
    start(null, runs, (s, l) -> fake(s, l, 1));
    String sha = org.modalgrid.data.FileHashes.sha256(data.resolve("text.csv"));
    assertError(get("/api/v1/data/" + sha), 404, "only files of submitted experiments are served");
    assertError(get("/api/v1/data/not-a-hash"), 400, "expected 64 lower-case hex digits");

    String experiment = """
        experiment { name = files, seeds = 1, subsets = all, fractions = [1.0] }
        dataset { source = multiview-files, dir = "%s", modalities { text = text.csv }, labels = labels.csv }
        train.epochs = 2
        """.formatted(data.toString().replace("\\", "/"));
    Resp r = call("POST", "/api/v1/experiments", experiment, null);
    assertEquals(201, r.status(), r.text());
    Resp file = get("/api/v1/data/" + sha);
    assertEquals(200, file.status());
    assertEquals(text.toString(), file.text());
    assertEquals("application/octet-stream", file.raw().headers().firstValue("Content-Type").orElse(""));
    assertEquals(200, get("/api/v1/data/" + org.modalgrid.data.FileHashes.sha256(data.resolve("labels.csv"))).status());
    assertEquals(404, get("/api/v1/data/" + org.modalgrid.data.FileHashes.sha256(data.resolve("secret.csv"))).status());
    // the runs carry the hashes the worker checks
    JsonNode run = get("/api/v1/experiments/" + r.json().get("id").asText() + "/runs").json().get("runs").get(0);
    assertEquals(200, get("/api/v1/runs/" + run.get("id").asText()).status());
    awaitStatus(r.json().get("id").asText(), "succeeded");
  }
}

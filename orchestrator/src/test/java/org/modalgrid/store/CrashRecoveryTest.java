package org.modalgrid.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.TableFormats;
import org.modalgrid.cli.LocalRun;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.orchestrator.Attempt;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;

/**
 * The crash test: {@code serve} in its own JVM, a real grid submitted over the API, the JVM killed
 * with SIGKILL once some runs finished and others train, {@code serve} started again on the same
 * store. The grid completes; no finished run ran again (its attempts are exactly those it had);
 * runs that were training show a lost attempt, then a successful one; and the tables equal those
 * of an uninterrupted run of the same config in this JVM.
 *
 * <p>Tolerance: 1e-9 relative. Both sides train with the same ND4J backend, the same seeds and
 * the same thread count (two slots of one thread each), so each run's numbers are the same
 * floating-point computation and come out bit for bit equal; the tolerance only absorbs the
 * decimal round trip of the JSON tables.
 */
@Tag("slow")
class CrashRecoveryTest {

  static final String GRID = """
      experiment { name = crash, seeds = 4, subsets = all, fractions = [0.5, 1.0] }
      dataset {
        source = synthetic-classification
        classes = 3
        train-rows = 400
        test-rows = 200
        modalities = [ { name = a, dim = 8, signal = 2.0 }, { name = b, dim = 6, signal = 0.9 } ]
      }
      model.latent-dim = 16
      train { epochs = 30, batch-size = 32, eval-every = 10 }
      probe.max-iterations = 100
      """;

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  final List<Process> processes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static List<String> kinds() {
    return TestStores.kinds();
  }

  @AfterEach
  void killAll() throws InterruptedException {
    for (Process p : processes) {
      p.destroyForcibly();
      p.waitFor(20, TimeUnit.SECONDS);
    }
  }

  record Server(Process process, String url, List<String> output) {}

  Server serve(String store) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx1g", "-Dorg.bytedeco.javacpp.maxbytes=2G",
        "-Dorg.bytedeco.javacpp.maxphysicalbytes=4G", "-cp", System.getProperty("java.class.path"),
        "org.modalgrid.cli.Main", "serve", "--port", "0", "--workers", "2", "--store", store,
        "--runs-dir", tmp.resolve("runs").toString());
    pb.redirectErrorStream(true);
    pb.environment().remove("MODALGRID_STORE");
    pb.environment().remove("MODALGRID_TOKEN");
    Process p = pb.start();
    processes.add(p);
    List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<String> url = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.add(line);
          int at = line.indexOf("modalgrid serving on ");
          if (at >= 0) url.complete(line.substring(at + "modalgrid serving on ".length()).split(" ")[0]);
        }
      } catch (Exception ignored) {
        // the process is gone
      }
      url.completeExceptionally(new AssertionError("serve ended before it served: " + output));
    }, "serve-output");
    reader.setDaemon(true);
    reader.start();
    return new Server(p, url.get(180, TimeUnit.SECONDS), output);
  }

  JsonNode call(Server s, String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path.substring(1))).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(r.statusCode() < 300, method + " " + path + ": " + r.statusCode() + " " + r.body());
    return JSON.readTree(r.body());
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void aKilledOrchestratorFinishesTheGridOnRestartWithTheSameNumbers(String kind) throws Exception {
    try (TestStores.Fresh f = TestStores.fresh(kind, tmp)) {
      Server first = serve(f.location());
      JsonNode submitted = call(first, "POST", "/api/v1/experiments", GRID);
      String id = submitted.get("id").asText();
      assertEquals(24, submitted.get("runs").asInt());

      // wait until some runs finished and others are training, then SIGKILL
      long deadline = System.currentTimeMillis() + 90_000;
      while (true) {
        JsonNode c = call(first, "GET", "/api/v1/experiments/" + id, null).get("counts");
        if (c.get("succeeded").asInt() >= 6 && c.get("running").asInt() >= 1) break;
        if (System.currentTimeMillis() > deadline) fail("no progress before the kill: " + c + "\n" + first.output());
        Thread.sleep(25);
      }
      first.process().destroyForcibly();
      assertTrue(first.process().waitFor(20, TimeUnit.SECONDS));
      assertEquals(137, first.process().exitValue(), "killed by SIGKILL");

      ExperimentPlan plan;
      Map<String, RunRecord> atKill;
      try (ResultStore peek = ResultStore.openForReading(f.location())) {
        plan = peek.experiment(id).orElseThrow().plan();
        atKill = peek.runs(plan);
      }
      Map<String, RunRecord> finished = atKill.values().stream().filter(r -> r.state() == RunState.SUCCEEDED)
          .collect(Collectors.toMap(RunRecord::runId, r -> r));
      List<String> inFlight = atKill.values().stream().filter(r -> r.state() == RunState.RUNNING)
          .map(RunRecord::runId).toList();
      assertTrue(finished.size() >= 6 && !inFlight.isEmpty(), "finished " + finished.size() + ", in flight " + inFlight);

      System.out.printf("%s: killed with %d runs finished and %d in flight%n", kind, finished.size(), inFlight.size());
      long restarted = System.currentTimeMillis();
      Server second = serve(f.location());
      assertTrue(String.join("\n", second.output()).contains("1 experiment(s)"), second.output().toString());
      JsonNode history = call(second, "GET", "/api/v1/experiments/" + id + "/runs", null).get("runs");
      assertEquals(24, history.size(), "the same history as before the crash");
      for (JsonNode r : history) {
        if (finished.containsKey(r.get("id").asText())) assertEquals("succeeded", r.get("status").asText());
      }
      deadline = System.currentTimeMillis() + 120_000;
      while (!call(second, "GET", "/api/v1/experiments/" + id, null).get("status").asText().equals("succeeded")) {
        if (System.currentTimeMillis() > deadline) fail("the grid did not complete after the restart\n" + second.output());
        Thread.sleep(50);
      }

      System.out.printf("%s: the restarted orchestrator finished the grid in %.1f s%n", kind,
          (System.currentTimeMillis() - restarted) / 1000.0);
      Map<String, RunRecord> end;
      try (ResultStore peek = ResultStore.openForReading(f.location())) {
        end = peek.runs(plan);
      }
      for (RunRecord r : end.values()) {
        assertEquals(RunState.SUCCEEDED, r.state(), r.runId());
        assertEquals(1, r.attempts().stream().filter(a -> a.status().equals("succeeded")).count(),
            "no run succeeded twice: " + r.attempts());
        if (finished.containsKey(r.runId())) {
          assertEquals(finished.get(r.runId()).attempts(), r.attempts(), "a run finished before the kill did not run again");
          assertEquals(finished.get(r.runId()).result(), r.result());
        }
        if (inFlight.contains(r.runId())) {
          Attempt lost = r.attempts().get(0);
          assertEquals("lost", lost.status(), r.attempts().toString());
          assertEquals(RunRecord.RESTART_KIND, lost.kind());
          assertEquals(2, r.attempts().size());
        }
      }

      // an uninterrupted run of the same config, in this JVM: 2 slots, 1 ND4J thread each, as in serve
      ExperimentConfig cfg = ExperimentConfig.parse("request body", GRID, List.of());
      LocalRun.Outcome plain = LocalRun.execute(cfg, tmp.resolve("plain"), 2, null, null);
      assertEquals(24, plain.succeeded());
      assertEquals(id, plain.experimentId());
      for (Map.Entry<String, Table> t : plain.tables().entrySet()) {
        JsonNode expected = JSON.readTree(TableFormats.render(t.getValue(), "json"));
        JsonNode actual = call(second, "GET", "/api/v1/experiments/" + id + "/tables/" + t.getKey() + "?format=json", null);
        assertClose(expected, actual, t.getKey());
      }
    }
  }

  /** Same structure and text; numbers equal within 1e-9 relative (see the class comment). */
  static void assertClose(JsonNode expected, JsonNode actual, String where) {
    if (expected.isNumber() && actual.isNumber()) {
      double e = expected.asDouble();
      double a = actual.asDouble();
      assertTrue(Math.abs(e - a) <= 1e-9 * Math.max(1.0, Math.abs(e)), where + ": " + e + " vs " + a);
      return;
    }
    assertEquals(expected.getNodeType(), actual.getNodeType(), where);
    if (expected.isObject()) {
      assertEquals(iter(expected.fieldNames()), iter(actual.fieldNames()), where);
      expected.fieldNames().forEachRemaining(k -> assertClose(expected.get(k), actual.get(k), where + "." + k));
    } else if (expected.isArray()) {
      assertEquals(expected.size(), actual.size(), where);
      for (int i = 0; i < expected.size(); i++) assertClose(expected.get(i), actual.get(i), where + "[" + i + "]");
    } else {
      assertEquals(expected, actual, where);
    }
  }

  private static List<String> iter(Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}

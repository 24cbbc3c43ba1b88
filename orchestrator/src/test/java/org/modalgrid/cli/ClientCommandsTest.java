package org.modalgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.http.ApiServerTest;
import org.modalgrid.http.HttpServer;
import org.modalgrid.orchestrator.Orchestrator;

/** submit, status, watch, retry, cancel and tables against a live server on loopback. */
class ClientCommandsTest {

  Orchestrator orch;
  HttpServer server;
  String url;

  @BeforeEach
  void start() {
    orch = Orchestrator.start("cli-test", ConfigFactory.load(),
        new Orchestrator.Settings(List.of("cpu:0", "cpu:1"), null, 2), new DatasetCache(4),
        (s, l) -> ApiServerTest.fake(s, l, 5));
    server = HttpServer.start(orch, "127.0.0.1", 0, "tok");
    url = server.url();
  }

  @AfterEach
  void stop() {
    server.stop();
    orch.close();
  }

  @Test
  void submitWatchStatusRetryAndTables(@TempDir Path tmp) throws Exception {
    Path conf = tmp.resolve("api.conf");
    Files.writeString(conf, ApiServerTest.EXPERIMENT + "\nchaos { fail-first-attempts = 1, select = \"subset=a+b,fraction=1,seed=0\" }\n");

    RunCommandTest.Result refused = RunCommandTest.run("submit", conf.toString(), "--server", url);
    assertEquals(1, refused.code());
    assertTrue(refused.err().contains("401") && refused.err().contains("token"), refused.err());

    RunCommandTest.Result sub = RunCommandTest.run("submit", conf.toString(), "--server", url, "--token", "tok", "--watch");
    assertEquals(1, sub.code(), "one run fails on purpose: " + sub.out() + sub.err());
    String id = sub.out().lines().findFirst().orElseThrow().split("\\s+")[0];
    assertTrue(id.startsWith("api-"), sub.out());
    assertTrue(sub.out().contains("FAILED"), sub.out() + sub.err());
    assertTrue(sub.out().contains("11 succeeded, 1 failed"), sub.out());

    RunCommandTest.Result status = RunCommandTest.run("status", id, "--server", url);
    assertEquals(0, status.code());
    assertTrue(status.out().contains("finished-with-failures"), status.out());
    assertTrue(status.out().contains("planned failure"), status.out());
    RunCommandTest.Result list = RunCommandTest.run("status", "--server", url);
    assertTrue(list.out().contains(id), list.out());

    RunCommandTest.Result retry = RunCommandTest.run("retry", "--failed", id, "--server", url, "--token", "tok");
    assertEquals(0, retry.code(), retry.err());
    assertTrue(retry.out().contains("1 runs queued again"), retry.out());
    RunCommandTest.Result watch = RunCommandTest.run("watch", id, "--server", url);
    assertEquals(0, watch.code(), watch.out() + watch.err());
    assertTrue(watch.out().contains("12/12"), watch.out());

    RunCommandTest.Result tables = RunCommandTest.run("tables", id, "--server", url, "--format", "csv", "--table", "accuracy");
    assertEquals(0, tables.code());
    assertTrue(tables.out().startsWith("subset,fraction,n,accuracy_mean"), tables.out());

    RunCommandTest.Result badRun = RunCommandTest.run("retry", "rnothere", "--server", url, "--token", "tok");
    assertEquals(1, badRun.code());
    assertTrue(badRun.err().contains("404"), badRun.err());
    RunCommandTest.Result cancelDone = RunCommandTest.run("cancel", "--experiment", id, "--server", url, "--token", "tok");
    assertEquals(0, cancelDone.code());
    assertTrue(cancelDone.out().contains("0 runs cancelled"), cancelDone.out());
  }

  @Test
  void unreachableServerIsAOneLineError() {
    RunCommandTest.Result r = RunCommandTest.run("status", "--server", "http://127.0.0.1:9");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("modalgrid: cannot reach http://127.0.0.1:9"), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
  }
}

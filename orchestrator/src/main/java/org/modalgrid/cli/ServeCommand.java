package org.modalgrid.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.modalgrid.http.HttpServer;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoreException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code modalgrid serve}: a long-lived orchestrator that accepts experiments over the HTTP API. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run a long-lived orchestrator: experiments arrive over the HTTP API (./modalgrid submit, or",
        "POST /api/v1/experiments), run on local worker slots, and their results stay served after they finish.",
        "Everything is kept in the result store (--store); started again on the same store, it takes over every",
        "experiment where it stopped. Stops on Ctrl-C or SIGTERM, unbinding the server first."})
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--host", paramLabel = "HOST", description = "Address to serve on (default ${DEFAULT-VALUE}); "
      + "any other than loopback needs --token")
  String host = "127.0.0.1";

  @Option(names = {"--port", "--http-port"}, paramLabel = "PORT", description = "HTTP port (default ${DEFAULT-VALUE}; 0 picks a free one)")
  int port = 8080;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:MODALGRID_TOKEN}",
      description = "Bearer token that mutating API calls must send (default: $MODALGRID_TOKEN)")
  String token;

  @Option(names = "--workers", paramLabel = "N", description = "Local worker slots (default: one per core, ${DEFAULT-VALUE} here)")
  int workers = Runtime.getRuntime().availableProcessors();

  @Option(names = "--runs-dir", paramLabel = "DIR", description = "Where results folders go (default ${DEFAULT-VALUE})")
  Path runsDir = Path.of("runs");

  @Option(names = "--store", paramLabel = "PATH|JDBC-URL",
      description = {"Result store: an SQLite file, or jdbc:postgresql://HOST/DB?user=..&password=.. (default:",
          "modalgrid.store.url, else modalgrid.db in --runs-dir); 'none' keeps results in memory only"})
  String store;

  @Override
  public Integer call() throws InterruptedException {
    try {
      HttpServer.checkExposure(host, token);
    } catch (IllegalArgumentException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    if (workers < 0) {
      System.err.println("modalgrid: --workers must be >= 0, got " + workers);
      return 2;
    }
    ResultStore opened;
    try {
      opened = StoreOption.open(StoreOption.location(store, StoreOption.defaultFile(runsDir)));
    } catch (StoreException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    Orchestrator orch = LocalRun.startLocal(workers, runsDir, opened);
    if (opened != null) {
      try {
        Orchestrator.Resumed resumed = orch.resumeAll();
        System.out.println("store " + opened.location() + ": " + resumed.experiments() + " experiment(s), "
            + resumed.queued() + " run(s) queued to finish them");
        resumed.problems().forEach(p -> System.err.println("modalgrid: warning: not resumed: " + p));
      } catch (StoreException e) {
        orch.close();
        System.err.println("modalgrid: " + e.getMessage());
        return 2;
      }
    }
    HttpServer server;
    try {
      server = HttpServer.start(orch, host, port, token);
    } catch (IllegalStateException e) {
      orch.close();
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      orch.close();
      stopped.countDown();
    }, "modalgrid-shutdown"));
    System.out.println("modalgrid serving on " + server.url() + " with " + workers + " local worker slot(s)"
        + (token == null || token.isBlank() ? "" : "; mutating calls need the token"));
    System.out.flush();
    stopped.await();
    return 0;
  }
}

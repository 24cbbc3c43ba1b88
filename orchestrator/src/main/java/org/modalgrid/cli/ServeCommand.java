package org.modalgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.modalgrid.http.HttpServer;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoreException;
import org.modalgrid.worker.ClusterConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code modalgrid serve}: a long-lived orchestrator that accepts experiments over the HTTP API. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run a long-lived orchestrator: experiments arrive over the HTTP API (./modalgrid submit, or",
        "POST /api/v1/experiments), run on local worker slots, and their results stay served after they finish.",
        "With --cluster: the orchestrator of a Pekko cluster, which worker nodes on other",
        "JVMs and machines join (./modalgrid worker --join HOST:PORT); runs spread over their slots.",
        "Everything is kept in the result store (--store); started again on the same store, it takes over every",
        "experiment where it stopped. Stops on Ctrl-C or SIGTERM, unbinding the server first."})
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--host", paramLabel = "HOST", description = "Address to serve on (default ${DEFAULT-VALUE}); "
      + "any other than loopback needs --token. With --cluster, also the cluster address workers reach")
  String host = "127.0.0.1";

  @Option(names = "--port", paramLabel = "PORT", description = "HTTP port (default 8080; 0 picks a free one). "
      + "With --cluster: the cluster (Artery TCP) port, default " + ClusterConfig.DEFAULT_ORCHESTRATOR_PORT
      + ", and the HTTP port is --http-port")
  Integer port;

  @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port (default 8080; 0 picks a free one)")
  Integer httpPort;

  @Option(names = "--cluster", description = "Be the orchestrator of a cluster of worker nodes (Pekko Cluster)")
  boolean cluster;

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:MODALGRID_TOKEN}",
      description = "Bearer token that mutating API calls must send (default: $MODALGRID_TOKEN)")
  String token;

  @Option(names = "--workers", paramLabel = "N", description = "Local worker slots (default: one per core; "
      + "with --cluster, 0: the worker nodes train)")
  Integer workers;

  @Option(names = "--runs-dir", paramLabel = "DIR", description = "Where results folders go (default ${DEFAULT-VALUE})")
  Path runsDir = Path.of("runs");

  @Option(names = "--store", paramLabel = "PATH|JDBC-URL",
      description = {"Result store: an SQLite file, or jdbc:postgresql://HOST/DB?user=..&password=.. (default:",
          "modalgrid.store.url, else modalgrid.db in --runs-dir); 'none' keeps results in memory only"})
  String store;

  private static final int DEFAULT_HTTP_PORT = 8080;

  @Override
  public Integer call() throws InterruptedException {
    try {
      HttpServer.checkExposure(host, token);
    } catch (IllegalArgumentException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    int slots = workers != null ? workers : cluster ? 0 : Runtime.getRuntime().availableProcessors();
    if (slots < 0) {
      System.err.println("modalgrid: --workers must be >= 0, got " + slots);
      return 2;
    }
    int http = httpPort != null ? httpPort : !cluster && port != null ? port : DEFAULT_HTTP_PORT;
    int clusterPort = port != null ? port : ClusterConfig.DEFAULT_ORCHESTRATOR_PORT;
    if (cluster && (host.equals("0.0.0.0") || host.equals("::"))) {
      System.err.println("modalgrid: --cluster needs --host to be this machine's address as the workers reach it, not " + host);
      return 2;
    }
    ResultStore opened;
    try {
      opened = StoreOption.open(StoreOption.location(store, StoreOption.defaultFile(runsDir)));
    } catch (StoreException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    Served served;
    try {
      served = start(cluster, host, clusterPort, http, token, slots, runsDir, opened, ConfigFactory.empty());
    } catch (IllegalArgumentException | IllegalStateException | StoreException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    Orchestrator orch = served.orch();
    HttpServer server = served.server();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      orch.close();
      stopped.countDown();
    }, "modalgrid-shutdown"));
    if (cluster) {
      System.out.println("modalgrid orchestrator: cluster " + ClusterConfig.seedAddress(host + ":" + clusterPort)
          + " (workers: ./modalgrid worker --join " + host + ":" + clusterPort + " --devices cpu:N); API and UI on "
          + server.url() + "; " + slots + " local worker slot(s)"
          + (token == null || token.isBlank() ? "" : "; mutating calls need the token"));
    } else {
      System.out.println("modalgrid serving on " + server.url() + " with " + slots + " local worker slot(s)"
          + (token == null || token.isBlank() ? "" : "; mutating calls need the token"));
    }
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** A started orchestrator and its HTTP server. */
  record Served(Orchestrator orch, HttpServer server) implements AutoCloseable {
    @Override
    public void close() {
      server.stop();
      orch.close();
    }
  }

  /**
   * Starts what {@code serve} runs: the orchestrator with {@code slots} local slots (in cluster
   * mode the orchestrator node of a cluster on {@code host:clusterPort}) and the HTTP API; in
   * cluster mode the supervisor is told where workers fetch dataset files.
   *
   * @param extra config that takes precedence (tests: faster failure detection)
   */
  static Served start(boolean cluster, String host, int clusterPort, int httpPort, String token, int slots,
      Path runsDir, Config extra) {
    return start(cluster, host, clusterPort, httpPort, token, slots, runsDir, null, extra);
  }

  /**
   * The same, keeping results in {@code store} (null: memory only; the orchestrator closes it) and
   * taking over every experiment the store holds.
   */
  static Served start(boolean cluster, String host, int clusterPort, int httpPort, String token, int slots,
      Path runsDir, ResultStore store, Config extra) {
    Config config = extra.withFallback(cluster ? ClusterConfig.orchestrator(host, clusterPort) : ConfigFactory.load());
    Orchestrator orch;
    try {
      orch = LocalRun.startLocal(slots, runsDir, store, config);
    } catch (RuntimeException e) {
      if (store != null) store.close();
      throw new IllegalStateException("cannot start the orchestrator" + (cluster ? " on " + host + ":" + clusterPort : "")
          + ": " + rootMessage(e), e);
    }
    if (store != null) {
      try {
        Orchestrator.Resumed resumed = orch.resumeAll();
        System.out.println("store " + store.location() + ": " + resumed.experiments() + " experiment(s), "
            + resumed.queued() + " run(s) queued to finish them");
        resumed.problems().forEach(p -> System.err.println("modalgrid: warning: not resumed: " + p));
      } catch (StoreException e) {
        orch.close();
        throw e;
      }
    }
    HttpServer server;
    try {
      server = HttpServer.start(orch, host, httpPort, token);
    } catch (RuntimeException e) {
      orch.close();
      throw e;
    }
    if (cluster) orch.serveDataAt("http://" + hostForUrl(host) + ":" + server.address().getPort());
    return new Served(orch, server);
  }

  static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  static String rootMessage(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }
}

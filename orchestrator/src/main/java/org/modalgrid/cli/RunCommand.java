package org.modalgrid.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.modalgrid.data.DataException;
import org.modalgrid.grid.ConfigError;
import org.modalgrid.grid.ExperimentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code modalgrid run CONFIG}: expand the grid, train every run locally, write and print the tables. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run an experiment in this process: expand the grid, train every run on local worker slots,",
        "print a line per finished run and the result tables (Markdown), and write everything to a results folder.",
        "Exits 0 when every run succeeded, 1 when some failed, 2 on a bad config or data."})
final class RunCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "CONFIG", description = "Experiment file (HOCON), e.g. configs/smoke.conf")
  Path config;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Results folder (default: runs/<experiment-name>-<UTC timestamp>/)")
  Path outDir;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set experiment.seeds=2 (repeatable)")
  List<String> sets = new ArrayList<>();

  @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "", description = "Same as --set: -Dexperiment.seeds=2")
  Map<String, String> defines = new LinkedHashMap<>();

  @Option(names = "--workers", paramLabel = "N",
      description = "Local worker slots (default: one per core, ${DEFAULT-VALUE} here)")
  int workers = Runtime.getRuntime().availableProcessors();

  @Option(names = "--quiet", description = "Print only the final tables and the results folder")
  boolean quiet;

  @Option(names = "--port", paramLabel = "PORT", description = "Serve the live UI and API on this port while it runs (default ${DEFAULT-VALUE}; 0 picks a free one)")
  int port = 8080;

  @Option(names = "--host", paramLabel = "HOST", description = "Address to serve on (default ${DEFAULT-VALUE})")
  String host = "127.0.0.1";

  @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:MODALGRID_TOKEN}",
      description = "Bearer token that mutating API calls must send (default: $MODALGRID_TOKEN)")
  String token;

  @Option(names = "--no-ui", description = "Do not serve the UI and API")
  boolean noUi;

  @Override
  public Integer call() {
    PrintStream out = System.out;
    PrintStream err = System.err;
    List<String> overrides = new ArrayList<>(sets);
    defines.forEach((k, v) -> overrides.add(k + "=" + v));
    ExperimentConfig cfg;
    try {
      cfg = ExperimentConfig.load(config, overrides);
    } catch (ConfigError e) {
      err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    if (workers < 1) {
      err.println("modalgrid: --workers must be >= 1, got " + workers);
      return 2;
    }
    if (!noUi) {
      try {
        org.modalgrid.http.HttpServer.checkExposure(host, token);
      } catch (IllegalArgumentException e) {
        err.println("modalgrid: " + e.getMessage());
        return 2;
      }
    }
    Path dir = outDir != null ? outDir : defaultFolder(cfg.name());
    java.util.function.Consumer<org.modalgrid.orchestrator.Orchestrator> serve = noUi ? null : orch -> {
      try {
        org.modalgrid.http.HttpServer server = org.modalgrid.http.HttpServer.start(orch, host, port, token);
        out.println("live UI and API: " + server.url());
      } catch (IllegalStateException e) {
        err.println("modalgrid: warning: " + e.getMessage() + "; running without the UI (choose another --port, or --no-ui)");
      }
      out.flush();
    };
    try {
      LocalRun.Outcome outcome = LocalRun.execute(cfg, dir, workers, quiet ? null : out, serve);
      out.println();
      outcome.tables().values().forEach(t -> out.println(org.modalgrid.analysis.TableFormats.markdown(t)));
      out.println("results: " + dir.toAbsolutePath().normalize());
      out.printf("%d of %d runs succeeded in %.1f s%n", outcome.succeeded(), outcome.total(), outcome.wallMillis() / 1000.0);
      return outcome.succeeded() == outcome.total() ? 0 : 1;
    } catch (ConfigError | DataException e) {
      err.println("modalgrid: " + e.getMessage());
      return 2;
    }
  }

  static Path defaultFolder(String name) {
    return Path.of("runs", org.modalgrid.orchestrator.Orchestrator.folderName(name));
  }
}

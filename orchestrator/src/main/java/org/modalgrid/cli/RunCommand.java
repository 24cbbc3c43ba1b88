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
import org.modalgrid.results.ResultsFolder;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoreException;
import org.modalgrid.store.StoredExperiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code modalgrid run CONFIG}: expand the grid, train every run locally, write and print the tables. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run an experiment in this process: expand the grid, train every run on local worker slots,",
        "print a line per finished run and the result tables (Markdown), and write everything to a results folder.",
        "Every run is kept in the result store (--store) as it finishes: the same experiment run again, or",
        "--resume DIR after a crash, runs only what is not finished; --extend DIR grows a finished experiment.",
        "Exits 0 when every run succeeded, 1 when some failed, 2 on a bad config, data or store."})
final class RunCommand implements Callable<Integer> {

  @Parameters(index = "0", arity = "0..1", paramLabel = "CONFIG",
      description = "Experiment file (HOCON), e.g. configs/smoke.conf (optional with --resume)")
  Path config;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Results folder (default: the stored experiment's folder, else runs/<experiment-name>-<UTC timestamp>/)")
  Path outDir;

  @Option(names = "--store", paramLabel = "PATH|JDBC-URL",
      description = {"Result store: an SQLite file, or jdbc:postgresql://HOST/DB?user=..&password=.. (default: the",
          "folder's store with --resume/--extend, else modalgrid.store.url, else " + ResultStore.DEFAULT_LOCATION + ");",
          "'none' keeps results in memory only"})
  String store;

  @Option(names = "--resume", paramLabel = "DIR",
      description = "Continue the experiment whose results folder is DIR, in its store: finished runs are not run again")
  Path resume;

  @Option(names = "--extend", paramLabel = "DIR",
      description = "Grow the experiment whose results folder is DIR into CONFIG (more seeds, fractions, ...): "
          + "only runs it has not finished are run; results go to a new folder (or --out)")
  Path extend;

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
    if (resume != null && extend != null) {
      err.println("modalgrid: give --resume DIR or --extend DIR, not both");
      return 2;
    }
    if (config == null && resume == null) {
      err.println("modalgrid: missing CONFIG, the experiment file (e.g. configs/smoke.conf)");
      return 2;
    }
    ExperimentConfig cfg = null;
    try {
      if (config != null) cfg = ExperimentConfig.load(config, overrides);
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
    ResultStore opened = null;
    String extendsId = null;
    Path dir = outDir;
    try {
      Path folder = resume != null ? resume : extend;
      ResultsFolder.About about = folder == null ? null : ResultsFolder.about(folder);
      String location;
      if (about != null && store == null) {
        if (about.store() == null) {
          err.println("modalgrid: " + folder + " was written without a result store: there is nothing to "
              + (resume != null ? "resume" : "extend") + " (name the store with --store if it has one)");
          return 2;
        }
        location = about.store();
      } else {
        location = StoreOption.location(store, Path.of(ResultStore.DEFAULT_LOCATION));
      }
      if (about != null && StoreOption.NONE.equalsIgnoreCase(location)) {
        err.println("modalgrid: --resume and --extend need a result store");
        return 2;
      }
      opened = StoreOption.open(location);
      if (about != null) {
        StoredExperiment known = opened.experiment(about.experimentId()).orElse(null);
        if (known == null) {
          err.println("modalgrid: the store " + opened.location() + " has no experiment " + about.experimentId()
              + " (the one " + folder + " names); pass the right --store");
          opened.close();
          return 2;
        }
        if (resume != null) {
          ExperimentConfig stored = known.plan().config();
          if (cfg != null && !cfg.render().equals(stored.render())) {
            err.println("modalgrid: " + config + " is not the experiment in " + resume + " (" + known.id()
                + "); to grow that experiment into this config, use --extend " + resume);
            opened.close();
            return 2;
          }
          cfg = stored;
          if (dir == null) dir = resume;
        } else {
          extendsId = known.id();
        }
      }
    } catch (StoreException | IllegalArgumentException e) {
      if (opened != null) opened.close();
      err.println("modalgrid: " + e.getMessage());
      return 2;
    }
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
      LocalRun.Outcome outcome = LocalRun.execute(cfg, dir, workers, quiet ? null : out, serve, opened, extendsId);
      out.println();
      outcome.tables().values().forEach(t -> out.println(org.modalgrid.analysis.TableFormats.markdown(t)));
      out.println("results: " + outcome.resultsDir().toAbsolutePath().normalize());
      out.printf("%d of %d runs succeeded in %.1f s%s%n", outcome.succeeded(), outcome.total(), outcome.wallMillis() / 1000.0,
          outcome.queued() < outcome.total() ? " (" + outcome.queued() + " run now; the others were finished already)" : "");
      return outcome.succeeded() == outcome.total() ? 0 : 1;
    } catch (ConfigError | DataException | StoreException e) {
      err.println("modalgrid: " + e.getMessage());
      return 2;
    }
  }

  static Path defaultFolder(String name) {
    return Path.of("runs", org.modalgrid.orchestrator.Orchestrator.folderName(name));
  }
}

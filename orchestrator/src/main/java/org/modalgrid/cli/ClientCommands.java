package org.modalgrid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.modalgrid.analysis.Tables;
import org.modalgrid.grid.ConfigError;
import org.modalgrid.grid.ExperimentConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands that talk to a running orchestrator over its HTTP API. */
final class ClientCommands {

  private ClientCommands() {}

  /** {@code --server} and {@code --token}, shared by every client command. */
  static final class Connection {
    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:MODALGRID_SERVER:-http://127.0.0.1:8080}",
        description = "Orchestrator URL (default: $MODALGRID_SERVER or ${DEFAULT-VALUE})")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:MODALGRID_TOKEN}",
        description = "Bearer token for mutating calls (default: $MODALGRID_TOKEN)")
    String token;

    ApiClient client() {
      return new ApiClient(server, token);
    }
  }

  /** Runs a client call, turning any failure into exit code 1 and a one-line reason. */
  static int guarded(Callable<Integer> body) {
    try {
      return body.call();
    } catch (ApiClient.ApiException | ConfigError e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      System.err.println("modalgrid: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    }
  }

  /** POSTs {@code runs/RUN_ID/runAction} or {@code experiments/ID/experimentAction}: exactly one id is given. */
  static int runOrExperiment(Connection conn, String runId, String runAction, String experimentId,
      String experimentAction, String experimentOption) {
    return guarded(() -> {
      if ((runId == null) == (experimentId == null)) {
        throw new ApiClient.ApiException(0, "give either a RUN_ID or " + experimentOption + " EXPERIMENT_ID");
      }
      try (ApiClient c = conn.client()) {
        JsonNode r = runId != null ? c.post("/api/v1/runs/" + enc(runId) + "/" + runAction, null)
            : c.post("/api/v1/experiments/" + enc(experimentId) + "/" + experimentAction, null);
        System.out.println(r.path("message").asText());
        return 0;
      }
    });
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String counts(JsonNode s) {
    StringBuilder sb = new StringBuilder();
    for (String k : List.of("succeeded", "failed", "running", "queued", "cancelled")) {
      int n = s.path("counts").path(k).asInt(0);
      if (n > 0 || k.equals("succeeded")) sb.append(sb.length() == 0 ? "" : ", ").append(n).append(' ').append(k);
    }
    return sb.toString();
  }

  static String eta(JsonNode s) {
    JsonNode e = s.path("eta_ms");
    if (e.isMissingNode() || e.isNull()) return "";
    long sec = e.asLong() / 1000;
    return sec == 0 ? "" : String.format(Locale.ROOT, ", ETA %d:%02d", sec / 60, sec % 60);
  }

  @Command(name = "submit", mixinStandardHelpOptions = true,
      description = "Submit an experiment file to a running orchestrator (./modalgrid serve); prints its id.")
  static final class Submit implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", paramLabel = "CONFIG", description = "Experiment file (HOCON)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "", description = "Same as --set")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--watch", description = "Then watch it until it completes")
    boolean watch;

    @Override
    public Integer call() {
      return guarded(() -> {
        List<String> overrides = new ArrayList<>(sets);
        defines.forEach((k, v) -> overrides.add(k + "=" + v));
        ExperimentConfig cfg = ExperimentConfig.load(config, overrides);
        try (ApiClient c = conn.client()) {
          JsonNode r = c.post("/api/v1/experiments", cfg.render());
          String id = r.path("id").asText();
          System.out.println(id + "  " + r.path("runs").asInt() + " runs" + (r.path("created").asBoolean() ? "" : " (already submitted)"));
          return watch ? Watch.watch(c, id, System.out) : 0;
        }
      });
    }
  }

  @Command(name = "extend", mixinStandardHelpOptions = true,
      description = {"Grow an experiment on a running orchestrator into CONFIG (more seeds, another fraction, ...):",
          "runs the two share are not run again, only the new ones are. Prints the new experiment's id."})
  static final class Extend implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", paramLabel = "ID", description = "The experiment to extend")
    String id;

    @Parameters(index = "1", paramLabel = "CONFIG", description = "The grown experiment's file (HOCON)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable)")
    List<String> sets = new ArrayList<>();

    @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "", description = "Same as --set")
    Map<String, String> defines = new LinkedHashMap<>();

    @Option(names = "--watch", description = "Then watch it until it completes")
    boolean watch;

    @Override
    public Integer call() {
      return guarded(() -> {
        List<String> overrides = new ArrayList<>(sets);
        defines.forEach((k, v) -> overrides.add(k + "=" + v));
        ExperimentConfig cfg = ExperimentConfig.load(config, overrides);
        try (ApiClient c = conn.client()) {
          JsonNode r = c.post("/api/v1/experiments/" + enc(id) + "/extend", cfg.render());
          String newId = r.path("id").asText();
          System.out.println(newId + "  " + r.path("runs").asInt() + " runs, " + r.path("new_runs").asInt()
              + " new (extends " + id + ")" + (r.path("created").asBoolean() ? "" : " (already submitted)"));
          return watch ? Watch.watch(c, newId, System.out) : 0;
        }
      });
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "List the experiments, or show one: status, counts by state, ETA, failed runs.")
  static final class Status implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "Experiment id")
    String id;

    @Override
    public Integer call() {
      return guarded(() -> {
        try (ApiClient c = conn.client()) {
          if (id == null) {
            JsonNode list = c.get("/api/v1/experiments").path("experiments");
            if (list.isEmpty()) System.out.println("no experiments");
            for (JsonNode s : list) {
              System.out.printf(Locale.ROOT, "%-28s %-22s %4d runs: %s%s%n", s.path("id").asText(), s.path("status").asText(),
                  s.path("total").asInt(), counts(s), eta(s));
            }
            return 0;
          }
          JsonNode s = c.get("/api/v1/experiments/" + enc(id));
          System.out.printf(Locale.ROOT, "%s  %s  %d runs: %s%s%n", s.path("id").asText(), s.path("status").asText(),
              s.path("total").asInt(), counts(s), eta(s));
          if (!s.path("results_dir").isNull()) System.out.println("results: " + s.path("results_dir").asText());
          for (JsonNode r : c.get("/api/v1/experiments/" + enc(id) + "/runs?state=failed").path("runs")) {
            System.out.println("  failed " + r.path("id").asText() + "  " + r.path("cell").path("subset").asText()
                + " f=" + r.path("cell").path("fraction").asText() + " seed=" + r.path("cell").path("seed").asText()
                + ": " + r.path("error").asText());
          }
          return 0;
        }
      });
    }
  }

  @Command(name = "watch", mixinStandardHelpOptions = true,
      description = {"Follow an experiment live: a progress bar and a line per finished run, until it completes.",
          "Exits 0 when every run succeeded, 1 otherwise."})
  static final class Watch implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", paramLabel = "ID", description = "Experiment id")
    String id;

    @Override
    public Integer call() {
      return guarded(() -> {
        try (ApiClient c = conn.client()) {
          return watch(c, id, System.out);
        }
      });
    }

    static int watch(ApiClient c, String id, PrintStream out) throws InterruptedException, ExecutionException {
      JsonNode first = c.get("/api/v1/experiments/" + enc(id));
      int[] result = {-1};
      Map<String, JsonNode> failed = new LinkedHashMap<>();
      java.util.Set<String> printed = new java.util.HashSet<>();
      CompletableFuture<Void> stream = c.events("/api/v1/events?experiment=" + enc(id), (event, data) -> {
        switch (event) {
          case "run" -> {
            String state = data.path("status").asText();
            if (state.equals("failed")) failed.put(data.path("id").asText(), data);
            if (state.equals("succeeded") || state.equals("failed") || state.equals("cancelled")) {
              out.print("\r\033[K");
              out.println(runLine(data));
              printed.add(data.path("id").asText());
            }
          }
          case "experiment", "snapshot", "completed" -> {
            if (event.equals("snapshot")) {
              for (JsonNode r : data.path("runs")) if (r.path("status").asText().equals("failed")) failed.put(r.path("id").asText(), r);
            }
            JsonNode s = event.equals("snapshot") ? find(data.path("experiments"), id) : data;
            if (s != null && s.path("id").asText().equals(id)) {
              out.print("\r\033[K" + bar(s));
              out.flush();
              if (event.equals("completed") || (event.equals("snapshot") && isFinished(s))) {
                out.println();
                failed.forEach((runId, r) -> {
                  if (!printed.contains(runId)) out.println(runLine(r));
                });
                result[0] = s.path("counts").path("succeeded").asInt() == s.path("total").asInt() ? 0 : 1;
              }
            }
          }
          default -> { }
        }
      });
      while (result[0] < 0 && !stream.isDone()) Thread.sleep(50);
      if (result[0] < 0) {
        stream.get();
        throw new ApiClient.ApiException(0, "the event stream ended before experiment " + id + " completed");
      }
      stream.complete(null);
      if (first.path("results_dir").isTextual()) out.println("results: " + first.path("results_dir").asText());
      return result[0];
    }

    static String runLine(JsonNode r) {
      String state = r.path("status").asText();
      JsonNode cell = r.path("cell");
      return String.format(Locale.ROOT, "%-9s %s  %s f=%s seed=%s%s", state.equals("succeeded") ? "ok" : state.toUpperCase(Locale.ROOT),
          r.path("id").asText(), cell.path("subset").asText(), cell.path("fraction").asText(), cell.path("seed").asText(),
          state.equals("failed") ? "  error: " + r.path("error").asText() : "");
    }

    private static boolean isFinished(JsonNode s) {
      String st = s.path("status").asText();
      return st.equals("succeeded") || st.equals("finished-with-failures");
    }

    private static JsonNode find(JsonNode list, String id) {
      for (JsonNode s : list) if (s.path("id").asText().equals(id)) return s;
      return null;
    }

    static String bar(JsonNode s) {
      int total = Math.max(1, s.path("total").asInt());
      JsonNode c = s.path("counts");
      int done = c.path("succeeded").asInt() + c.path("failed").asInt() + c.path("cancelled").asInt();
      int width = 30;
      int filled = (int) Math.round(width * (double) done / total);
      return String.format(Locale.ROOT, "[%s%s] %d/%d  %s%s", "#".repeat(filled), ".".repeat(width - filled), done, total,
          counts(s), eta(s));
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true,
      description = "Queue a finished run again (RUN_ID), or every failed run of an experiment (--failed ID).")
  static final class Retry implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_ID", description = "Run id")
    String runId;

    @Option(names = "--failed", paramLabel = "ID", description = "Retry every failed or cancelled run of this experiment")
    String experiment;

    @Override
    public Integer call() {
      return runOrExperiment(conn, runId, "retry", experiment, "retry-failed", "--failed");
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a queued or running run (RUN_ID), or every unfinished run of an experiment (--experiment ID).")
  static final class Cancel implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", arity = "0..1", paramLabel = "RUN_ID", description = "Run id")
    String runId;

    @Option(names = "--experiment", paramLabel = "ID", description = "Cancel every unfinished run of this experiment")
    String experiment;

    @Override
    public Integer call() {
      return runOrExperiment(conn, runId, "cancel", experiment, "cancel", "--experiment");
    }
  }

  @Command(name = "tables", mixinStandardHelpOptions = true,
      description = "Print an experiment's result tables (all four, or one with --table).")
  static final class TablesCmd implements Callable<Integer> {
    @Mixin Connection conn;

    @Parameters(index = "0", paramLabel = "ID", description = "Experiment id")
    String id;

    @Option(names = "--format", paramLabel = "FORMAT", description = "md, csv or json (default ${DEFAULT-VALUE})")
    String format = "md";

    @Option(names = "--table", paramLabel = "NAME", description = "accuracy, fractions, gamma or eta (default: all)")
    String table;

    @Override
    public Integer call() {
      return guarded(() -> {
        try (ApiClient c = conn.client()) {
          for (String t : table == null ? Tables.NAMES : List.of(table)) {
            System.out.println(c.getText("/api/v1/experiments/" + enc(id) + "/tables/" + enc(t) + "?format=" + enc(format)));
          }
          return 0;
        }
      });
    }
  }
}

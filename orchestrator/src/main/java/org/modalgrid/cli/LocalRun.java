package org.modalgrid.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.Tables;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.grid.GridSettings;
import org.modalgrid.model.LateFusionTrainer;
import org.modalgrid.model.ThreadBudget;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.orchestrator.ExperimentSupervisor;
import org.modalgrid.orchestrator.Orchestrator;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.run.RunExecutor;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoredExperiment;

/**
 * One experiment, start to finish, in this JVM: plan it, start the orchestrator with local worker
 * slots, wait for every run to end, collect the tables, stop.
 */
public final class LocalRun {

  /**
   * @param resultsDir the experiment's results folder
   * @param queued     how many runs this call ran (the others were finished already, in the store)
   */
  public record Outcome(String experimentId, int total, int succeeded, Map<String, Table> tables,
      List<RunRecord> records, long wallMillis, Path resultsDir, int queued) {}

  private LocalRun() {}

  /** Local device slots cpu:0 .. cpu:n-1. */
  public static List<String> cpuSlots(int n) {
    List<String> devices = new ArrayList<>();
    for (int i = 0; i < n; i++) devices.add("cpu:" + i);
    return devices;
  }

  /** The ND4J thread budget of one slot when {@code slots} share this machine's cores. */
  public static int threadsPerSlot(int slots) {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, slots));
  }

  /** Starts an orchestrator with {@code workers} local CPU slots and the real trainer. */
  public static Orchestrator startLocal(int workers, Path runsDir) {
    return startLocal(workers, runsDir, null, ConfigFactory.load());
  }

  /** The same, keeping results in {@code store} (null: memory only); the orchestrator closes it. */
  public static Orchestrator startLocal(int workers, Path runsDir, ResultStore store) {
    return startLocal(workers, runsDir, store, ConfigFactory.load());
  }

  /**
   * The same with the actor system's config of one's own (cluster mode: {@code ClusterConfig.orchestrator}),
   * keeping results in {@code store} (null: memory only); the orchestrator closes it.
   */
  public static Orchestrator startLocal(int workers, Path runsDir, ResultStore store, com.typesafe.config.Config config) {
    ThreadBudget.apply(threadsPerSlot(workers));
    DatasetCache cache = new DatasetCache(DatasetCache.DEFAULT_CAPACITY);
    return Orchestrator.start("modalgrid", config,
        new Orchestrator.Settings(cpuSlots(workers), runsDir, Orchestrator.Settings.defaultMaxAttempts()),
        cache, new RunExecutor(cache, new LateFusionTrainer()), store);
  }

  /**
   * Runs {@code cfg} to completion.
   *
   * @param progress receives a line per finished run (null: silent)
   * @param onStart  called with the orchestrator once the experiment is submitted (e.g. to serve the UI)
   */
  public static Outcome execute(ExperimentConfig cfg, Path dir, int workers, PrintStream progress,
      Consumer<Orchestrator> onStart) {
    return execute(cfg, dir, workers, progress, onStart, null, null);
  }

  /**
   * Runs {@code cfg} to completion, keeping results in {@code store} (closed at the end; null for
   * memory only). Runs the store already finished are not run again: the same config twice
   * resumes, and a config that grows another experiment ({@code extendsId}) runs only its new runs.
   *
   * @param dir results folder; null: the stored experiment's folder, else a new one under runs/
   */
  public static Outcome execute(ExperimentConfig cfg, Path dir, int workers, PrintStream progress,
      Consumer<Orchestrator> onStart, ResultStore store, String extendsId) {
    long t0 = System.currentTimeMillis();
    try (Orchestrator orch = startLocal(workers, null, store)) {
      ExperimentPlan plan = get(orch.plan(cfg));
      Optional<StoredExperiment> prior = orch.storedExperiment(plan.experimentId());
      if (dir == null) {
        dir = prior.map(StoredExperiment::resultsDir).filter(d -> d != null).map(Path::of)
            .orElse(RunCommand.defaultFolder(cfg.name()));
      }
      if (progress != null) {
        progress.println("experiment " + plan.experimentId() + ": " + plan.runs().size() + " runs ("
            + plan.subsets().size() + " subsets x " + cfg.grid().fractions().size() + " fractions"
            + (cfg.grid().axes().isEmpty() ? "" : " x " + GridSettings.axisPoints(cfg.grid().axes()).size() + " axis points")
            + " x " + cfg.grid().seeds().size() + " seeds) on " + workers + " local slot(s), "
            + threadsPerSlot(workers) + " ND4J thread(s) each");
        progress.println("dataset: " + org.modalgrid.grid.Planner.firstDataset(cfg, orch.cache()));
        progress.println("results: " + dir.toAbsolutePath().normalize());
        if (store != null) {
          progress.println("store: " + store.location() + (prior.isPresent()
              ? " (the experiment is there already: finished runs are not run again)"
              : extendsId != null ? " (extends " + extendsId + ": runs it finished are not run again)" : ""));
        }
        progress.flush();
      }
      CompletableFuture<Aggregator.ExperimentCompleted> done = new CompletableFuture<>();
      ActorRef<Aggregator.Update> printer = orch.system().systemActorOf(
          ProgressPrinter.create(plan.experimentId(), progress, done), "progress", Props.empty());
      orch.aggregator().tell(new Aggregator.Subscribe(printer));
      ExperimentSupervisor.Submitted submitted = get(orch.submit(plan, dir, extendsId));
      if (progress != null && submitted.queued() < submitted.runs()) {
        progress.println((submitted.runs() - submitted.queued()) + " of " + submitted.runs()
            + " runs are finished already; " + submitted.queued() + " to run");
        progress.flush();
      }
      if (onStart != null) onStart.accept(orch);
      done.get();
      Map<String, Table> tables = new LinkedHashMap<>();
      for (String name : Tables.NAMES) get(orch.table(plan.experimentId(), name)).ifPresent(t -> tables.put(name, t));
      List<RunRecord> records = get(orch.runs(plan.experimentId(), null)).orElseThrow();
      int ok = (int) records.stream().filter(r -> r.state() == RunState.SUCCEEDED).count();
      return new Outcome(plan.experimentId(), records.size(), ok, tables, records, System.currentTimeMillis() - t0, dir,
          submitted.queued());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) throw re;
      throw new IllegalStateException(e.getCause());
    }
  }

  static <T> T get(CompletionStage<T> stage) throws InterruptedException, ExecutionException {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.MINUTES);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no answer from the orchestrator", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      while (c instanceof java.util.concurrent.CompletionException && c.getCause() != null) c = c.getCause();
      if (c instanceof RuntimeException re) throw re;
      throw e;
    }
  }
}

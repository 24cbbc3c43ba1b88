package org.modalgrid.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.Tables;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.grid.Planner;
import org.modalgrid.model.LateFusionTrainer;
import org.modalgrid.model.ThreadBudget;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.orchestrator.ExperimentSupervisor;
import org.modalgrid.orchestrator.Guardian;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.run.RunExecutor;

/**
 * One experiment, start to finish, in this JVM: plan it, start the actor system with local worker
 * slots, wait for every run to end, collect the tables, stop.
 */
public final class LocalRun {

  public record Outcome(String experimentId, int total, int succeeded, Map<String, Table> tables,
      List<RunRecord> records, long wallMillis) {}

  private LocalRun() {}

  /** Local device slots cpu:0 .. cpu:n-1, with the ND4J thread budget split between them. */
  public static List<String> cpuSlots(int n) {
    List<String> devices = new ArrayList<>();
    for (int i = 0; i < n; i++) devices.add("cpu:" + i);
    return devices;
  }

  public static int threadsPerSlot(int slots) {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / slots);
  }

  public static Outcome execute(ExperimentConfig cfg, Path dir, int workers, PrintStream progress) {
    long t0 = System.currentTimeMillis();
    DatasetCache cache = new DatasetCache();
    ExperimentPlan plan = Planner.plan(cfg, cache);
    if (progress != null) {
      progress.println("experiment " + plan.experimentId() + ": " + plan.runs().size() + " runs ("
          + plan.subsets().size() + " subsets x " + cfg.grid().fractions().size() + " fractions"
          + (cfg.grid().axes().isEmpty() ? "" : " x " + org.modalgrid.grid.GridSettings.axisPoints(cfg.grid().axes()).size() + " axis points")
          + " x " + cfg.grid().seeds().size() + " seeds) on " + workers + " local slot(s), "
          + threadsPerSlot(workers) + " thread(s) each");
      progress.println("dataset: " + Planner.describe(cfg, cache));
      progress.println("results: " + dir.toAbsolutePath().normalize());
      progress.flush();
    }
    ThreadBudget.apply(threadsPerSlot(workers));
    RunExecutor executor = new RunExecutor(cache, new LateFusionTrainer());
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    int maxAttempts = ConfigFactory.load().getInt("modalgrid.orchestrator.max-attempts");
    ActorSystem<Void> system = ActorSystem.create(
        Guardian.create(cpuSlots(workers), "local", executor, new ExperimentSupervisor.Settings(maxAttempts), started),
        "modalgrid");
    try {
      Guardian.Started refs = started.get(30, TimeUnit.SECONDS);
      CompletableFuture<Aggregator.ExperimentCompleted> done = new CompletableFuture<>();
      ActorRef<Aggregator.Update> printer =
          system.systemActorOf(ProgressPrinter.create(plan.experimentId(), progress, done), "progress", Props.empty());
      refs.aggregator().tell(new Aggregator.Subscribe(printer));
      AskPattern.<ExperimentSupervisor.Command, ExperimentSupervisor.Submitted>ask(refs.supervisor(),
          replyTo -> new ExperimentSupervisor.Submit(plan, dir, replyTo), Duration.ofSeconds(30), system.scheduler())
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      done.get();
      Duration timeout = Duration.ofSeconds(30);
      Map<String, Table> tables = new LinkedHashMap<>();
      for (String name : Tables.NAMES) {
        Optional<Table> t = AskPattern.<Aggregator.Command, Optional<Table>>ask(refs.aggregator(),
            replyTo -> new Aggregator.GetTable(plan.experimentId(), name, replyTo), timeout, system.scheduler())
            .toCompletableFuture().get(30, TimeUnit.SECONDS);
        t.ifPresent(x -> tables.put(name, x));
      }
      List<RunRecord> records = AskPattern.<Aggregator.Command, Optional<List<RunRecord>>>ask(refs.aggregator(),
          replyTo -> new Aggregator.GetRuns(plan.experimentId(), null, replyTo), timeout, system.scheduler())
          .toCompletableFuture().get(30, TimeUnit.SECONDS).orElseThrow();
      int ok = (int) records.stream().filter(r -> r.state() == org.modalgrid.orchestrator.RunState.SUCCEEDED).count();
      return new Outcome(plan.experimentId(), records.size(), ok, tables, records, System.currentTimeMillis() - t0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the orchestrator did not answer: " + e, e);
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // shutting down anyway
      }
    }
  }
}

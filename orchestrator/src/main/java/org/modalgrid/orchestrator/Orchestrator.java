package org.modalgrid.orchestrator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.modalgrid.analysis.Table;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.grid.Planner;
import org.modalgrid.run.RunExecution;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoredExperiment;

/**
 * A running orchestrator: the actor system with its supervisor, aggregator and local worker
 * slots, and asynchronous calls over them for the command line and the HTTP routes. With a
 * {@link ResultStore}, submitting an experiment the store knows takes it over where it stopped,
 * and {@link #resumeAll()} takes over every stored experiment after a restart.
 */
public final class Orchestrator implements AutoCloseable {

  public static final Duration ASK_TIMEOUT = Duration.ofSeconds(20);

  /**
   * @param localDevices device slots in this JVM (empty: a pure orchestrator)
   * @param runsDir      where results folders of submitted experiments go (null: no files)
   */
  public record Settings(List<String> localDevices, Path runsDir, int maxAttempts) {
    public static int defaultMaxAttempts() {
      return ConfigFactory.load().getInt("modalgrid.orchestrator.max-attempts");
    }
  }

  private final ActorSystem<Void> system;
  private final ActorRef<ExperimentSupervisor.Command> supervisor;
  private final ActorRef<Aggregator.Command> aggregator;
  private final DatasetCache cache;
  private final Path runsDir;
  private final ResultStore store;
  private final DataFileRegistry dataFiles = new DataFileRegistry();
  private final ExecutorService planning = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "modalgrid-planner");
    t.setDaemon(true);
    return t;
  });

  private Orchestrator(ActorSystem<Void> system, Guardian.Started refs, DatasetCache cache, Path runsDir,
      ResultStore store) {
    this.system = system;
    this.supervisor = refs.supervisor();
    this.aggregator = refs.aggregator();
    this.cache = cache;
    this.runsDir = runsDir;
    this.store = store;
  }

  public static Orchestrator start(String systemName, Config config, Settings settings, DatasetCache cache,
      RunExecution execution) {
    return start(systemName, config, settings, cache, execution, null);
  }

  /** @param store where results are kept (the orchestrator closes it when it stops); null for none */
  public static Orchestrator start(String systemName, Config config, Settings settings, DatasetCache cache,
      RunExecution execution, ResultStore store) {
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings.localDevices(), execution,
        new ExperimentSupervisor.Settings(settings.maxAttempts()), store, started), systemName, config);
    try {
      return new Orchestrator(system, started.get(30, TimeUnit.SECONDS), cache, settings.runsDir(), store);
    } catch (Exception e) {
      system.terminate();
      if (store != null) store.close();
      throw new IllegalStateException("the orchestrator did not start: " + e, e);
    }
  }

  public ActorSystem<Void> system() { return system; }
  public ActorRef<ExperimentSupervisor.Command> supervisor() { return supervisor; }
  public ActorRef<Aggregator.Command> aggregator() { return aggregator; }
  public DatasetCache cache() { return cache; }
  /** The result store, or empty when results are kept in memory only. */
  public Optional<ResultStore> store() { return Optional.ofNullable(store); }

  /** Plans an experiment (loading its data once, off the actor threads). */
  public CompletionStage<ExperimentPlan> plan(ExperimentConfig cfg) {
    return CompletableFuture.supplyAsync(() -> Planner.plan(cfg, cache), planning);
  }

  /** Plans and submits; results go to {@code dir}, or under the runs folder when null. */
  public CompletionStage<ExperimentSupervisor.Submitted> submit(ExperimentConfig cfg, Path dir) {
    return plan(cfg).thenCompose(p -> submit(p, dir));
  }

  public CompletionStage<ExperimentSupervisor.Submitted> submit(ExperimentPlan plan, Path dir) {
    return submit(plan, dir, null);
  }

  /**
   * Submits a plan. With a store, the plan's runs that the store already has start from their
   * stored records (finished ones are not run again), and an experiment the store already has is
   * taken over (it keeps its results folder unless {@code dir} names another).
   *
   * @param extendsId the experiment this one extends, or null
   */
  public CompletionStage<ExperimentSupervisor.Submitted> submit(ExperimentPlan plan, Path dir, String extendsId) {
    dataFiles.register(plan);
    if (store == null) {
      Path target = dir != null ? dir : runsDir == null ? null : runsDir.resolve(folderName(plan.config().name()));
      return ask(supervisor, r -> new ExperimentSupervisor.Submit(plan, target, r));
    }
    return CompletableFuture.supplyAsync(() -> new Prior(store.experiment(plan.experimentId()), store.runs(plan)),
        planning).thenCompose(loaded -> {
      Optional<StoredExperiment> prior = loaded.experiment();
      Map<String, RunRecord> stored = loaded.runs();
      Path target = dir != null ? dir
          : prior.map(StoredExperiment::resultsDir).filter(d -> d != null).map(Path::of)
              .orElse(runsDir == null ? null : runsDir.resolve(folderName(plan.config().name())));
      long createdAt = prior.map(StoredExperiment::createdAt).orElse(System.currentTimeMillis());
      String parent = extendsId != null ? extendsId : prior.map(StoredExperiment::extendsId).orElse(null);
      CompletionStage<ExperimentSupervisor.Submitted> s = ask(supervisor,
          r -> new ExperimentSupervisor.Resume(plan, target, createdAt, parent, stored, r));
      // an experiment the store already had was not created by this call
      return prior.isEmpty() ? s : s.thenApply(x -> new ExperimentSupervisor.Submitted(x.experimentId(), x.runs(),
          false, x.queued()));
    });
  }

  private record Prior(Optional<StoredExperiment> experiment, Map<String, RunRecord> runs) {}

  /**
   * Plans {@code cfg} as an extension of experiment {@code parentId}: runs the two share are
   * reused, only new ones run. Empty when {@code parentId} is unknown (here and in the store).
   */
  public CompletionStage<Optional<ExperimentSupervisor.Submitted>> extend(String parentId, ExperimentConfig cfg, Path dir) {
    return experiment(parentId).thenCompose(live -> {
      boolean known = live.isPresent() || (store != null && store.experiment(parentId).isPresent());
      if (!known) return CompletableFuture.completedFuture(Optional.<ExperimentSupervisor.Submitted>empty());
      return plan(cfg).thenCompose(p -> submit(p, dir, parentId)).thenApply(Optional::of);
    });
  }

  /** What {@link #resumeAll()} took over. */
  public record Resumed(int experiments, int queued, List<String> problems) {}

  /**
   * Takes over every experiment of the store, oldest first: finished runs keep their results,
   * runs that were running or queued are queued again. An experiment whose stored config no
   * longer plans the same runs is skipped and reported.
   */
  public Resumed resumeAll() {
    if (store == null) return new Resumed(0, 0, List.of());
    int n = 0;
    int queued = 0;
    List<String> problems = new java.util.ArrayList<>();
    for (StoredExperiment e : store.experiments()) {
      try {
        ExperimentSupervisor.Submitted s = submit(e.plan(), null, e.extendsId()).toCompletableFuture()
            .get(ASK_TIMEOUT.toMillis() * 3, TimeUnit.MILLISECONDS);
        n++;
        queued += s.queued();
      } catch (RuntimeException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
        Throwable c = ex.getCause() != null && !(ex instanceof RuntimeException) ? ex.getCause() : ex;
        problems.add(e.id() + ": " + c.getMessage());
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return new Resumed(n, queued, problems);
  }

  /** The store's record of an experiment, if there is a store and it has one. */
  public Optional<StoredExperiment> storedExperiment(String id) {
    return store == null ? Optional.empty() : store.experiment(id);
  }

  public static String folderName(String experimentName) {
    return experimentName + "-" + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"));
  }

  public CompletionStage<List<Aggregator.ExperimentSummary>> experiments() {
    return ask(aggregator, Aggregator.GetExperiments::new);
  }

  public CompletionStage<Optional<Aggregator.ExperimentSummary>> experiment(String id) {
    return ask(aggregator, r -> new Aggregator.GetExperiment(id, r));
  }

  public CompletionStage<Optional<List<RunRecord>>> runs(String experimentId, RunState state) {
    return ask(aggregator, r -> new Aggregator.GetRuns(experimentId, state, r));
  }

  public CompletionStage<Optional<RunRecord>> run(String runId) {
    return ask(aggregator, r -> new Aggregator.GetRun(runId, r));
  }

  public CompletionStage<Optional<Table>> table(String experimentId, String name) {
    return ask(aggregator, r -> new Aggregator.GetTable(experimentId, name, r));
  }

  public CompletionStage<ExperimentSupervisor.Reply> retry(String runId) {
    return ask(supervisor, r -> new ExperimentSupervisor.Retry(runId, r));
  }

  public CompletionStage<ExperimentSupervisor.Reply> retryFailed(String experimentId) {
    return ask(supervisor, r -> new ExperimentSupervisor.RetryFailed(experimentId, r));
  }

  public CompletionStage<ExperimentSupervisor.Reply> cancel(String runId) {
    return ask(supervisor, r -> new ExperimentSupervisor.Cancel(runId, r));
  }

  public CompletionStage<ExperimentSupervisor.Reply> cancelExperiment(String experimentId) {
    return ask(supervisor, r -> new ExperimentSupervisor.CancelExperiment(experimentId, r));
  }

  public CompletionStage<List<ExperimentSupervisor.SlotInfo>> workers() {
    return ask(supervisor, ExperimentSupervisor.GetWorkers::new);
  }

  /** Lets a worker node finish its runs and gives it no new ones. */
  public CompletionStage<ExperimentSupervisor.Reply> drain(String node) {
    return ask(supervisor, r -> new ExperimentSupervisor.Drain(node, r));
  }

  /** Gives a drained or quarantined worker node runs again. */
  public CompletionStage<ExperimentSupervisor.Reply> resumeWorker(String node) {
    return ask(supervisor, r -> new ExperimentSupervisor.ResumeWorker(node, r));
  }

  /** Tells the supervisor where worker nodes fetch dataset files: this orchestrator's HTTP address. */
  public void serveDataAt(String url) {
    supervisor.tell(new ExperimentSupervisor.ServeDataAt(url));
  }

  /** Dataset files of submitted experiments, served to worker nodes by hash. */
  public DataFileRegistry dataFiles() { return dataFiles; }

  private <Req, Res> CompletionStage<Res> ask(RecipientRef<Req> target, Function<ActorRef<Res>, Req> message) {
    return AskPattern.ask(target, message::apply, ASK_TIMEOUT, system.scheduler());
  }

  @Override
  public void close() {
    planning.shutdownNow();
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // shutting down anyway
    }
    if (store != null) store.close();
  }
}

package org.modalgrid.orchestrator;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
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

/**
 * A running orchestrator: the actor system with its supervisor, aggregator and local worker
 * slots, and asynchronous calls over them for the command line and the HTTP routes.
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
  private final DataFileRegistry dataFiles = new DataFileRegistry();
  private final ExecutorService planning = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "modalgrid-planner");
    t.setDaemon(true);
    return t;
  });

  private Orchestrator(ActorSystem<Void> system, Guardian.Started refs, DatasetCache cache, Path runsDir) {
    this.system = system;
    this.supervisor = refs.supervisor();
    this.aggregator = refs.aggregator();
    this.cache = cache;
    this.runsDir = runsDir;
  }

  public static Orchestrator start(String systemName, Config config, Settings settings, DatasetCache cache,
      RunExecution execution) {
    CompletableFuture<Guardian.Started> started = new CompletableFuture<>();
    ActorSystem<Void> system = ActorSystem.create(Guardian.create(settings.localDevices(), execution,
        new ExperimentSupervisor.Settings(settings.maxAttempts()), started), systemName, config);
    try {
      return new Orchestrator(system, started.get(30, TimeUnit.SECONDS), cache, settings.runsDir());
    } catch (Exception e) {
      system.terminate();
      throw new IllegalStateException("the orchestrator did not start: " + e, e);
    }
  }

  public ActorSystem<Void> system() { return system; }
  public ActorRef<ExperimentSupervisor.Command> supervisor() { return supervisor; }
  public ActorRef<Aggregator.Command> aggregator() { return aggregator; }
  public DatasetCache cache() { return cache; }

  /** Plans an experiment (loading its data once, off the actor threads). */
  public CompletionStage<ExperimentPlan> plan(ExperimentConfig cfg) {
    return CompletableFuture.supplyAsync(() -> Planner.plan(cfg, cache), planning);
  }

  /** Plans and submits; results go to {@code dir}, or under the runs folder when null. */
  public CompletionStage<ExperimentSupervisor.Submitted> submit(ExperimentConfig cfg, Path dir) {
    return plan(cfg).thenCompose(p -> submit(p, dir));
  }

  public CompletionStage<ExperimentSupervisor.Submitted> submit(ExperimentPlan plan, Path dir) {
    dataFiles.register(plan);
    Path target = dir != null ? dir : runsDir == null ? null : runsDir.resolve(folderName(plan.config().name()));
    return ask(supervisor, r -> new ExperimentSupervisor.Submit(plan, target, r));
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
  }
}

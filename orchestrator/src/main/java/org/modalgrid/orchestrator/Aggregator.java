package org.modalgrid.orchestrator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.Tables;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.results.ResultsFolder;
import org.modalgrid.store.EpochRow;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoreException;
import org.modalgrid.store.StoredExperiment;

/**
 * Owns what the experiments have produced: a {@link RunRecord} per run, the result tables, and
 * the results folders. Receives the supervisor's validated run events, answers queries, and
 * pushes {@link Update}s to subscribers (the CLI's progress printer, the server's event stream).
 *
 * <p>With a {@link ResultStore}, every change is committed before it is applied and published: a
 * result is acknowledged (visible in the API, the event stream and the files, and counted as
 * finished) only once it is in the store. A result that cannot be committed fails its run with
 * the store's reason, and the supervisor is told. Epochs are batched: they are committed with the
 * run's next change or within {@link #EPOCH_FLUSH}. The store is used synchronously, so this actor
 * runs on its own dispatcher ({@link #DISPATCHER}), never on the default one.
 */
public final class Aggregator extends AbstractBehavior<Aggregator.Command> {

  public sealed interface Command {}

  /** The dispatcher the aggregator runs on (see {@code reference.conf}): store calls block. */
  public static final String DISPATCHER = "modalgrid-store-dispatcher";

  /** How long an epoch may wait in memory before it is committed. */
  public static final Duration EPOCH_FLUSH = Duration.ofMillis(500);

  /**
   * A new experiment. Each run's record is the one another experiment already holds (a shared
   * run), else the stored one ({@code stored}, e.g. after a restart; a run that was running is
   * queued again with its attempt closed as lost), else a new queued one. {@code resultsDir} may be
   * null (no files).
   *
   * @param extendsId the experiment this one extends, or null
   */
  public record Register(ExperimentPlan plan, Path resultsDir, long createdAt, String extendsId,
      Map<String, RunRecord> stored) implements Command {

    public Register(ExperimentPlan plan, Path resultsDir) {
      this(plan, resultsDir, System.currentTimeMillis(), null, Map.of());
    }
  }

  /** Where to report runs whose result could not be committed. */
  public record SupervisedBy(ActorRef<ExperimentSupervisor.Command> supervisor) implements Command {}

  private enum FlushEpochs implements Command { INSTANCE }

  /** A run event the supervisor accepted (stale events never reach here). */
  public record Observe(RunEvent event, boolean requeued) implements Command {}

  /** A run was put back in the queue by a manual retry. */
  public record Requeued(String runId) implements Command {}

  /** A queued run was cancelled before any worker took it. */
  public record CancelledQueued(String runId) implements Command {}

  public record Subscribe(ActorRef<Update> subscriber) implements Command {}

  /**
   * Subscribe, receiving first a {@link Snapshot} of the current state (the runs of
   * {@code experimentId}, or of every experiment when null), then every later update: nothing is
   * missed between the two.
   */
  public record SubscribeWithSnapshot(ActorRef<Update> subscriber, String experimentId) implements Command {}

  public record Unsubscribe(ActorRef<Update> subscriber) implements Command {}

  public record GetExperiments(ActorRef<List<ExperimentSummary>> replyTo) implements Command {}

  public record GetExperiment(String experimentId, ActorRef<Optional<ExperimentSummary>> replyTo) implements Command {}

  /** Runs of an experiment, optionally only those in {@code state}; empty when the experiment is unknown. */
  public record GetRuns(String experimentId, RunState state, ActorRef<Optional<List<RunRecord>>> replyTo) implements Command {}

  public record GetRun(String runId, ActorRef<Optional<RunRecord>> replyTo) implements Command {}

  public record GetTable(String experimentId, String table, ActorRef<Optional<Table>> replyTo) implements Command {}

  /** What subscribers receive. */
  public sealed interface Update {
    String experimentId();
  }

  public record ExperimentAdded(String experimentId, ExperimentSummary summary) implements Update {}

  /** The state when a subscription started. {@code experimentId} is the filter, or null. */
  public record Snapshot(String experimentId, List<ExperimentSummary> experiments, List<RunRecord> runs) implements Update {}

  /** A run changed state (queued, started, succeeded, failed, cancelled). */
  public record RunChanged(String experimentId, RunRecord record, ExperimentSummary summary) implements Update {}

  public record EpochProgress(String experimentId, String runId, int attempt, EpochStat stat) implements Update {}

  /** The tables of an experiment were recomputed after a run succeeded. */
  public record TablesUpdated(String experimentId) implements Update {}

  /** Every run of the experiment is terminal; results are written. */
  public record ExperimentCompleted(String experimentId, ExperimentSummary summary, Path resultsDir) implements Update {}

  /**
   * @param counts by state label
   * @param etaMillis estimated time to finish, from the mean duration of finished runs and the
   *                  number of busy slots; null when unknown
   */
  public record ExperimentSummary(String experimentId, String name, String source, String task, long createdAt,
      int total, Map<String, Integer> counts, boolean completed, Long etaMillis, String resultsDir,
      ExperimentPlan plan) {

    public String status() {
      if (!completed) return counts.getOrDefault("running", 0) > 0 ? "running" : "queued";
      return counts.getOrDefault("succeeded", 0) == total ? "succeeded" : "finished-with-failures";
    }
  }

  /** An aggregator that keeps nothing beyond memory. */
  public static Behavior<Command> create() {
    return create(null);
  }

  /** @param store where every change is committed; null for none */
  public static Behavior<Command> create(ResultStore store) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Aggregator(ctx, timers, store)));
  }

  /** Spawn the aggregator with these props: its own dispatcher. */
  public static DispatcherSelector dispatcher() {
    return DispatcherSelector.fromConfig(DISPATCHER);
  }

  private final Map<String, ExperimentView> experiments = new LinkedHashMap<>();
  private final Map<String, List<String>> experimentsOfRun = new HashMap<>();
  private final List<ActorRef<Update>> subscribers = new ArrayList<>();
  private final ResultStore store;
  private final TimerScheduler<Command> timers;
  private final List<EpochRow> pendingEpochs = new ArrayList<>();
  private ActorRef<ExperimentSupervisor.Command> supervisor;

  private Aggregator(ActorContext<Command> ctx, TimerScheduler<Command> timers, ResultStore store) {
    super(ctx);
    this.timers = timers;
    this.store = store;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onRegister)
        .onMessage(SupervisedBy.class, m -> {
          supervisor = m.supervisor();
          return this;
        })
        .onMessage(FlushEpochs.class, m -> {
          flushEpochs();
          return this;
        })
        .onSignal(PostStop.class, m -> {
          flushEpochs();
          return this;
        })
        .onMessage(Observe.class, this::onObserve)
        .onMessage(Requeued.class, this::onRequeued)
        .onMessage(CancelledQueued.class, this::onCancelledQueued)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(SubscribeWithSnapshot.class, this::onSubscribeWithSnapshot)
        .onMessage(Unsubscribe.class, m -> {
          subscribers.remove(m.subscriber());
          return this;
        })
        .onMessage(GetExperiments.class, this::onGetExperiments)
        .onMessage(GetExperiment.class, m -> {
          m.replyTo().tell(Optional.ofNullable(experiments.get(m.experimentId())).map(this::summary));
          return this;
        })
        .onMessage(GetRuns.class, this::onGetRuns)
        .onMessage(GetRun.class, m -> {
          List<ExperimentView> views = viewsOf(m.runId());
          m.replyTo().tell(views.isEmpty() ? Optional.empty() : Optional.of(views.get(0).records.get(m.runId())));
          return this;
        })
        .onMessage(GetTable.class, this::onGetTable)
        .build();
  }

  private Behavior<Command> onRegister(Register msg) {
    ExperimentPlan plan = msg.plan();
    String id = plan.experimentId();
    if (experiments.containsKey(id)) return this;
    long now = System.currentTimeMillis();
    ExperimentView view = new ExperimentView(plan, null, msg.createdAt());
    List<RunRecord> changed = new ArrayList<>();
    for (RunSpec spec : plan.runs()) {
      String runId = spec.runId();
      List<ExperimentView> sharing = viewsOf(runId);
      RunRecord stored = msg.stored().get(runId);
      if (!sharing.isEmpty()) {
        view.records.put(runId, sharing.get(0).records.get(runId).inExperiment(id));
      } else if (stored != null) {
        RunRecord resumed = stored.inExperiment(id).resumed(now);
        if (resumed != stored.inExperiment(id)) changed.add(resumed);
        view.records.put(runId, resumed);
      }
    }
    if (store != null) {
      try {
        store.saveExperiment(StoredExperiment.of(plan, msg.extendsId(), msg.resultsDir() == null ? null
            : msg.resultsDir().toString(), msg.createdAt()), plan, changed);
      } catch (StoreException e) {
        getContext().getLog().error("experiment {} is not in the store, its results will not be kept: {}", id,
            e.getMessage());
      }
    }
    ResultsFolder folder = null;
    if (msg.resultsDir() != null) {
      try {
        folder = ResultsFolder.create(msg.resultsDir(), plan, store == null ? null : store.location(), msg.extendsId());
        List<RunRecord> done = view.records.values().stream().filter(r -> r.state().terminal()).toList();
        if (!done.isEmpty()) folder.writeRuns(done);
      } catch (RuntimeException ex) {
        getContext().getLog().error("{}", ex.getMessage());
      }
    }
    view.folder = folder;
    experiments.put(id, view);
    view.records.keySet().forEach(r -> experimentsOfRun.computeIfAbsent(r, k -> new ArrayList<>()).add(id));
    publish(new ExperimentAdded(id, summary(view)));
    if (view.allTerminal()) complete(view);
    return this;
  }

  private Behavior<Command> onObserve(Observe msg) {
    RunEvent e = msg.event();
    List<ExperimentView> views = viewsOf(e.runId());
    if (views.isEmpty()) return this;
    RunRecord r = views.get(0).records.get(e.runId());
    RunRecord next;
    if (e instanceof RunEvent.Started s) {
      next = r.started(s.attempt(), s.workerId(), s.device(), s.atMillis());
    } else if (e instanceof RunEvent.Epoch ep) {
      if (store != null) {
        pendingEpochs.add(new EpochRow(e.runId(), ep.attempt(), ep.stat()));
        if (!timers.isTimerActive(FlushEpochs.INSTANCE)) timers.startSingleTimer(FlushEpochs.INSTANCE, EPOCH_FLUSH);
      }
      for (ExperimentView view : views) {
        view.records.put(r.runId(), view.records.get(r.runId()).epoch(ep.stat()));
        publish(new EpochProgress(view.plan.experimentId(), r.runId(), ep.attempt(), ep.stat()));
      }
      return this;
    } else if (e instanceof RunEvent.Succeeded s) {
      next = r.succeeded(s.result(), s.atMillis());
      String problem = persist(next);
      if (problem != null) {
        // Not committed, so not acknowledged: the run fails with the store's reason and can be retried.
        next = r.failed("store", "the result was not kept: " + problem, false, System.currentTimeMillis());
        if (supervisor != null) supervisor.tell(new ExperimentSupervisor.ResultNotStored(r.runId()));
        updateAll(views, next);
        return this;
      }
      updateAll(views, next);
      return this;
    } else {
      RunEvent.Failed f = (RunEvent.Failed) e;
      next = r.failed(f.kind(), f.reason(), msg.requeued(), f.atMillis());
    }
    persist(next);
    updateAll(views, next);
    return this;
  }

  private Behavior<Command> onRequeued(Requeued msg) {
    List<ExperimentView> views = viewsOf(msg.runId());
    if (views.isEmpty()) return this;
    RunRecord next = views.get(0).records.get(msg.runId()).requeued(System.currentTimeMillis());
    persist(next);
    updateAll(views, next);
    return this;
  }

  private Behavior<Command> onCancelledQueued(CancelledQueued msg) {
    List<ExperimentView> views = viewsOf(msg.runId());
    if (views.isEmpty()) return this;
    RunRecord next = views.get(0).records.get(msg.runId()).cancelledWhileQueued(System.currentTimeMillis());
    persist(next);
    updateAll(views, next);
    return this;
  }

  /** Commits a run's new state with the epochs waiting; returns null, or why it failed. */
  private String persist(RunRecord next) {
    if (store == null) return null;
    List<EpochRow> epochs = new ArrayList<>(pendingEpochs);
    pendingEpochs.clear();
    // a result carries its whole history, which the store writes with it
    if (next.result() != null) epochs.removeIf(e -> e.runId().equals(next.runId()));
    try {
      store.saveRun(next, epochs);
      return null;
    } catch (StoreException e) {
      getContext().getLog().error("run {}: {}", next.runId(), e.getMessage());
      return e.getMessage();
    }
  }

  private void flushEpochs() {
    if (store == null || pendingEpochs.isEmpty()) return;
    List<EpochRow> epochs = new ArrayList<>(pendingEpochs);
    pendingEpochs.clear();
    try {
      store.saveEpochs(epochs);
    } catch (StoreException e) {
      getContext().getLog().error("{} epochs were not kept: {}", epochs.size(), e.getMessage());
    }
  }

  private void updateAll(List<ExperimentView> views, RunRecord next) {
    for (ExperimentView view : views) update(view, next.inExperiment(view.plan.experimentId()));
  }

  private void update(ExperimentView view, RunRecord next) {
    RunRecord previous = view.records.put(next.runId(), next);
    String id = view.plan.experimentId();
    if (next.state().terminal() && view.folder != null) {
      try {
        view.folder.append(next);
      } catch (RuntimeException ex) {
        getContext().getLog().error("{}", ex.getMessage());
      }
    }
    if (!next.state().terminal()) view.completed = false;
    publish(new RunChanged(id, next, summary(view)));
    if (next.state() == RunState.SUCCEEDED
        || (previous != null && previous.state() == RunState.SUCCEEDED)) {
      publish(new TablesUpdated(id));
    }
    if (view.allTerminal() && !view.completed) complete(view);
  }

  private void complete(ExperimentView view) {
    view.completed = true;
    if (view.folder != null) {
      try {
        view.folder.writeAll(view.records.values(), view.tables());
      } catch (RuntimeException ex) {
        getContext().getLog().error("{}", ex.getMessage());
      }
    }
    publish(new ExperimentCompleted(view.plan.experimentId(), summary(view), view.folder == null ? null : view.folder.dir()));
  }

  private Behavior<Command> onSubscribe(Subscribe msg) {
    subscribers.add(msg.subscriber());
    getContext().watchWith(msg.subscriber(), new Unsubscribe(msg.subscriber()));
    return this;
  }

  private Behavior<Command> onSubscribeWithSnapshot(SubscribeWithSnapshot msg) {
    List<RunRecord> runs = new ArrayList<>();
    for (ExperimentView v : experiments.values()) {
      if (msg.experimentId() == null || msg.experimentId().equals(v.plan.experimentId())) runs.addAll(v.records.values());
    }
    msg.subscriber().tell(new Snapshot(msg.experimentId(), experiments.values().stream().map(this::summary).toList(), runs));
    return onSubscribe(new Subscribe(msg.subscriber()));
  }

  private Behavior<Command> onGetExperiments(GetExperiments msg) {
    msg.replyTo().tell(experiments.values().stream().map(this::summary).toList());
    return this;
  }

  private Behavior<Command> onGetRuns(GetRuns msg) {
    ExperimentView view = experiments.get(msg.experimentId());
    if (view == null) {
      msg.replyTo().tell(Optional.empty());
    } else {
      msg.replyTo().tell(Optional.of(view.records.values().stream()
          .filter(r -> msg.state() == null || r.state() == msg.state()).toList()));
    }
    return this;
  }

  private Behavior<Command> onGetTable(GetTable msg) {
    ExperimentView view = experiments.get(msg.experimentId());
    if (view == null || !Tables.NAMES.contains(msg.table())) {
      msg.replyTo().tell(Optional.empty());
    } else {
      msg.replyTo().tell(Optional.of(Tables.byName(msg.table(), view.shape(), view.observations())));
    }
    return this;
  }

  /** Every experiment that has this run (more than one when experiments share it, e.g. after an extend). */
  private List<ExperimentView> viewsOf(String runId) {
    List<String> ids = experimentsOfRun.get(runId);
    if (ids == null) return List.of();
    List<ExperimentView> out = new ArrayList<>(ids.size());
    for (String id : ids) out.add(experiments.get(id));
    return out;
  }

  private void publish(Update u) {
    for (ActorRef<Update> s : subscribers) s.tell(u);
  }

  private ExperimentSummary summary(ExperimentView v) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    v.counts().forEach((k, n) -> counts.put(k.label(), n));
    return new ExperimentSummary(v.plan.experimentId(), v.plan.config().name(), v.plan.config().source(),
        v.plan.task().name().toLowerCase(), v.createdAt, v.records.size(), counts, v.completed, eta(v),
        v.folder == null ? null : v.folder.dir().toString(), v.plan);
  }

  /** Remaining runs times the mean run duration, divided by the number of runs in flight. */
  private static Long eta(ExperimentView v) {
    long done = 0;
    long total = 0;
    int running = 0;
    int remaining = 0;
    for (RunRecord r : v.records.values()) {
      if (r.state() == RunState.SUCCEEDED && r.result() != null) {
        done++;
        total += r.result().totalMillis();
      }
      if (r.state() == RunState.RUNNING) running++;
      if (!r.state().terminal()) remaining++;
    }
    if (remaining == 0) return 0L;
    if (done == 0 || running == 0) return null;
    return (long) ((double) total / done * remaining / running);
  }
}

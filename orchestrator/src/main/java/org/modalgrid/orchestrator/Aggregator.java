package org.modalgrid.orchestrator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.Tables;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.results.ResultsFolder;

/**
 * Owns what the experiments have produced: a {@link RunRecord} per run, the result tables, and
 * the results folders. Receives the supervisor's validated run events, answers queries, and
 * pushes {@link Update}s to subscribers (the CLI's progress printer, the server's event stream).
 */
public final class Aggregator extends AbstractBehavior<Aggregator.Command> {

  public sealed interface Command {}

  /** A new experiment; its runs start queued. {@code resultsDir} may be null (no files). */
  public record Register(ExperimentPlan plan, Path resultsDir) implements Command {}

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

  public static Behavior<Command> create() {
    return Behaviors.setup(Aggregator::new);
  }

  private final Map<String, ExperimentView> experiments = new LinkedHashMap<>();
  private final Map<String, String> experimentOfRun = new HashMap<>();
  private final List<ActorRef<Update>> subscribers = new ArrayList<>();

  private Aggregator(ActorContext<Command> ctx) {
    super(ctx);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Register.class, this::onRegister)
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
          m.replyTo().tell(Optional.ofNullable(experimentOfRun.get(m.runId()))
              .map(experiments::get).map(v -> v.records.get(m.runId())));
          return this;
        })
        .onMessage(GetTable.class, this::onGetTable)
        .build();
  }

  private Behavior<Command> onRegister(Register msg) {
    ExperimentPlan plan = msg.plan();
    if (experiments.containsKey(plan.experimentId())) return this;
    ResultsFolder folder = msg.resultsDir() == null ? null : ResultsFolder.create(msg.resultsDir(), plan);
    ExperimentView view = new ExperimentView(plan, folder, System.currentTimeMillis());
    experiments.put(plan.experimentId(), view);
    view.records.keySet().forEach(id -> experimentOfRun.put(id, plan.experimentId()));
    publish(new ExperimentAdded(plan.experimentId(), summary(view)));
    return this;
  }

  private Behavior<Command> onObserve(Observe msg) {
    RunEvent e = msg.event();
    ExperimentView view = viewOf(e.runId());
    if (view == null) return this;
    RunRecord r = view.records.get(e.runId());
    RunRecord next;
    if (e instanceof RunEvent.Started s) {
      next = r.started(s.attempt(), s.workerId(), s.device(), s.atMillis());
    } else if (e instanceof RunEvent.Epoch ep) {
      view.records.put(r.runId(), r.epoch(ep.stat()));
      publish(new EpochProgress(view.plan.experimentId(), r.runId(), ep.attempt(), ep.stat()));
      return this;
    } else if (e instanceof RunEvent.Succeeded s) {
      next = r.succeeded(s.result(), s.atMillis());
    } else {
      RunEvent.Failed f = (RunEvent.Failed) e;
      next = r.failed(f.kind(), f.reason(), msg.requeued(), f.atMillis());
    }
    update(view, next);
    return this;
  }

  private Behavior<Command> onRequeued(Requeued msg) {
    ExperimentView view = viewOf(msg.runId());
    if (view != null) update(view, view.records.get(msg.runId()).requeued(System.currentTimeMillis()));
    return this;
  }

  private Behavior<Command> onCancelledQueued(CancelledQueued msg) {
    ExperimentView view = viewOf(msg.runId());
    if (view != null) update(view, view.records.get(msg.runId()).cancelledWhileQueued(System.currentTimeMillis()));
    return this;
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
    if (view.allTerminal() && !view.completed) {
      view.completed = true;
      if (view.folder != null) {
        try {
          view.folder.writeAll(view.records.values(), view.tables());
        } catch (RuntimeException ex) {
          getContext().getLog().error("{}", ex.getMessage());
        }
      }
      publish(new ExperimentCompleted(id, summary(view), view.folder == null ? null : view.folder.dir()));
    }
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

  private ExperimentView viewOf(String runId) {
    String exp = experimentOfRun.get(runId);
    return exp == null ? null : experiments.get(exp);
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

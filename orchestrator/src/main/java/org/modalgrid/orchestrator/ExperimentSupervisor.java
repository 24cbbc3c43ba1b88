package org.modalgrid.orchestrator;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.modalgrid.grid.Chaos;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.worker.RunWorker;

/**
 * Expands nothing itself: it receives planned experiments, keeps the queue of runs, and hands
 * each run to an idle worker slot found through the Receptionist. It decides what a worker's
 * report means (retry a transient failure, drop a stale report from a lost worker) and forwards
 * accepted events to the {@link Aggregator}.
 */
public final class ExperimentSupervisor extends AbstractBehavior<ExperimentSupervisor.Command> {

  public sealed interface Command {}

  /** Queue every run of {@code plan}; results go to {@code resultsDir} (null for none). */
  public record Submit(ExperimentPlan plan, Path resultsDir, ActorRef<Submitted> replyTo) implements Command {}

  /**
   * Take over an experiment the store already knows (after a restart, or to extend it): runs with
   * a stored record start from it (finished ones are not run again; ones that were running or
   * queued are queued), other runs are queued.
   *
   * @param stored    the store's records of the plan's runs, by run id
   * @param extendsId the experiment this one extends, or null
   */
  public record Resume(ExperimentPlan plan, Path resultsDir, long createdAt, String extendsId,
      Map<String, RunRecord> stored, ActorRef<Submitted> replyTo) implements Command {}

  /**
   * @param created false when an experiment with the same id already existed (idempotent submit)
   * @param queued  how many of its runs were queued (the others were done, or shared with a known experiment)
   */
  public record Submitted(String experimentId, int runs, boolean created, int queued) {
    public Submitted(String experimentId, int runs, boolean created) {
      this(experimentId, runs, created, created ? runs : 0);
    }
  }

  /** The aggregator could not commit a run's result: the run is finished, but not succeeded. */
  public record ResultNotStored(String runId) implements Command {}

  /** Put a failed or cancelled run back in the queue. */
  public record Retry(String runId, ActorRef<Reply> replyTo) implements Command {}

  /** Retry every failed or cancelled run of an experiment. */
  public record RetryFailed(String experimentId, ActorRef<Reply> replyTo) implements Command {}

  public record Cancel(String runId, ActorRef<Reply> replyTo) implements Command {}

  public record CancelExperiment(String experimentId, ActorRef<Reply> replyTo) implements Command {}

  public record GetWorkers(ActorRef<List<SlotInfo>> replyTo) implements Command {}

  /**
   * The answer to a mutating request.
   *
   * @param status {@code ok}, {@code not-found} or {@code conflict}
   * @param runIds the runs it affected
   */
  public record Reply(String status, String message, List<String> runIds) {
    static Reply ok(String message, List<String> runIds) { return new Reply("ok", message, runIds); }
    static Reply notFound(String message) { return new Reply("not-found", message, List.of()); }
    static Reply conflict(String message) { return new Reply("conflict", message, List.of()); }
  }

  /** A device slot as the supervisor sees it. */
  public record SlotInfo(String worker, String node, String device, boolean busy, String runId) {}

  private record WorkersListed(Receptionist.Listing listing) implements Command {}

  private record WorkerEvent(RunEvent event) implements Command {}

  private record WorkerStopped(ActorRef<RunWorker.Command> worker) implements Command {}

  /** @param maxAttempts how many tries a run gets for transient failures (lost worker, resources) */
  public record Settings(int maxAttempts) {}

  public static Behavior<Command> create(ActorRef<Aggregator.Command> aggregator, Settings settings) {
    return Behaviors.setup(ctx -> new ExperimentSupervisor(ctx, aggregator, settings));
  }

  private enum Phase { QUEUED, RUNNING, DONE }

  private static final class RunSlot {
    final RunSpec spec;
    Phase phase = Phase.QUEUED;
    int attempts;
    /** attempts lost to orchestrator restarts: they do not count against max-attempts */
    int restarts;
    boolean succeeded;
    ActorRef<RunWorker.Command> worker;
    Chaos chaos = Chaos.NONE;

    RunSlot(RunSpec spec) {
      this.spec = spec;
    }
  }

  private static final class WorkerSlot {
    final ActorRef<RunWorker.Command> ref;
    String runId;

    WorkerSlot(ActorRef<RunWorker.Command> ref) {
      this.ref = ref;
    }
  }

  private final ActorRef<Aggregator.Command> aggregator;
  private final Settings settings;
  private final ActorRef<RunEvent> eventAdapter;
  private final Map<String, RunSlot> runs = new HashMap<>();
  private final Map<String, List<String>> runsOfExperiment = new LinkedHashMap<>();
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Map<ActorRef<RunWorker.Command>, WorkerSlot> workers = new LinkedHashMap<>();

  private ExperimentSupervisor(ActorContext<Command> ctx, ActorRef<Aggregator.Command> aggregator, Settings settings) {
    super(ctx);
    this.aggregator = aggregator;
    this.settings = settings;
    this.eventAdapter = ctx.messageAdapter(RunEvent.class, WorkerEvent::new);
    ActorRef<Receptionist.Listing> listingAdapter = ctx.messageAdapter(Receptionist.Listing.class, WorkersListed::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(RunWorker.SERVICE_KEY, listingAdapter));
    aggregator.tell(new Aggregator.SupervisedBy(ctx.getSelf()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Resume.class, this::onResume)
        .onMessage(ResultNotStored.class, this::onResultNotStored)
        .onMessage(WorkersListed.class, this::onWorkersListed)
        .onMessage(WorkerEvent.class, this::onWorkerEvent)
        .onMessage(WorkerStopped.class, m -> onWorkerGone(m.worker(), "worker stopped"))
        .onMessage(Retry.class, this::onRetry)
        .onMessage(RetryFailed.class, this::onRetryFailed)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(CancelExperiment.class, this::onCancelExperiment)
        .onMessage(GetWorkers.class, this::onGetWorkers)
        .build();
  }

  private Behavior<Command> onSubmit(Submit msg) {
    return accept(msg.plan(), new Aggregator.Register(msg.plan(), msg.resultsDir()), Map.of(), msg.replyTo());
  }

  private Behavior<Command> onResume(Resume msg) {
    return accept(msg.plan(), new Aggregator.Register(msg.plan(), msg.resultsDir(), msg.createdAt(), msg.extendsId(),
        msg.stored()), msg.stored(), msg.replyTo());
  }

  private Behavior<Command> accept(ExperimentPlan plan, Aggregator.Register register, Map<String, RunRecord> stored,
      ActorRef<Submitted> replyTo) {
    if (runsOfExperiment.containsKey(plan.experimentId())) {
      replyTo.tell(new Submitted(plan.experimentId(), plan.runs().size(), false));
      return this;
    }
    aggregator.tell(register);
    List<String> ids = new ArrayList<>();
    int queued = 0;
    for (RunSpec spec : plan.runs()) {
      ids.add(spec.runId());
      RunSlot existing = runs.get(spec.runId());
      if (existing != null) continue;
      RunSlot slot = new RunSlot(spec);
      slot.chaos = plan.chaos();
      runs.put(spec.runId(), slot);
      RunRecord prior = stored.get(spec.runId());
      if (prior != null) {
        slot.attempts = prior.attempts().size();
        slot.restarts = (int) prior.attempts().stream()
            .filter(a -> RunRecord.RESTART_KIND.equals(a.kind()) || a.finishedAt() == null).count();
        if (prior.state().terminal()) {
          slot.phase = Phase.DONE;
          slot.succeeded = prior.state() == RunState.SUCCEEDED;
          continue;
        }
      }
      queue.add(spec.runId());
      queued++;
    }
    runsOfExperiment.put(plan.experimentId(), ids);
    getContext().getLog().info("experiment {}: {} runs, {} queued", plan.experimentId(), ids.size(), queued);
    replyTo.tell(new Submitted(plan.experimentId(), ids.size(), true, queued));
    dispatch();
    return this;
  }

  private Behavior<Command> onResultNotStored(ResultNotStored msg) {
    RunSlot r = runs.get(msg.runId());
    if (r != null && r.phase == Phase.DONE) r.succeeded = false;
    return this;
  }

  private Behavior<Command> onWorkersListed(WorkersListed msg) {
    Set<ActorRef<RunWorker.Command>> listed = msg.listing().getServiceInstances(RunWorker.SERVICE_KEY);
    for (ActorRef<RunWorker.Command> ref : listed) {
      if (!workers.containsKey(ref)) {
        workers.put(ref, new WorkerSlot(ref));
        getContext().watchWith(ref, new WorkerStopped(ref));
        getContext().getLog().info("worker slot joined: {}", ref.path());
      }
    }
    for (ActorRef<RunWorker.Command> ref : List.copyOf(workers.keySet())) {
      if (!listed.contains(ref)) onWorkerGone(ref, "worker left");
    }
    dispatch();
    return this;
  }

  private Behavior<Command> onWorkerGone(ActorRef<RunWorker.Command> ref, String why) {
    WorkerSlot w = workers.remove(ref);
    if (w == null) return this;
    getContext().getLog().warn("worker slot {} gone: {}", ref.path(), why);
    if (w.runId != null) {
      RunSlot r = runs.get(w.runId);
      if (r != null && r.phase == Phase.RUNNING && ref.equals(r.worker)) {
        fail(r, new RunEvent.Failed(w.runId, r.attempts, ref.path().toString(), "worker lost (" + why + ")",
            "worker-lost", true, System.currentTimeMillis()));
      }
    }
    dispatch();
    return this;
  }

  private Behavior<Command> onWorkerEvent(WorkerEvent msg) {
    RunEvent e = msg.event();
    RunSlot r = runs.get(e.runId());
    if (r == null || r.phase != Phase.RUNNING || r.attempts != e.attempt()) {
      getContext().getLog().debug("ignoring stale event {} for run {} attempt {}", e.getClass().getSimpleName(),
          e.runId(), e.attempt());
      return this;
    }
    if (e instanceof RunEvent.Failed f && f.kind().equals("busy")) {
      // The slot was taken after all: not a real attempt. Queue the run again, first in line.
      releaseWorker(r);
      r.phase = Phase.QUEUED;
      r.attempts--;
      queue.addFirst(r.spec.runId());
      dispatch();
      return this;
    }
    if (e instanceof RunEvent.Succeeded) {
      releaseWorker(r);
      r.phase = Phase.DONE;
      r.succeeded = true;
      aggregator.tell(new Aggregator.Observe(e, false));
      dispatch();
    } else if (e instanceof RunEvent.Failed f) {
      fail(r, f);
      dispatch();
    } else {
      aggregator.tell(new Aggregator.Observe(e, false));
    }
    return this;
  }

  /** Records a failed attempt; transient failures go back in the queue while attempts remain. */
  private void fail(RunSlot r, RunEvent.Failed f) {
    releaseWorker(r);
    boolean again = f.retryable() && r.attempts - r.restarts < settings.maxAttempts();
    r.phase = again ? Phase.QUEUED : Phase.DONE;
    if (again) queue.add(r.spec.runId());
    aggregator.tell(new Aggregator.Observe(f, again));
  }

  private void releaseWorker(RunSlot r) {
    if (r.worker != null) {
      WorkerSlot w = workers.get(r.worker);
      if (w != null && r.spec.runId().equals(w.runId)) w.runId = null;
    }
    r.worker = null;
  }

  private void dispatch() {
    for (WorkerSlot w : workers.values()) {
      if (w.runId != null) continue;
      String runId = nextQueued();
      if (runId == null) return;
      RunSlot r = runs.get(runId);
      r.phase = Phase.RUNNING;
      r.attempts++;
      r.worker = w.ref;
      w.runId = runId;
      RunSpec spec = r.chaos.apply(r.spec, r.attempts);
      w.ref.tell(new RunWorker.StartRun(spec, r.attempts, eventAdapter));
    }
  }

  private String nextQueued() {
    while (!queue.isEmpty()) {
      String id = queue.poll();
      RunSlot r = runs.get(id);
      if (r != null && r.phase == Phase.QUEUED) return id;
    }
    return null;
  }

  private Behavior<Command> onRetry(Retry msg) {
    RunSlot r = runs.get(msg.runId());
    if (r == null) {
      msg.replyTo().tell(Reply.notFound("no run '" + msg.runId() + "'"));
    } else if (r.phase != Phase.DONE) {
      msg.replyTo().tell(Reply.conflict("run " + msg.runId() + " is " + r.phase.name().toLowerCase() + "; only a finished run can be retried"));
    } else {
      requeue(r);
      msg.replyTo().tell(Reply.ok("run " + msg.runId() + " queued again", List.of(msg.runId())));
      dispatch();
    }
    return this;
  }

  private void requeue(RunSlot r) {
    r.phase = Phase.QUEUED;
    r.succeeded = false;
    queue.add(r.spec.runId());
    aggregator.tell(new Aggregator.Requeued(r.spec.runId()));
  }

  private Behavior<Command> onRetryFailed(RetryFailed msg) {
    List<String> ids = runsOfExperiment.get(msg.experimentId());
    if (ids == null) {
      msg.replyTo().tell(Reply.notFound("no experiment '" + msg.experimentId() + "'"));
      return this;
    }
    List<String> retried = new ArrayList<>();
    for (String id : ids) {
      RunSlot r = runs.get(id);
      if (r.phase == Phase.DONE && !r.succeeded) {
        requeue(r);
        retried.add(id);
      }
    }
    msg.replyTo().tell(Reply.ok(retried.size() + " runs queued again", retried));
    dispatch();
    return this;
  }

  private Behavior<Command> onCancel(Cancel msg) {
    RunSlot r = runs.get(msg.runId());
    if (r == null) {
      msg.replyTo().tell(Reply.notFound("no run '" + msg.runId() + "'"));
      return this;
    }
    if (r.phase == Phase.DONE) {
      msg.replyTo().tell(Reply.conflict("run " + msg.runId() + " has already finished"));
      return this;
    }
    cancel(r);
    msg.replyTo().tell(Reply.ok("run " + msg.runId() + " cancelled", List.of(msg.runId())));
    return this;
  }

  private void cancel(RunSlot r) {
    if (r.phase == Phase.QUEUED) {
      r.phase = Phase.DONE;
      aggregator.tell(new Aggregator.CancelledQueued(r.spec.runId()));
    } else if (r.phase == Phase.RUNNING && r.worker != null) {
      r.worker.tell(new RunWorker.CancelRun(r.spec.runId()));
    }
  }

  private Behavior<Command> onCancelExperiment(CancelExperiment msg) {
    List<String> ids = runsOfExperiment.get(msg.experimentId());
    if (ids == null) {
      msg.replyTo().tell(Reply.notFound("no experiment '" + msg.experimentId() + "'"));
      return this;
    }
    List<String> cancelled = new ArrayList<>();
    for (String id : ids) {
      RunSlot r = runs.get(id);
      if (r.phase != Phase.DONE) {
        cancel(r);
        cancelled.add(id);
      }
    }
    msg.replyTo().tell(Reply.ok(cancelled.size() + " runs cancelled", cancelled));
    return this;
  }

  private Behavior<Command> onGetWorkers(GetWorkers msg) {
    List<SlotInfo> out = new ArrayList<>();
    for (WorkerSlot w : workers.values()) {
      String name = w.ref.path().name();
      String device = name.startsWith("slot-") ? name.substring(5).replaceFirst("-", ":") : name;
      String node = w.ref.path().address().hostPort();
      out.add(new SlotInfo(node + "/" + device, node, device, w.runId != null, w.runId));
    }
    msg.replyTo().tell(out);
    return this;
  }
}

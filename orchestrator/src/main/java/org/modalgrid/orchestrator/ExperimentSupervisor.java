package org.modalgrid.orchestrator;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.modalgrid.grid.Chaos;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.worker.ClusterConfig;
import org.modalgrid.worker.RunWorker;

/**
 * Expands nothing itself: it receives planned experiments, keeps the queue of runs, and hands
 * each run to an idle worker slot found through the Receptionist. It decides what a worker's
 * report means (retry a transient failure, drop a stale report from a lost worker) and forwards
 * accepted events to the {@link Aggregator}.
 *
 * <p>In cluster mode it runs as a Cluster Singleton on the orchestrator node and follows
 * membership: slots count once their node is up, a node the failure detector cannot reach gets no
 * new runs, and when the Split Brain Resolver downs it (or it leaves) its runs are failed as
 * "worker lost" and go back to the queue. A node can be drained (it finishes its runs and takes no
 * new ones), and a node whose runs keep failing for reasons of its own is quarantined.
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

  /** Let the worker node {@code node} finish its runs and give it no new ones. */
  public record Drain(String node, ActorRef<Reply> replyTo) implements Command {}

  /** Give runs to the worker node {@code node} again: ends a drain or a quarantine. */
  public record ResumeWorker(String node, ActorRef<Reply> replyTo) implements Command {}

  /** The orchestrator serves dataset files at {@code url} ({@code http://host:port}); workers fetch from there. */
  public record ServeDataAt(String url) implements Command {}

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

  /**
   * A device slot as the supervisor sees it, with the state of its node.
   *
   * @param reachable   false while the cluster's failure detector cannot reach the node
   * @param draining    the node finishes its runs and takes no new ones
   * @param quarantined the node's runs failed {@code quarantine-after} times in a row; it takes no new runs
   */
  public record SlotInfo(String worker, String node, String device, boolean busy, String runId,
      boolean reachable, boolean draining, boolean quarantined) {

    public SlotInfo(String worker, String node, String device, boolean busy, String runId) {
      this(worker, node, device, busy, runId, true, false, false);
    }
  }

  private record WorkersListed(Receptionist.Listing listing) implements Command {}

  private record WorkerEvent(RunEvent event) implements Command {}

  /** Try to hand out queued runs again (after a slot's "busy" back-off). */
  private enum Redispatch implements Command { INSTANCE }

  private static final java.time.Duration BUSY_BACKOFF = java.time.Duration.ofSeconds(1);

  private record WorkerStopped(ActorRef<RunWorker.Command> worker) implements Command {}

  private record MembershipChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  /**
   * @param maxAttempts     how many tries a run gets for transient failures (lost worker, resources)
   * @param quarantineAfter a node whose runs fail this many times in a row gets no new runs (0: never)
   * @param clustered       follow Pekko Cluster membership: slots count only on member nodes, slots of
   *                        unreachable nodes get no runs, and a downed or removed node's runs are lost
   */
  public record Settings(int maxAttempts, int quarantineAfter, boolean clustered) {
    public Settings(int maxAttempts) {
      this(maxAttempts, 0, false);
    }
  }

  /** Failure kinds that count against a node for its quarantine: the node's fault, not the run's. */
  static final Set<String> NODE_FAULTS = Set.of("resources", "error", "fetch", "chaos");

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
    /** When the current attempt was handed out, and whether its worker reported it started. */
    long dispatchedAt;
    boolean started;
    Chaos chaos = Chaos.NONE;

    RunSlot(RunSpec spec) {
      this.spec = spec;
    }
  }

  private static final class WorkerSlot {
    final ActorRef<RunWorker.Command> ref;
    final String node;
    final String device;
    String runId;
    /** A slot that answered "busy" gets no run before this time (it is still finishing another). */
    long busyUntil;

    WorkerSlot(ActorRef<RunWorker.Command> ref, String node, String device) {
      this.ref = ref;
      this.node = node;
      this.device = device;
    }
  }

  /** What the supervisor knows of a node that offers slots. */
  private static final class NodeState {
    boolean reachable = true;
    boolean draining;
    boolean quarantined;
    int failuresInARow;
  }

  private final ActorRef<Aggregator.Command> aggregator;
  private final Settings settings;
  private final ActorRef<RunEvent> eventAdapter;
  private final Map<String, RunSlot> runs = new HashMap<>();
  private final Map<String, List<String>> runsOfExperiment = new LinkedHashMap<>();
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private final Map<ActorRef<RunWorker.Command>, WorkerSlot> workers = new LinkedHashMap<>();
  /** Slots that stopped or left, until the Receptionist's listing forgets them too. */
  private final java.util.Set<ActorRef<RunWorker.Command>> gone = new java.util.HashSet<>();
  private final Map<String, NodeState> nodes = new LinkedHashMap<>();
  /** Cluster mode: the nodes that are members now (up), by node id. */
  private final Set<String> members = new java.util.HashSet<>();
  private final Address selfAddress;
  private Set<ActorRef<RunWorker.Command>> lastListing = Set.of();
  private String dataUrl;

  private ExperimentSupervisor(ActorContext<Command> ctx, ActorRef<Aggregator.Command> aggregator, Settings settings) {
    super(ctx);
    this.aggregator = aggregator;
    this.settings = settings;
    this.selfAddress = ctx.getSystem().address();
    this.eventAdapter = ctx.messageAdapter(RunEvent.class, WorkerEvent::new);
    ActorRef<Receptionist.Listing> listingAdapter = ctx.messageAdapter(Receptionist.Listing.class, WorkersListed::new);
    ctx.getSystem().receptionist().tell(Receptionist.subscribe(RunWorker.SERVICE_KEY, listingAdapter));
    aggregator.tell(new Aggregator.SupervisedBy(ctx.getSelf()));
    if (settings.clustered()) {
      Cluster cluster = Cluster.get(ctx.getSystem());
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberEvent.class, MembershipChanged::new), ClusterEvent.MemberEvent.class));
      cluster.subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
          ClusterEvent.ReachabilityEvent.class));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Resume.class, this::onResume)
        .onMessage(ResultNotStored.class, this::onResultNotStored)
        .onMessage(WorkersListed.class, this::onWorkersListed)
        .onMessage(WorkerEvent.class, this::onWorkerEvent)
        .onMessageEquals(Redispatch.INSTANCE, () -> {
          dispatch();
          return this;
        })
        .onMessage(WorkerStopped.class, m -> onWorkerGone(m.worker(), "worker stopped"))
        .onMessage(Retry.class, this::onRetry)
        .onMessage(RetryFailed.class, this::onRetryFailed)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(CancelExperiment.class, this::onCancelExperiment)
        .onMessage(GetWorkers.class, this::onGetWorkers)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(ResumeWorker.class, this::onResumeWorker)
        .onMessage(ServeDataAt.class, this::onServeDataAt)
        .onMessage(MembershipChanged.class, this::onMembershipChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
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
    // Every registered slot, reachable or not: an unreachable node keeps its runs until the Split
    // Brain Resolver downs it (cluster mode) and only then are they lost.
    lastListing = msg.listing().getAllServiceInstances(RunWorker.SERVICE_KEY);
    reconcile();
    return this;
  }

  /** Adds listed slots of member nodes, drops slots no longer listed, then dispatches. */
  private void reconcile() {
    // A slot known to be gone may still be listed for a while (the listing lags DeathWatch):
    // never take it back, or a requeued run would be handed to a dead slot and lose an attempt.
    gone.retainAll(lastListing);
    for (ActorRef<RunWorker.Command> ref : lastListing) {
      String node = nodeOf(ref);
      if (!workers.containsKey(ref) && !gone.contains(ref) && (!settings.clustered() || members.contains(node))) {
        workers.put(ref, new WorkerSlot(ref, node, deviceOf(ref)));
        nodes.computeIfAbsent(node, n -> new NodeState());
        getContext().watchWith(ref, new WorkerStopped(ref));
        getContext().getLog().info("worker slot joined: {}", ref.path());
      }
    }
    for (ActorRef<RunWorker.Command> ref : List.copyOf(workers.keySet())) {
      if (!lastListing.contains(ref)) onWorkerGone(ref, "worker left");
    }
    dispatch();
  }

  private Behavior<Command> onWorkerGone(ActorRef<RunWorker.Command> ref, String why) {
    WorkerSlot w = workers.remove(ref);
    if (w == null) return this;
    gone.add(ref);
    getContext().getLog().warn("worker slot {} gone: {}", ref.path(), why);
    if (w.runId != null) {
      RunSlot r = runs.get(w.runId);
      if (r != null && r.phase == Phase.RUNNING && ref.equals(r.worker)) {
        if (!r.started) {
          // lost before it could report: record the attempt, so that the loss shows in its history
          aggregator.tell(new Aggregator.Observe(new RunEvent.Started(w.runId, r.attempts, w.node + "/" + w.device,
              w.device, r.dispatchedAt), false));
        }
        fail(r, new RunEvent.Failed(w.runId, r.attempts, w.node + "/" + w.device, "worker lost (" + why + ")",
            "worker-lost", true, System.currentTimeMillis()));
      }
    }
    if (workers.values().stream().noneMatch(x -> x.node.equals(w.node))) nodes.remove(w.node);
    dispatch();
    return this;
  }

  private Behavior<Command> onMembershipChanged(MembershipChanged msg) {
    ClusterEvent.MemberEvent e = msg.event();
    String node = ClusterConfig.nodeId(e.member().address());
    if (e instanceof ClusterEvent.MemberUp || e instanceof ClusterEvent.MemberWeaklyUp) {
      if (members.add(node)) reconcile();
    } else if (e instanceof ClusterEvent.MemberDowned || e instanceof ClusterEvent.MemberRemoved
        || e instanceof ClusterEvent.MemberExited || e instanceof ClusterEvent.MemberLeft) {
      boolean wasMember = members.remove(node);
      String why = e instanceof ClusterEvent.MemberDowned || (e instanceof ClusterEvent.MemberRemoved m
          && m.previousStatus() == MemberStatus.down())
          ? "node " + node + " was downed after it became unreachable"
          : "node " + node + " left the cluster";
      for (WorkerSlot w : List.copyOf(workers.values())) {
        if (w.node.equals(node)) onWorkerGone(w.ref, why);
      }
      if (wasMember) getContext().getLog().warn("{}", why);
    }
    return this;
  }

  private Behavior<Command> onReachabilityChanged(ReachabilityChanged msg) {
    ClusterEvent.ReachabilityEvent e = msg.event();
    String node = ClusterConfig.nodeId(e.member().address());
    NodeState n = nodes.get(node);
    if (n == null) return this;
    n.reachable = e instanceof ClusterEvent.ReachableMember;
    getContext().getLog().warn("node {} is {}", node, n.reachable ? "reachable again" : "unreachable");
    if (n.reachable) dispatch();
    return this;
  }

  /** The node of a slot: its host:port, or this node's for a slot in this JVM. */
  private String nodeOf(ActorRef<?> ref) {
    Address a = ref.path().address();
    return ClusterConfig.nodeId(a.host().isDefined() ? a : selfAddress);
  }

  /** Sorts cpu:2 before cpu:10. */
  private static String deviceKey(String device) {
    int colon = device.indexOf(':');
    if (colon < 0) return device;
    String n = device.substring(colon + 1);
    return device.substring(0, colon) + ":" + "0".repeat(Math.max(0, 6 - n.length())) + n;
  }

  private static String deviceOf(ActorRef<?> ref) {
    String name = ref.path().name();
    return name.startsWith("slot-") ? name.substring(5).replaceFirst("-", ":") : name;
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
      // The slot was taken after all: not a real attempt. Queue the run again, first in line, and
      // leave that slot alone for a while instead of offering it the run again at once.
      WorkerSlot slot = r.worker == null ? null : workers.get(r.worker);
      if (slot != null) {
        slot.busyUntil = System.currentTimeMillis() + BUSY_BACKOFF.toMillis();
        getContext().scheduleOnce(BUSY_BACKOFF, getContext().getSelf(), Redispatch.INSTANCE);
      }
      releaseWorker(r);
      r.phase = Phase.QUEUED;
      r.attempts--;
      queue.addFirst(r.spec.runId());
      dispatch();
      return this;
    }
    if (e instanceof RunEvent.Succeeded) {
      NodeState n = nodeOfRun(r);
      if (n != null) n.failuresInARow = 0;
      releaseWorker(r);
      r.phase = Phase.DONE;
      r.succeeded = true;
      aggregator.tell(new Aggregator.Observe(e, false));
      dispatch();
    } else if (e instanceof RunEvent.Failed f) {
      fail(r, f);
      dispatch();
    } else {
      if (e instanceof RunEvent.Started) r.started = true;
      aggregator.tell(new Aggregator.Observe(e, false));
    }
    return this;
  }

  /** Records a failed attempt; transient failures go back in the queue while attempts remain. */
  private void fail(RunSlot r, RunEvent.Failed f) {
    countAgainstNode(r, f);
    releaseWorker(r);
    boolean again = f.retryable() && r.attempts - r.restarts < settings.maxAttempts();
    r.phase = again ? Phase.QUEUED : Phase.DONE;
    // a lost worker's run goes first in line: it was under way, and its cell waits for it
    if (again && f.kind().equals("worker-lost")) queue.addFirst(r.spec.runId());
    else if (again) queue.add(r.spec.runId());
    aggregator.tell(new Aggregator.Observe(f, again));
  }

  private NodeState nodeOfRun(RunSlot r) {
    WorkerSlot w = r.worker == null ? null : workers.get(r.worker);
    return w == null ? null : nodes.get(w.node);
  }

  /** Quarantines a node whose runs failed {@code quarantineAfter} times in a row for reasons of its own. */
  private void countAgainstNode(RunSlot r, RunEvent.Failed f) {
    if (settings.quarantineAfter() <= 0 || !NODE_FAULTS.contains(f.kind())) return;
    WorkerSlot w = r.worker == null ? null : workers.get(r.worker);
    NodeState n = w == null ? null : nodes.get(w.node);
    if (n == null) return;
    n.failuresInARow++;
    if (!n.quarantined && n.failuresInARow >= settings.quarantineAfter()) {
      n.quarantined = true;
      getContext().getLog().warn("worker node {} quarantined: its last {} runs failed (last: {}); it gets no new runs"
          + " until POST /api/v1/workers/{}/resume", w.node, n.failuresInARow, f.reason(), w.node);
    }
  }

  private void releaseWorker(RunSlot r) {
    if (r.worker != null) {
      WorkerSlot w = workers.get(r.worker);
      if (w != null && r.spec.runId().equals(w.runId)) w.runId = null;
    }
    r.worker = null;
  }

  private boolean takesRuns(WorkerSlot w) {
    NodeState n = nodes.get(w.node);
    return n == null || (n.reachable && !n.draining && !n.quarantined);
  }

  private void dispatch() {
    long now = System.currentTimeMillis();
    for (WorkerSlot w : workers.values()) {
      if (w.runId != null || !takesRuns(w) || w.busyUntil > now) continue;
      String runId = nextQueued();
      if (runId == null) return;
      RunSlot r = runs.get(runId);
      r.phase = Phase.RUNNING;
      r.attempts++;
      r.worker = w.ref;
      r.dispatchedAt = System.currentTimeMillis();
      r.started = false;
      w.runId = runId;
      RunSpec spec = r.chaos.apply(r.spec, r.attempts);
      w.ref.tell(new RunWorker.StartRun(spec, r.attempts, eventAdapter, dataUrl));
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
      NodeState n = nodes.getOrDefault(w.node, new NodeState());
      out.add(new SlotInfo(w.node + "/" + w.device, w.node, w.device, w.runId != null, w.runId,
          n.reachable, n.draining, n.quarantined));
    }
    out.sort(java.util.Comparator.comparing(SlotInfo::node).thenComparing(x -> deviceKey(x.device())));
    msg.replyTo().tell(out);
    return this;
  }

  private Behavior<Command> onDrain(Drain msg) {
    NodeState n = nodes.get(msg.node());
    if (n == null) {
      msg.replyTo().tell(Reply.notFound("no worker node '" + msg.node() + "'; the nodes are " + nodes.keySet()));
      return this;
    }
    n.draining = true;
    List<String> inFlight = runsOn(msg.node());
    getContext().getLog().info("worker node {} draining; {} run(s) to finish", msg.node(), inFlight.size());
    msg.replyTo().tell(Reply.ok("worker node " + msg.node() + " is draining: it finishes " + inFlight.size()
        + " run(s) and takes no new ones", inFlight));
    return this;
  }

  private Behavior<Command> onResumeWorker(ResumeWorker msg) {
    NodeState n = nodes.get(msg.node());
    if (n == null) {
      msg.replyTo().tell(Reply.notFound("no worker node '" + msg.node() + "'; the nodes are " + nodes.keySet()));
      return this;
    }
    n.draining = false;
    n.quarantined = false;
    n.failuresInARow = 0;
    msg.replyTo().tell(Reply.ok("worker node " + msg.node() + " takes runs again", runsOn(msg.node())));
    dispatch();
    return this;
  }

  private List<String> runsOn(String node) {
    List<String> ids = new ArrayList<>();
    for (WorkerSlot w : workers.values()) if (w.node.equals(node) && w.runId != null) ids.add(w.runId);
    return ids;
  }

  private Behavior<Command> onServeDataAt(ServeDataAt msg) {
    dataUrl = msg.url();
    return this;
  }
}

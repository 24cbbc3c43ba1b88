package org.modalgrid.worker;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.modalgrid.data.DataFetcher;
import org.modalgrid.model.EpochStat;
import org.modalgrid.model.TrainingListener;
import org.modalgrid.protocol.CborSerializable;
import org.modalgrid.protocol.RunEvent;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.run.FailureKinds;
import org.modalgrid.run.RunExecution;

/**
 * One device slot: trains one run at a time, off the default dispatcher, and reports started,
 * per-epoch and final events to whoever handed it the run. Registers itself with the
 * Receptionist under {@link #SERVICE_KEY}, so supervisors on any node find it. Before training,
 * the training thread is bound to the slot's device ({@link Devices#bindCurrentThread}) and the
 * run's dataset files are checked, and fetched from the orchestrator when this node lacks them
 * ({@link DataFetcher}).
 */
public final class RunWorker extends AbstractBehavior<RunWorker.Command> {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "modalgrid-worker");

  /** The dispatcher training runs on (see {@code reference.conf}). */
  public static final String TRAINING_DISPATCHER = "modalgrid-training-dispatcher";

  public sealed interface Command {}

  /**
   * Train {@code spec} as attempt {@code attempt}; events go to {@code replyTo}.
   *
   * @param dataUrl the orchestrator's HTTP address, to fetch dataset files this node lacks; null for none
   */
  public record StartRun(RunSpec spec, int attempt, ActorRef<RunEvent> replyTo, String dataUrl)
      implements Command, CborSerializable {

    public StartRun(RunSpec spec, int attempt, ActorRef<RunEvent> replyTo) {
      this(spec, attempt, replyTo, null);
    }
  }

  /** Stop the run with this id if it is the one in progress. */
  public record CancelRun(String runId) implements Command, CborSerializable {}

  private record Done(String runId, int attempt, ActorRef<RunEvent> replyTo, RunResult result, Throwable error)
      implements Command {}

  /** The slot's device, e.g. {@code cpu:0}; the actor's name is derived from it. */
  public static String actorName(String device) {
    return "slot-" + device.replace(':', '-');
  }

  /** A slot whose dataset files are cached under {@code modalgrid.worker.cache-dir}. */
  public static Behavior<Command> create(String workerId, String device, RunExecution execution) {
    return Behaviors.setup(ctx -> new RunWorker(ctx, workerId, device, execution,
        new DataFetcher(DataFetcher.configuredCacheDir(ctx.getSystem().settings().config()))));
  }

  public static Behavior<Command> create(String workerId, String device, RunExecution execution, DataFetcher data) {
    return Behaviors.setup(ctx -> new RunWorker(ctx, workerId, device, execution, data));
  }

  private final String workerId;
  private final String device;
  private final RunExecution execution;
  private final DataFetcher data;
  private final Executor trainingExecutor;
  private final long progressIntervalNanos;
  private String currentRun;
  private int currentAttempt;
  private AtomicBoolean currentCancel;

  private RunWorker(ActorContext<Command> ctx, String workerId, String device, RunExecution execution,
      DataFetcher data) {
    super(ctx);
    this.workerId = workerId;
    this.device = device;
    this.execution = execution;
    this.data = data;
    this.trainingExecutor = ctx.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(TRAINING_DISPATCHER));
    this.progressIntervalNanos = ctx.getSystem().settings().config().getDuration("modalgrid.worker.progress-interval").toNanos();
    ctx.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, ctx.getSelf()));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(StartRun.class, this::onStartRun)
        .onMessage(CancelRun.class, this::onCancelRun)
        .onMessage(Done.class, this::onDone)
        .build();
  }

  private Behavior<Command> onStartRun(StartRun msg) {
    RunSpec spec = msg.spec();
    if (currentRun != null) {
      msg.replyTo().tell(new RunEvent.Failed(spec.runId(), msg.attempt(), workerId,
          "slot " + device + " is busy with " + currentRun, "busy", true, System.currentTimeMillis()));
      return this;
    }
    if (spec.failOnPurpose()) {
      msg.replyTo().tell(new RunEvent.Started(spec.runId(), msg.attempt(), workerId, device, System.currentTimeMillis()));
      msg.replyTo().tell(new RunEvent.Failed(spec.runId(), msg.attempt(), workerId,
          "planned failure of attempt " + msg.attempt() + " (chaos.fail-first-attempts)", "chaos", false,
          System.currentTimeMillis()));
      return this;
    }
    currentRun = spec.runId();
    currentAttempt = msg.attempt();
    AtomicBoolean cancel = new AtomicBoolean(false);
    currentCancel = cancel;
    ActorRef<RunEvent> replyTo = msg.replyTo();
    replyTo.tell(new RunEvent.Started(spec.runId(), msg.attempt(), workerId, device, System.currentTimeMillis()));
    getContext().getLog().debug("run {} attempt {} on {}", spec.runId(), msg.attempt(), device);
    int epochs = spec.train().epochs();
    TrainingListener listener = new TrainingListener() {
      private long lastSent;
      private boolean sent;

      /** At most one epoch event per progress interval; the last epoch and evaluated ones always go. */
      @Override
      public void onEpoch(EpochStat stat) {
        long now = System.nanoTime();
        if (!sent || now - lastSent >= progressIntervalNanos || stat.testMetric() != null || stat.epoch() >= epochs) {
          sent = true;
          lastSent = now;
          replyTo.tell(new RunEvent.Epoch(spec.runId(), msg.attempt(), stat));
        }
      }

      @Override
      public boolean stopRequested() {
        return cancel.get();
      }
    };
    CompletableFuture<RunResult> future = CompletableFuture.supplyAsync(() -> {
      Thread.currentThread().setName("train-" + device + "-" + spec.runId());
      Devices.bindCurrentThread(device);
      return execution.execute(data.localize(spec, msg.dataUrl()), listener);
    }, trainingExecutor);
    getContext().pipeToSelf(future, (result, error) -> new Done(spec.runId(), msg.attempt(), replyTo, result, error));
    return this;
  }

  private Behavior<Command> onCancelRun(CancelRun msg) {
    if (Objects.equals(msg.runId(), currentRun) && currentCancel != null) currentCancel.set(true);
    return this;
  }

  private Behavior<Command> onDone(Done done) {
    long now = System.currentTimeMillis();
    if (done.error() == null) {
      done.replyTo().tell(new RunEvent.Succeeded(done.runId(), done.attempt(), workerId, done.result(), now));
    } else {
      FailureKinds.Classified c = FailureKinds.classify(done.error());
      if (c.kind().equals("error")) {
        getContext().getLog().warn("run {} failed", done.runId(), done.error());
      }
      done.replyTo().tell(new RunEvent.Failed(done.runId(), done.attempt(), workerId, c.reason(), c.kind(), c.retryable(), now));
    }
    if (Objects.equals(done.runId(), currentRun) && done.attempt() == currentAttempt) {
      currentRun = null;
      currentCancel = null;
    }
    return this;
  }
}

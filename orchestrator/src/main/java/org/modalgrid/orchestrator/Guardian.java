package org.modalgrid.orchestrator;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.modalgrid.run.RunExecution;
import org.modalgrid.store.ResultStore;
import org.modalgrid.worker.RunWorker;

/**
 * The root of an orchestrator JVM: spawns the {@link Aggregator}, the {@link ExperimentSupervisor}
 * and, in embedded mode, one {@link RunWorker} per local device slot, then hands their
 * references to the caller.
 */
public final class Guardian {

  /** What the guardian started. */
  public record Started(ActorRef<ExperimentSupervisor.Command> supervisor, ActorRef<Aggregator.Command> aggregator) {}

  /**
   * @param localDevices device slots to run in this JVM, e.g. ["cpu:0", "cpu:1"]; empty for none
   */
  public static Behavior<Void> create(List<String> localDevices, RunExecution execution,
      ExperimentSupervisor.Settings settings, CompletableFuture<Started> started) {
    return create(localDevices, execution, settings, null, started);
  }

  /** @param store where the aggregator commits every change; null for none */
  public static Behavior<Void> create(List<String> localDevices, RunExecution execution,
      ExperimentSupervisor.Settings settings, ResultStore store, CompletableFuture<Started> started) {
    return Behaviors.setup(ctx -> {
      ActorRef<Aggregator.Command> aggregator =
          ctx.spawn(Aggregator.create(store), "aggregator", Aggregator.dispatcher());
      ActorRef<ExperimentSupervisor.Command> supervisor =
          ctx.spawn(ExperimentSupervisor.create(aggregator, settings), "supervisor");
      String node = ctx.getSystem().address().hostPort();
      for (String device : localDevices) {
        ctx.spawn(RunWorker.create(node + "/" + device, device, execution), RunWorker.actorName(device));
      }
      started.complete(new Started(supervisor, aggregator));
      return Behaviors.empty();
    });
  }

  private Guardian() {}
}

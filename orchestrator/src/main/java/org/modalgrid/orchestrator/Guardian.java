package org.modalgrid.orchestrator;

import com.typesafe.config.Config;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.modalgrid.run.RunExecution;
import org.modalgrid.store.ResultStore;
import org.modalgrid.worker.ClusterConfig;
import org.modalgrid.worker.RunWorker;

/**
 * The root of an orchestrator JVM: spawns the {@link Aggregator}, the {@link ExperimentSupervisor}
 * and, in embedded mode, one {@link RunWorker} per local device slot, then hands their
 * references to the caller.
 *
 * <p>With Pekko's cluster provider ({@code serve --cluster}) the supervisor is a Cluster Singleton
 * on the {@value ClusterConfig#ORCHESTRATOR_ROLE} role, and the reference handed out is its proxy,
 * which lives here beside the aggregator and the HTTP server. The aggregator is a plain local
 * actor: the singleton runs on the oldest orchestrator node, and modalgrid runs one orchestrator
 * node, so the two always share a JVM and their messages never cross nodes. Only worker messages
 * ({@link RunWorker.StartRun}, {@link org.modalgrid.protocol.RunEvent}) do.
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
      Config config = ctx.getSystem().settings().config();
      ActorRef<ExperimentSupervisor.Command> supervisor;
      if (ClusterConfig.isClustered(config)) {
        ExperimentSupervisor.Settings clustered = new ExperimentSupervisor.Settings(settings.maxAttempts(),
            config.getInt("modalgrid.orchestrator.quarantine-after"), true);
        supervisor = ClusterSingleton.get(ctx.getSystem()).init(
            SingletonActor.of(ExperimentSupervisor.create(aggregator, clustered), "supervisor")
                .withSettings(ClusterSingletonSettings.create(ctx.getSystem()).withRole(ClusterConfig.ORCHESTRATOR_ROLE)));
      } else {
        supervisor = ctx.spawn(ExperimentSupervisor.create(aggregator, settings), "supervisor");
      }
      String node = ClusterConfig.nodeId(ctx.getSystem().address());
      for (String device : localDevices) {
        ctx.spawn(RunWorker.create(node + "/" + device, device, execution), RunWorker.actorName(device));
      }
      started.complete(new Started(supervisor, aggregator));
      return Behaviors.empty();
    });
  }

  private Guardian() {}
}

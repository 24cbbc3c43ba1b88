package org.modalgrid.worker;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Stops a worker node's actor system when the orchestrator leaves the cluster (it was stopped or
 * restarted), so that the worker command joins the next orchestrator at the same address instead
 * of staying a cluster of one. An orchestrator that is merely unreachable is the Split Brain
 * Resolver's business: it downs this node, which stops it too.
 */
public final class OrchestratorWatch extends AbstractBehavior<OrchestratorWatch.Command> {

  public sealed interface Command {}

  private record MemberRemoved(ClusterEvent.MemberRemoved event) implements Command {}

  public static Behavior<Command> create() {
    return Behaviors.setup(OrchestratorWatch::new);
  }

  private OrchestratorWatch(ActorContext<Command> ctx) {
    super(ctx);
    Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(
        ctx.messageAdapter(ClusterEvent.MemberRemoved.class, MemberRemoved::new), ClusterEvent.MemberRemoved.class));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(MemberRemoved.class, this::onMemberRemoved).build();
  }

  private Behavior<Command> onMemberRemoved(MemberRemoved msg) {
    if (msg.event().member().hasRole(ClusterConfig.ORCHESTRATOR_ROLE)) {
      getContext().getLog().warn("the orchestrator {} left the cluster; leaving too, to join the next one",
          ClusterConfig.nodeId(msg.event().member().address()));
      getContext().getSystem().terminate();
    }
    return this;
  }
}

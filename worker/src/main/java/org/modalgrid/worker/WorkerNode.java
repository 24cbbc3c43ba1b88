package org.modalgrid.worker;

import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.model.LateFusionTrainer;
import org.modalgrid.run.RunExecution;
import org.modalgrid.run.RunExecutor;

/**
 * The root of a worker node: one {@link RunWorker} per device slot, and an
 * {@link OrchestratorWatch}. The slots register with the Receptionist; the orchestrator's
 * supervisor finds them there and hands them runs.
 */
public final class WorkerNode {

  private WorkerNode() {}

  /** @param executions what trains the runs of each slot, by device */
  public static Behavior<Void> create(List<String> slots, Function<String, RunExecution> executions) {
    return Behaviors.setup(ctx -> {
      String node = ClusterConfig.nodeId(ctx.getSystem().address());
      for (String device : slots) {
        ctx.spawn(RunWorker.create(node + "/" + device, device, executions.apply(device)), RunWorker.actorName(device));
      }
      if (ClusterConfig.isClustered(ctx.getSystem().settings().config())) {
        ctx.spawn(OrchestratorWatch.create(), "orchestrator-watch");
      }
      return Behaviors.empty();
    });
  }

  /** Starts a worker node's actor system with {@code config} (see {@link ClusterConfig#worker}). */
  public static ActorSystem<Void> start(Config config, List<String> slots, Function<String, RunExecution> executions) {
    return ActorSystem.create(create(slots, executions), ClusterConfig.SYSTEM_NAME, config);
  }

  /**
   * One execution per slot: CPU slots share one dataset cache (one copy of each dataset in host
   * memory); each GPU slot has its own, so that its datasets are loaded by its own training
   * thread, on its own device.
   */
  public static Function<String, RunExecution> executions(Config config, List<String> slots) {
    Map<String, RunExecution> bySlot = new HashMap<>();
    RunExecution cpu = null;
    for (String s : slots) {
      if (Devices.isCuda(s)) {
        bySlot.put(s, execution(config, new DatasetCache(DatasetCache.DEFAULT_CAPACITY)));
      } else {
        if (cpu == null) cpu = execution(config, new DatasetCache(DatasetCache.DEFAULT_CAPACITY));
        bySlot.put(s, cpu);
      }
    }
    return bySlot::get;
  }

  /**
   * What trains the runs: the late-fusion trainer, or the class named by
   * {@code modalgrid.worker.execution-class} (a {@link RunExecution} with a public no-argument
   * constructor; a hook for tests that are about orchestration, not numbers).
   */
  public static RunExecution execution(Config config, DatasetCache cache) {
    String cls = config.hasPath("modalgrid.worker.execution-class") ? config.getString("modalgrid.worker.execution-class") : "";
    if (cls.isBlank()) return new RunExecutor(cache, new LateFusionTrainer());
    try {
      return (RunExecution) Class.forName(cls.trim()).getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException("modalgrid.worker.execution-class: cannot create '" + cls + "': " + e, e);
    }
  }
}

package org.modalgrid.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.modalgrid.data.DataFetcher;
import org.modalgrid.model.ThreadBudget;
import org.modalgrid.run.RunExecution;
import org.modalgrid.worker.ClusterConfig;
import org.modalgrid.worker.Devices;
import org.modalgrid.worker.WorkerNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code modalgrid worker --join HOST:PORT}: a worker node of a cluster started with {@code serve --cluster}. */
@Command(name = "worker", mixinStandardHelpOptions = true,
    description = {"Run a worker node: join the orchestrator's cluster (serve --cluster) and",
        "train the runs it hands to this node's device slots, one run per slot.",
        "Dataset files this machine lacks are fetched from the orchestrator by",
        "content hash and cached. When the cluster downs this node (it was",
        "unreachable), it joins again. Stops on Ctrl-C or SIGTERM, leaving the",
        "cluster (its runs go back to the queue)."})
final class WorkerCommand implements Callable<Integer> {

  @Option(names = "--join", required = true, paramLabel = "HOST:PORT",
      description = "The orchestrator's cluster address (serve --cluster --host HOST --port PORT)")
  String join;

  @Option(names = "--devices", paramLabel = "LIST", defaultValue = "cpu:1",
      description = "Device slots: cpu:N (N CPU slots sharing the cores), cuda:K[,cuda:J...] (GPUs, CUDA build only); "
          + "default ${DEFAULT-VALUE}")
  String devices;

  @Option(names = "--host", paramLabel = "HOST",
      description = "This node's address as the orchestrator reaches it (default: the local address of the route to the orchestrator)")
  String host;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "0",
      description = "This node's cluster (Artery TCP) port; the orchestrator connects to it (default 0: any free port)")
  int port;

  @Option(names = "--cache", paramLabel = "DIR",
      description = "Where fetched dataset files are kept (default: ~/.cache/modalgrid)")
  Path cache;

  @Option(names = "--threads-per-slot", paramLabel = "N", defaultValue = "0",
      description = "ND4J threads per slot (default 0: the cores divided by the slots)")
  int threadsPerSlot;

  @Override
  public Integer call() throws InterruptedException {
    List<String> slots;
    Config config;
    String advertised;
    try {
      ClusterConfig.HostPort orchestrator = ClusterConfig.HostPort.parse(join, "--join");
      slots = Devices.parse(devices);
      advertised = host != null ? host : ClusterConfig.localAddressToward(orchestrator.host());
      if (port < 0 || port > 65535) throw new IllegalArgumentException("--port: " + port + " is outside 0..65535");
      if (threadsPerSlot < 0) throw new IllegalArgumentException("--threads-per-slot: must be >= 0, got " + threadsPerSlot);
      Config cli = ConfigFactory.parseMap(Map.of(
          "modalgrid.worker.devices", devices,
          "modalgrid.worker.cache-dir", cache == null ? "" : cache.toAbsolutePath().toString()), "command line");
      config = ConfigFactory.defaultOverrides().withFallback(cli)
          .withFallback(ClusterConfig.worker(advertised, port, join)).resolve();
      Devices.checkAvailable(slots);
    } catch (IllegalArgumentException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }
    int threads = Devices.threadsPerSlot(slots, threadsPerSlot);
    try {
      ThreadBudget.apply(threads);
    } catch (RuntimeException e) {
      // the CPU thread budget is the CPU backend's; a GPU backend may not offer every knob
      System.err.println("modalgrid: warning: cannot set the ND4J thread budget on this backend: " + e.getMessage());
    }
    Function<String, RunExecution> executions;
    try {
      executions = WorkerNode.executions(config, slots);
    } catch (IllegalArgumentException e) {
      System.err.println("modalgrid: " + e.getMessage());
      return 2;
    }

    AtomicBoolean stopping = new AtomicBoolean(false);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopping.set(true), "modalgrid-worker-stop"));
    while (true) {
      ActorSystem<Void> system;
      try {
        system = WorkerNode.start(config, slots, executions);
      } catch (RuntimeException e) {
        if (stopping.get()) return 0;
        System.err.println("modalgrid: cannot start the worker node on " + advertised + ":" + port + ": "
            + ServeCommand.rootMessage(e));
        return 2;
      }
      String node = ClusterConfig.nodeId(system.address());
      System.out.println("modalgrid worker " + node + ": joining " + join + " with slots " + String.join(", ", slots)
          + ", " + threads + " ND4J thread(s) each; dataset cache " + DataFetcher.configuredCacheDir(config));
      System.out.flush();
      org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).registerOnMemberUp(() -> {
        System.out.println("modalgrid worker " + node + ": joined the cluster; waiting for runs");
        System.out.flush();
      });
      system.getWhenTerminated().toCompletableFuture().join();
      if (stopping.get()) return 0;
      System.out.println("modalgrid worker " + node + ": removed from the cluster (the orchestrator stopped or could"
          + " not reach this node); joining again in 5 s");
      System.out.flush();
      TimeUnit.SECONDS.sleep(5);
      if (stopping.get()) return 0;
    }
  }
}

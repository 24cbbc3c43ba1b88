package org.modalgrid.worker;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;

/**
 * The Pekko configuration of a node in cluster mode: Artery TCP on a host and port, a role
 * ({@value #ORCHESTRATOR_ROLE} or {@value #WORKER_ROLE}), the orchestrator as the seed node, and
 * the Split Brain Resolver of {@code modalgrid-cluster.conf}.
 */
public final class ClusterConfig {

  /** Every node's actor system has this name; nodes with another name cannot join. */
  public static final String SYSTEM_NAME = "modalgrid";
  public static final String ORCHESTRATOR_ROLE = "orchestrator";
  public static final String WORKER_ROLE = "worker";
  public static final int DEFAULT_ORCHESTRATOR_PORT = 2551;

  private ClusterConfig() {}

  /** The orchestrator: its own seed node, so it forms the cluster alone and workers join it. */
  public static Config orchestrator(String host, int port) {
    return node(host, port, ORCHESTRATOR_ROLE, host + ":" + port);
  }

  /** A worker node that joins the orchestrator at {@code join} ({@code host:port}). */
  public static Config worker(String host, int port, String join) {
    return node(host, port, WORKER_ROLE, join);
  }

  private static Config node(String host, int port, String role, String seed) {
    Config cli = ConfigFactory.parseMap(Map.of(
        "pekko.remote.artery.canonical.hostname", host,
        "pekko.remote.artery.canonical.port", port,
        "pekko.cluster.roles", List.of(role),
        "pekko.cluster.seed-nodes", List.of(seedAddress(seed))), "command line");
    return ConfigFactory.defaultOverrides()
        .withFallback(cli)
        .withFallback(ConfigFactory.parseResources(ClusterConfig.class.getClassLoader(), "modalgrid-cluster.conf"))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  /** {@code pekko://modalgrid@host:port} of a {@code host:port}. */
  public static String seedAddress(String hostPort) {
    HostPort hp = HostPort.parse(hostPort, "--join");
    return "pekko://" + SYSTEM_NAME + "@" + hp.host() + ":" + hp.port();
  }

  /** True when the config runs Pekko's cluster provider. */
  public static boolean isClustered(Config config) {
    String p = config.getString("pekko.actor.provider");
    return p.equals("cluster") || p.endsWith("ClusterActorRefProvider");
  }

  /**
   * A node's id in the API and in worker ids: {@code host:port}, or the system name for an actor
   * system without remoting.
   */
  public static String nodeId(Address address) {
    if (address.host().isDefined() && address.port().isDefined()) {
      return address.host().get() + ":" + address.port().get();
    }
    return address.hostPort();
  }

  /**
   * The local address this machine uses to reach {@code host}: the address a worker advertises
   * by default, so that the orchestrator can reach it back. Sends nothing (a UDP socket is only
   * connected, which picks the route).
   */
  public static String localAddressToward(String host) {
    try (DatagramSocket s = new DatagramSocket()) {
      s.connect(new InetSocketAddress(InetAddress.getByName(host), 9));
      InetAddress local = s.getLocalAddress();
      if (local == null || local.isAnyLocalAddress()) return InetAddress.getLocalHost().getHostAddress();
      return local.getHostAddress();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot find a route to " + host + ": " + e.getMessage()
          + "; pass --host with this machine's address as the orchestrator sees it", e);
    }
  }

  /** A {@code host:port} pair. */
  public record HostPort(String host, int port) {
    public static HostPort parse(String s, String option) {
      int colon = s == null ? -1 : s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1) {
        throw new IllegalArgumentException(option + ": expected HOST:PORT (e.g. 10.0.0.5:2551), got '" + s + "'");
      }
      String host = s.substring(0, colon).replaceAll("^\\[|\\]$", "");
      int port;
      try {
        port = Integer.parseInt(s.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + ": '" + s.substring(colon + 1) + "' is not a port number in '" + s + "'");
      }
      if (port < 1 || port > 65535) throw new IllegalArgumentException(option + ": port " + port + " is outside 1..65535");
      return new HostPort(host, port);
    }
  }
}

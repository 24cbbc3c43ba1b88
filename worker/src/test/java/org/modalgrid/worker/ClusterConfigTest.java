package org.modalgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

  @Test
  void workerJoinsTheOrchestratorWithItsRoleAndTheSplitBrainResolver() {
    Config c = ClusterConfig.worker("127.0.0.1", 0, "127.0.0.1:2551");
    assertTrue(ClusterConfig.isClustered(c));
    assertEquals("tcp", c.getString("pekko.remote.artery.transport"));
    assertEquals("127.0.0.1", c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(0, c.getInt("pekko.remote.artery.canonical.port"));
    assertEquals(List.of("worker"), c.getStringList("pekko.cluster.roles"));
    assertEquals(List.of("pekko://modalgrid@127.0.0.1:2551"), c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals("org.apache.pekko.cluster.sbr.SplitBrainResolverProvider", c.getString("pekko.cluster.downing-provider-class"));
    assertEquals("keep-oldest", c.getString("pekko.cluster.split-brain-resolver.active-strategy"));
    assertEquals("orchestrator", c.getString("pekko.cluster.split-brain-resolver.keep-oldest.role"));
    assertFalse(c.getBoolean("pekko.cluster.split-brain-resolver.keep-oldest.down-if-alone"));
    // the module defaults are still there
    assertEquals("cpu:1", c.getString("modalgrid.worker.devices"));
  }

  @Test
  void orchestratorIsItsOwnSeed() {
    Config c = ClusterConfig.orchestrator("127.0.0.1", 2551);
    assertEquals(List.of("orchestrator"), c.getStringList("pekko.cluster.roles"));
    assertEquals(List.of("pekko://modalgrid@127.0.0.1:2551"), c.getStringList("pekko.cluster.seed-nodes"));
    assertFalse(ClusterConfig.isClustered(ConfigFactory.parseString("pekko.actor.provider = local")));
  }

  @Test
  void hostPortsAndNodeIds() {
    assertEquals(new ClusterConfig.HostPort("10.0.0.5", 2551), ClusterConfig.HostPort.parse("10.0.0.5:2551", "--join"));
    assertEquals(new ClusterConfig.HostPort("::1", 2551), ClusterConfig.HostPort.parse("[::1]:2551", "--join"));
    for (String bad : List.of("10.0.0.5", ":2551", "10.0.0.5:", "h:x", "h:70000")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ClusterConfig.HostPort.parse(bad, "--join"), bad);
      assertTrue(e.getMessage().startsWith("--join: "), e.getMessage());
    }
    assertEquals("127.0.0.1:2552", ClusterConfig.nodeId(new Address("pekko", "modalgrid", "127.0.0.1", 2552)));
    assertEquals("modalgrid", ClusterConfig.nodeId(new Address("pekko", "modalgrid")));
    assertEquals("127.0.0.1", ClusterConfig.localAddressToward("127.0.0.1"));
  }
}

package org.modalgrid.grid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.Task;
import org.modalgrid.protocol.RunSpec;

class ExperimentPlanTest {

  static final List<String> MODS = List.of("a", "b", "c");

  static ExperimentPlan plan(String... overrides) {
    ExperimentConfig c = ExperimentConfig.parse("t.conf", ExperimentConfigTest.BASE, List.of(overrides));
    return ExperimentPlan.build(c, MODS, Task.CLASSIFICATION, 3);
  }

  @Test
  void allSubsetsSmallestFirstInModalityOrder() {
    assertEquals(List.of(List.of("a"), List.of("b"), List.of("c"), List.of("a", "b"), List.of("a", "c"),
        List.of("b", "c"), List.of("a", "b", "c")), plan().subsets());
  }

  @Test
  void prefixesAndSingletonsAndFull() {
    assertEquals(List.of(List.of("a"), List.of("a", "b"), List.of("a", "b", "c")),
        plan("experiment.subsets=prefixes").subsets());
    assertEquals(List.of(List.of("a"), List.of("b"), List.of("c"), List.of("a", "b", "c")),
        plan("experiment.subsets=singletons-and-full").subsets());
  }

  @Test
  void explicitSubsetsAreOrderedAndChecked() {
    assertEquals(List.of(List.of("c"), List.of("a", "c")), plan("experiment.subsets=[[c, a], [c]]").subsets());
    ConfigError e = assertThrows(ConfigError.class, () -> plan("experiment.subsets=[[a, z]]"));
    assertTrue(e.getMessage().contains("'z'") && e.getMessage().contains("[a, b, c]"), e.getMessage());
  }

  @Test
  void runsSpanTheGridSeedMajorWithUniqueIds() {
    ExperimentPlan p = plan("experiment.seeds=3", "experiment.axes.data-seed=[1, 2]");
    // 7 subsets x 2 fractions x 2 axis values x 3 seeds
    assertEquals(7 * 2 * 2 * 3, p.runs().size());
    Set<String> ids = new HashSet<>();
    p.runs().forEach(r -> ids.add(r.runId()));
    assertEquals(p.runs().size(), ids.size());
    assertEquals(0, p.runs().get(0).cell().seed());
    assertEquals(0, p.runs().get(7 * 2 * 2 - 1).cell().seed());
    assertEquals(1, p.runs().get(7 * 2 * 2).cell().seed());
    assertTrue(p.runs().stream().allMatch(r -> r.runId().matches("r[0-9a-f]{12}")));
  }

  @Test
  void idsAreStableAndDerivedFromContent() {
    ExperimentPlan p1 = plan();
    ExperimentPlan p2 = plan();
    assertEquals(p1.experimentId(), p2.experimentId());
    assertEquals(p1.runs().stream().map(RunSpec::runId).toList(), p2.runs().stream().map(RunSpec::runId).toList());
    // a training setting changes every id
    ExperimentPlan p3 = plan("train.epochs=61");
    assertNotEquals(p1.runs().get(0).runId(), p3.runs().get(0).runId());
    assertNotEquals(p1.experimentId(), p3.experimentId());
    // numbers written differently are the same content
    ExperimentPlan p4 = plan("train.learning-rate=0.0100");
    assertEquals(p1.runs().get(0).runId(), p4.runs().get(0).runId());
    // the same cell in a larger grid keeps its id
    ExperimentPlan p5 = plan("experiment.seeds=3");
    Set<String> bigger = new HashSet<>(p5.runs().stream().map(RunSpec::runId).toList());
    assertTrue(bigger.containsAll(p1.runs().stream().map(RunSpec::runId).toList()));
  }

  @Test
  void theContentOfTheDatasetFilesIsPartOfEveryRun() {
    ExperimentConfig c = ExperimentConfig.parse("t.conf", ExperimentConfigTest.BASE, List.of());
    ExperimentPlan none = ExperimentPlan.build(c, MODS, Task.CLASSIFICATION, 3);
    ExperimentPlan v1 = ExperimentPlan.build(c, MODS, Task.CLASSIFICATION, 3, d -> java.util.Map.of("x.csv", "a".repeat(64)));
    ExperimentPlan v2 = ExperimentPlan.build(c, MODS, Task.CLASSIFICATION, 3, d -> java.util.Map.of("x.csv", "b".repeat(64)));
    assertEquals(java.util.Map.of("x.csv", "a".repeat(64)), v1.runs().get(0).files());
    assertTrue(none.runs().get(0).files().isEmpty());
    // other file content: other runs, another experiment (so a resubmission after the data changed trains again)
    assertNotEquals(v1.runs().get(0).runId(), v2.runs().get(0).runId());
    assertNotEquals(v1.experimentId(), v2.experimentId());
    assertNotEquals(none.runs().get(0).runId(), v1.runs().get(0).runId());
  }

  @Test
  void contentHashIgnoresNumberSpellingAndKeyOrder() {
    assertEquals(ContentHash.of(java.util.Map.of("x", 1, "y", 2.50), 16),
        ContentHash.of(java.util.Map.of("y", 2.5, "x", 1.0), 16));
    assertNotEquals(ContentHash.of(java.util.Map.of("x", 1), 16), ContentHash.of(java.util.Map.of("x", 2), 16));
  }

  @Test
  void chaosSelectsCells() {
    ExperimentPlan p = plan("chaos.fail-first-attempts=1", "chaos.select=\"subset=a+b,seed=1\"");
    long selected = p.runs().stream().filter(r -> p.chaos().apply(r, 1).failOnPurpose()).count();
    assertEquals(2, selected, "one subset x two fractions x one seed");
    assertTrue(p.runs().stream().noneMatch(r -> p.chaos().apply(r, 2).failOnPurpose()));
    assertThrows(ConfigError.class, () -> plan("chaos.select=\"color=red\""));
  }
}

package org.modalgrid.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.Task;
import org.modalgrid.protocol.Cell;

class TablesTest {

  static final List<List<String>> SUBSETS = List.of(List.of("a"), List.of("b"), List.of("a", "b"));
  static final Tables.Shape SHAPE = new Tables.Shape(Task.CLASSIFICATION, SUBSETS, Map.of(), List.of(0.5, 1.0));

  static Observation obs(List<String> s, double f, int seed, double acc, double testCe, double etaErr, double etaCe) {
    return new Observation(new Cell(s, f, seed, Map.of()), Map.of("accuracy", acc, "test_error", 100 - acc,
        "test_ce", testCe, "eta_error", etaErr, "eta_ce", etaCe));
  }

  static List<Observation> sample() {
    List<Observation> o = new ArrayList<>();
    // fraction 1: a+b better than both singles on every seed
    o.add(obs(List.of("a"), 1.0, 0, 80, 0.6, 22, 0.70));
    o.add(obs(List.of("a"), 1.0, 1, 84, 0.5, 18, 0.60));
    o.add(obs(List.of("b"), 1.0, 0, 70, 0.9, 31, 0.95));
    o.add(obs(List.of("b"), 1.0, 1, 72, 0.8, 29, 0.85));
    o.add(obs(List.of("a", "b"), 1.0, 0, 90, 0.3, 11, 0.40));
    o.add(obs(List.of("a", "b"), 1.0, 1, 92, 0.2, 9, 0.30));
    // fraction 0.5: only seed 0 of a+b finished; here a+b is worse than a on the test split
    // while its probe error is lower: an inconsistent pair
    o.add(obs(List.of("a"), 0.5, 0, 75, 0.7, 30, 0.8));
    o.add(obs(List.of("a", "b"), 0.5, 0, 74, 0.75, 28, 0.9));
    return o;
  }

  static Map<String, Object> row(Table t, Map<String, Object> match) {
    return t.rows().stream().filter(r -> match.entrySet().stream().allMatch(e -> e.getValue().equals(r.get(e.getKey()))))
        .findFirst().orElseThrow(() -> new AssertionError("no row " + match + " in " + t.rows()));
  }

  @Test
  void accuracyIsMeanAndSampleStdAtFullData() {
    Table t = Tables.accuracy(SHAPE, sample());
    assertEquals(List.of("subset", "fraction", "n", "accuracy_mean", "accuracy_std", "test_ce_mean", "test_ce_std"), t.columns());
    assertEquals(3, t.rows().size());
    Map<String, Object> a = row(t, Map.of("subset", "a"));
    assertEquals(2, a.get("n"));
    assertEquals(82.0, (double) a.get("accuracy_mean"), 1e-12);
    assertEquals(Math.sqrt(8.0), (double) a.get("accuracy_std"), 1e-12);
    assertEquals(0.55, (double) a.get("test_ce_mean"), 1e-12);
  }

  @Test
  void fractionsCoverEveryCellAndCountFinishedSeeds() {
    Table t = Tables.fractions(SHAPE, sample());
    assertEquals(6, t.rows().size());
    Map<String, Object> ab = row(t, Map.of("subset", "a+b", "fraction", 0.5));
    assertEquals(1, ab.get("n"));
    assertEquals(74.0, (double) ab.get("accuracy_mean"), 1e-12);
    assertTrue(Double.isNaN((double) ab.get("accuracy_std")), "one seed has no std");
    Map<String, Object> b = row(t, Map.of("subset", "b", "fraction", 0.5));
    assertEquals(0, b.get("n"));
    assertTrue(Double.isNaN((double) b.get("accuracy_mean")));
  }

  @Test
  void gammaIsPairedPerSeedWithBothSignsAndConsistency() {
    Table t = Tables.gamma(SHAPE, sample());
    // pairs (a+b, a) and (a+b, b) at two fractions
    assertEquals(4, t.rows().size());
    Map<String, Object> abA = row(t, Map.of("subset", "a+b", "baseline", "a", "fraction", 1.0));
    assertEquals(2, abA.get("n"));
    // eta_error differences: 11-22 = -11, 9-18 = -9
    assertEquals(-10.0, (double) abA.get("gamma_01_mean"), 1e-12);
    assertEquals(Math.sqrt(2.0), (double) abA.get("gamma_01_std"), 1e-12);
    assertEquals(10.0, (double) abA.get("gain_01_mean"), 1e-12);
    // test error differences: (10-20) and (8-16) -> -9
    assertEquals(-9.0, (double) abA.get("risk_diff_01_mean"), 1e-12);
    assertEquals(9.0, (double) abA.get("acc_diff_mean"), 1e-12);
    assertEquals(true, abA.get("consistent_01"));
    // cross-entropy: gamma (0.4-0.7, 0.3-0.6) = -0.3; risk (0.3-0.6, 0.2-0.5) = -0.3
    assertEquals(-0.3, (double) abA.get("gamma_ce_mean"), 1e-12);
    assertEquals(true, abA.get("consistent_ce"));

    Map<String, Object> half = row(t, Map.of("subset", "a+b", "baseline", "a", "fraction", 0.5));
    assertEquals(1, half.get("n"));
    assertEquals(-2.0, (double) half.get("gamma_01_mean"), 1e-12);
    assertEquals(1.0, (double) half.get("risk_diff_01_mean"), 1e-12);
    assertEquals(false, half.get("consistent_01"));
    assertEquals(true, half.get("consistent_ce"), "ce: +0.1 and +0.05 share their sign");

    Map<String, Object> noPair = row(t, Map.of("subset", "a+b", "baseline", "b", "fraction", 0.5));
    assertEquals(0, noPair.get("n"));
    assertEquals(null, noPair.get("consistent_01"));

    // 0-1: (a+b,a,1) yes, (a+b,b,1) yes, (a+b,a,.5) no  -> 2 of 3
    assertEquals(2, t.summary().get("consistent_pairs_01"));
    assertEquals(3, t.summary().get("compared_pairs_01"));
    assertEquals(2.0 / 3, (double) t.summary().get("consistent_share_01"), 1e-12);
    assertEquals(3, t.summary().get("consistent_pairs_ce"));
  }

  @Test
  void etaTablePivotsOverASingleAxis() {
    Tables.Shape shape = new Tables.Shape(Task.REGRESSION, List.of(List.of("m1"), List.of("m1", "m2")),
        Map.of("overlap", List.of(1, 0.5)), List.of(1.0));
    List<Observation> o = new ArrayList<>();
    o.add(new Observation(new Cell(List.of("m1"), 1.0, 0, Map.of("overlap", 0.5)), Map.of("eta", 25.0, "test_mse", 26.0)));
    o.add(new Observation(new Cell(List.of("m1"), 1.0, 1, Map.of("overlap", 0.5)), Map.of("eta", 27.0, "test_mse", 28.0)));
    o.add(new Observation(new Cell(List.of("m1"), 1.0, 0, Map.of("overlap", 1.0)), Map.of("eta", 0.01, "test_mse", 0.02)));
    Table t = Tables.eta(shape, o);
    assertEquals(List.of("subset", "overlap", "fraction", "n", "eta_mean", "eta_std"), t.columns());
    assertEquals(26.0, (double) row(t, Map.of("subset", "m1", "overlap", 0.5)).get("eta_mean"), 1e-12);
    assertEquals(1, row(t, Map.of("subset", "m1", "overlap", 1)).get("n"), "axis value 1 matches 1.0 from a run");
    String md = TableFormats.markdown(t);
    assertTrue(md.contains("| subset \\ overlap (eta) | 1 | 0.5 |"), md);
    assertTrue(md.contains("| m1 | 0.01000 | 26.00 ± 1.414 |"), md);
  }
}

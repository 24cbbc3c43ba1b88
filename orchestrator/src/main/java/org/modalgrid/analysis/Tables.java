package org.modalgrid.analysis;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import org.modalgrid.data.Task;
import org.modalgrid.grid.GridSettings;
import org.modalgrid.protocol.Cell;

/**
 * The four result tables, computed from finished runs. Pure arithmetic on {@link Observation}s:
 * means and sample standard deviations over seeds, and for gamma the per-seed paired differences
 * (both subsets trained on the same sample S, PAPER.md section 3).
 */
public final class Tables {

  /** The grid the observations come from. */
  public record Shape(Task task, List<List<String>> subsets, Map<String, List<Object>> axes, List<Double> fractions) {
    public double fullFraction() {
      return fractions.stream().mapToDouble(Double::doubleValue).max().orElse(1.0);
    }
  }

  public static final List<String> NAMES = List.of("accuracy", "fractions", "gamma", "eta");

  private Tables() {}

  public static List<String> testMetrics(Task task) {
    return task == Task.CLASSIFICATION ? List.of("accuracy", "test_ce") : List.of("test_mse");
  }

  public static List<String> etaMetrics(Task task) {
    return task == Task.CLASSIFICATION ? List.of("eta_error", "eta_ce") : List.of("eta");
  }

  public static Map<String, Table> all(Shape shape, List<Observation> obs) {
    Map<String, Table> out = new LinkedHashMap<>();
    out.put("accuracy", accuracy(shape, obs));
    out.put("fractions", fractions(shape, obs));
    out.put("gamma", gamma(shape, obs));
    out.put("eta", eta(shape, obs));
    return out;
  }

  public static Table byName(String name, Shape shape, List<Observation> obs) {
    return switch (name) {
      case "accuracy" -> accuracy(shape, obs);
      case "fractions" -> fractions(shape, obs);
      case "gamma" -> gamma(shape, obs);
      case "eta" -> eta(shape, obs);
      default -> throw new IllegalArgumentException("no table '" + name + "'; tables are " + NAMES);
    };
  }

  /** Test metric by subset (and axes) at full data. */
  public static Table accuracy(Shape shape, List<Observation> obs) {
    double full = shape.fullFraction();
    String what = shape.task() == Task.CLASSIFICATION
        ? "Test accuracy (%) and cross-entropy (nats)" : "Test mean squared error";
    Table t = cellTable("accuracy", what + " by subset at fraction " + fmtFraction(full) + ", mean ± std over seeds",
        shape, obs, List.of(full), testMetrics(shape.task()));
    return withPivot(t, shape, testMetrics(shape.task()).get(0));
  }

  /** Test metric by subset x fraction (x axes). */
  public static Table fractions(Shape shape, List<Observation> obs) {
    String what = shape.task() == Task.CLASSIFICATION ? "Test accuracy (%) and cross-entropy" : "Test mean squared error";
    Table t = cellTable("fractions", what + " by subset and training fraction, mean ± std over seeds",
        shape, obs, shape.fractions(), testMetrics(shape.task()));
    Table.Pivot p = new Table.Pivot("fraction", testMetrics(shape.task()).get(0));
    return new Table(t.name(), t.title(), t.columns(), t.rows(), t.notes(), t.summary(),
        shape.axes().isEmpty() ? p : null);
  }

  /** Latent quality by subset x dataset axis, at full data (the paper's Table 4 shape). */
  public static Table eta(Shape shape, List<Observation> obs) {
    double full = shape.fullFraction();
    List<String> notes = new ArrayList<>();
    String title;
    if (shape.task() == Task.CLASSIFICATION) {
      title = "Latent quality eta at fraction " + fmtFraction(full)
          + ": cross-fitted probe risk on frozen latent codes, error (%) and cross-entropy (nats)";
      notes.add("For real data the oracle risk r(h*∘g*) is unknown: eta is shown up to that constant, which cancels in gamma.");
    } else {
      title = "Latent quality eta = inf_h r(h∘ĝ) − r(h*∘g*) (MSE) at fraction " + fmtFraction(full)
          + ", least-squares head on fresh generator rows";
    }
    Table t = cellTable("eta", title, shape, obs, List.of(full), etaMetrics(shape.task()));
    t = new Table(t.name(), t.title(), t.columns(), t.rows(), notes, t.summary(), null);
    return withPivot(t, shape, etaMetrics(shape.task()).get(0));
  }

  private static Table withPivot(Table t, Shape shape, String metric) {
    if (shape.axes().size() != 1) return t;
    String axis = shape.axes().keySet().iterator().next();
    return new Table(t.name(), t.title(), t.columns(), t.rows(), t.notes(), t.summary(), new Table.Pivot(axis, metric));
  }

  private static Table cellTable(String name, String title, Shape shape, List<Observation> obs,
      List<Double> fractions, List<String> metrics) {
    List<String> axisNames = new ArrayList<>(shape.axes().keySet());
    List<String> columns = new ArrayList<>();
    columns.add("subset");
    columns.addAll(axisNames);
    columns.add("fraction");
    columns.add("n");
    for (String m : metrics) {
      columns.add(m + "_mean");
      columns.add(m + "_std");
    }
    Map<CellKey, List<Observation>> groups = group(obs);
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Map<String, Object> point : GridSettings.axisPoints(shape.axes())) {
      for (double f : fractions) {
        for (List<String> s : shape.subsets()) {
          List<Observation> g = groups.getOrDefault(new CellKey(s, f, point), List.of());
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("subset", String.join("+", s));
          point.forEach(row::put);
          row.put("fraction", f);
          row.put("n", g.size());
          for (String m : metrics) {
            Stats st = Stats.of(values(g, m));
            row.put(m + "_mean", st.mean());
            row.put(m + "_std", st.std());
          }
          rows.add(row);
        }
      }
    }
    return new Table(name, title, columns, rows, List.of(), Map.of(), null);
  }

  /**
   * For every pair N ⊂ M with |M| = |N| + 1 in the grid, per fraction and axis point: gamma =
   * eta(M) − eta(N) (definition sign), gain = −gamma (the paper's Table 3 sign), the test-risk
   * difference r(M) − r(N) and whether the two share their sign (Theorem 1). Differences are
   * taken per seed, then averaged.
   */
  public static Table gamma(Shape shape, List<Observation> obs) {
    boolean cls = shape.task() == Task.CLASSIFICATION;
    // loss name -> (eta metric, test risk metric)
    Map<String, String[]> losses = new LinkedHashMap<>();
    if (cls) {
      losses.put("01", new String[] {"eta_error", "test_error"});
      losses.put("ce", new String[] {"eta_ce", "test_ce"});
    } else {
      losses.put("", new String[] {"eta", "test_mse"});
    }
    List<String> axisNames = new ArrayList<>(shape.axes().keySet());
    List<String> columns = new ArrayList<>(List.of("subset", "baseline"));
    columns.addAll(axisNames);
    columns.add("fraction");
    columns.add("n");
    for (String l : losses.keySet()) {
      String sfx = l.isEmpty() ? "" : "_" + l;
      for (String base : List.of("gamma", "gain", "risk_diff")) {
        columns.add(base + sfx + "_mean");
        columns.add(base + sfx + "_std");
      }
      if (cls && l.equals("01")) {
        columns.add("acc_diff_mean");
        columns.add("acc_diff_std");
      }
      columns.add("consistent" + sfx);
    }
    Map<CellKey, List<Observation>> groups = group(obs);
    List<Map<String, Object>> rows = new ArrayList<>();
    Map<String, int[]> consistentCounts = new LinkedHashMap<>();
    losses.keySet().forEach(l -> consistentCounts.put(l, new int[2]));
    for (Map<String, Object> point : GridSettings.axisPoints(shape.axes())) {
      for (double f : shape.fractions()) {
        for (List<String> m : shape.subsets()) {
          for (List<String> n : shape.subsets()) {
            if (m.size() != n.size() + 1 || !m.containsAll(n)) continue;
            Map<Integer, Observation> bm = bySeed(groups.getOrDefault(new CellKey(m, f, point), List.of()));
            Map<Integer, Observation> bn = bySeed(groups.getOrDefault(new CellKey(n, f, point), List.of()));
            Set<Integer> seeds = new HashSet<>(bm.keySet());
            seeds.retainAll(bn.keySet());
            List<Integer> paired = seeds.stream().sorted().toList();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("subset", String.join("+", m));
            row.put("baseline", String.join("+", n));
            point.forEach(row::put);
            row.put("fraction", f);
            row.put("n", paired.size());
            for (var e : losses.entrySet()) {
              String sfx = e.getKey().isEmpty() ? "" : "_" + e.getKey();
              String etaName = e.getValue()[0];
              String riskName = e.getValue()[1];
              Stats gamma = Stats.of(diffs(paired, bm, bn, etaName, (a, b) -> a - b));
              Stats gain = Stats.of(diffs(paired, bm, bn, etaName, (a, b) -> b - a));
              Stats risk = Stats.of(diffs(paired, bm, bn, riskName, (a, b) -> a - b));
              put(row, "gamma" + sfx, gamma);
              put(row, "gain" + sfx, gain);
              put(row, "risk_diff" + sfx, risk);
              if (cls && e.getKey().equals("01")) {
                put(row, "acc_diff", Stats.of(diffs(paired, bm, bn, "accuracy", (a, b) -> a - b)));
              }
              Boolean consistent = null;
              if (!paired.isEmpty() && Double.isFinite(gamma.mean()) && Double.isFinite(risk.mean())) {
                consistent = Math.signum(gamma.mean()) == Math.signum(risk.mean());
                int[] c = consistentCounts.get(e.getKey());
                c[1]++;
                if (consistent) c[0]++;
              }
              row.put("consistent" + sfx, consistent);
            }
            rows.add(row);
          }
        }
      }
    }
    Map<String, Object> summary = new LinkedHashMap<>();
    List<String> notes = new ArrayList<>();
    notes.add("gamma = eta(M) − eta(N) (definition: negative when the larger subset M is better); "
        + "gain = −gamma (the sign the paper's Table 3 prints); risk_diff = r(M) − r(N) on the test split; "
        + "consistent: gamma and risk_diff share their sign (Theorem 1). Per-seed paired differences, mean ± std.");
    for (var e : consistentCounts.entrySet()) {
      String sfx = e.getKey().isEmpty() ? "" : "_" + e.getKey();
      int[] c = e.getValue();
      summary.put("consistent_pairs" + sfx, c[0]);
      summary.put("compared_pairs" + sfx, c[1]);
      summary.put("consistent_share" + sfx, c[1] == 0 ? Double.NaN : (double) c[0] / c[1]);
      String loss = switch (e.getKey()) {
        case "01" -> "0-1 loss (probe error vs test error, % points)";
        case "ce" -> "cross-entropy (probe CE vs test CE, nats)";
        default -> "squared error";
      };
      notes.add("Consistent with Theorem 1, " + loss + ": " + c[0] + " of " + c[1] + " pairs"
          + (c[1] == 0 ? "" : String.format(" (%.2f)", (double) c[0] / c[1])) + ".");
    }
    String title = cls
        ? "gamma_S(M,N) for pairs N ⊂ M, |M| = |N| + 1: 0-1 loss in % points and cross-entropy in nats, beside the test-risk difference"
        : "gamma_S(M,N) for pairs N ⊂ M, |M| = |N| + 1 (MSE), beside the test-risk difference";
    return new Table("gamma", title, columns, rows, notes, summary, null);
  }

  private static void put(Map<String, Object> row, String base, Stats s) {
    row.put(base + "_mean", s.mean());
    row.put(base + "_std", s.std());
  }

  private static List<Double> diffs(List<Integer> seeds, Map<Integer, Observation> a, Map<Integer, Observation> b,
      String metric, BiFunction<Double, Double, Double> op) {
    List<Double> out = new ArrayList<>();
    for (int s : seeds) {
      Double x = a.get(s).values().get(metric);
      Double y = b.get(s).values().get(metric);
      if (x != null && y != null && Double.isFinite(x) && Double.isFinite(y)) out.add(op.apply(x, y));
    }
    return out;
  }

  private static Map<Integer, Observation> bySeed(List<Observation> g) {
    Map<Integer, Observation> m = new LinkedHashMap<>();
    for (Observation o : g) m.put(o.cell().seed(), o);
    return m;
  }

  private static List<Double> values(List<Observation> g, String metric) {
    List<Double> out = new ArrayList<>();
    for (Observation o : g) {
      Double v = o.values().get(metric);
      if (v != null && Double.isFinite(v)) out.add(v);
    }
    return out;
  }

  private record CellKey(List<String> subset, double fraction, Map<String, Object> axes) {
    CellKey {
      subset = List.copyOf(subset);
      axes = normalise(axes);
    }
  }

  /** Axis values compared by value: 1, 1.0 and "1" from different sources are the same point. */
  private static Map<String, Object> normalise(Map<String, Object> axes) {
    Map<String, Object> out = new java.util.TreeMap<>();
    axes.forEach((k, v) -> out.put(k, v instanceof Number n ? (Object) Double.valueOf(n.doubleValue()) : Objects.toString(v)));
    return out;
  }

  private static Map<CellKey, List<Observation>> group(List<Observation> obs) {
    Map<CellKey, List<Observation>> groups = new LinkedHashMap<>();
    for (Observation o : obs) {
      Cell c = o.cell();
      groups.computeIfAbsent(new CellKey(c.subset(), c.fraction(), c.axes()), k -> new ArrayList<>()).add(o);
    }
    return groups;
  }

  static String fmtFraction(double f) {
    return f == Math.rint(f) ? String.valueOf((long) f) : String.valueOf(f);
  }
}

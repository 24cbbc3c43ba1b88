package org.modalgrid.grid;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunSpec;

/**
 * The {@code chaos} block: makes the runs that match {@code select} fail their first
 * {@code failFirstAttempts} attempts on purpose, so that retry can be shown and tested.
 *
 * @param select key=value conditions over subset, fraction, seed and dataset axes (all must hold)
 */
public record Chaos(int failFirstAttempts, Map<String, String> select) {

  public static final Chaos NONE = new Chaos(0, Map.of());

  public static Chaos from(Config c, GridSettings grid) {
    int n = c.getInt("fail-first-attempts");
    if (n < 0) throw new ConfigException.BadValue(c.origin(), "chaos.fail-first-attempts", "must be >= 0, got " + n);
    Map<String, String> select = new LinkedHashMap<>();
    String text = c.getString("select").trim();
    if (!text.isEmpty()) {
      for (String part : text.split(",")) {
        int eq = part.indexOf('=');
        if (eq <= 0) {
          throw new ConfigException.BadValue(c.origin(), "chaos.select",
              "expected key=value pairs joined by commas, e.g. \"subset=fou+kar,seed=0\", got '" + part.trim() + "'");
        }
        String key = part.substring(0, eq).trim();
        if (!key.equals("subset") && !key.equals("fraction") && !key.equals("seed") && !grid.axes().containsKey(key)) {
          throw new ConfigException.BadValue(c.origin(), "chaos.select",
              "unknown key '" + key + "'; expected subset, fraction, seed or a dataset axis " + grid.axes().keySet());
        }
        select.put(key, part.substring(eq + 1).trim());
      }
    }
    return new Chaos(n, Map.copyOf(select));
  }

  public boolean matches(Cell cell) {
    for (var e : select.entrySet()) {
      String want = e.getValue();
      boolean ok = switch (e.getKey()) {
        case "subset" -> cell.subsetLabel().equals(want);
        case "fraction" -> sameNumber(cell.fraction(), want);
        case "seed" -> sameNumber(cell.seed(), want);
        default -> {
          Object v = cell.axes().get(e.getKey());
          yield v instanceof Number num ? sameNumber(num.doubleValue(), want) : Objects.equals(String.valueOf(v), want);
        }
      };
      if (!ok) return false;
    }
    return true;
  }

  private static boolean sameNumber(double x, String want) {
    try {
      return Double.parseDouble(want) == x;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The spec to send for this attempt: marked to fail when the chaos settings select it. */
  public RunSpec apply(RunSpec spec, int attempt) {
    return spec.withFailOnPurpose(attempt <= failFirstAttempts && matches(spec.cell()));
  }
}

package org.modalgrid.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders a {@link Table} as tidy CSV, Markdown (mean ± std) or JSON. */
public final class TableFormats {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static final List<String> FORMATS = List.of("md", "csv", "json");

  private TableFormats() {}

  public static String render(Table t, String format) {
    return switch (format) {
      case "md" -> markdown(t);
      case "csv" -> csv(t);
      case "json" -> json(t);
      default -> throw new IllegalArgumentException("unknown format '" + format + "'; expected one of " + FORMATS);
    };
  }

  /** One header line, one row per cell; NaN and missing values are empty cells. */
  public static String csv(Table t) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.join(",", t.columns().stream().map(TableFormats::csvCell).toList())).append('\n');
    for (Map<String, Object> row : t.rows()) {
      List<String> cells = new ArrayList<>();
      for (String c : t.columns()) cells.add(csvCell(plain(row.get(c))));
      sb.append(String.join(",", cells)).append('\n');
    }
    return sb.toString();
  }

  private static String plain(Object v) {
    if (v == null) return "";
    if (v instanceof Double d) return d.isNaN() || d.isInfinite() ? "" : Double.toString(d);
    return v.toString();
  }

  private static String csvCell(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n")) return '"' + s.replace("\"", "\"\"") + '"';
    return s;
  }

  public static String json(Table t) {
    ObjectNode root = JSON.createObjectNode();
    root.put("name", t.name());
    root.put("title", t.title());
    ArrayNode cols = root.putArray("columns");
    t.columns().forEach(cols::add);
    ArrayNode rows = root.putArray("rows");
    for (Map<String, Object> row : t.rows()) {
      ObjectNode o = rows.addObject();
      for (String c : t.columns()) putJson(o, c, row.get(c));
    }
    ObjectNode summary = root.putObject("summary");
    t.summary().forEach((k, v) -> putJson(summary, k, v));
    ArrayNode notes = root.putArray("notes");
    t.notes().forEach(notes::add);
    try {
      return JSON.writeValueAsString(root) + "\n";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void putJson(ObjectNode o, String k, Object v) {
    if (v == null) o.putNull(k);
    else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) o.putNull(k); else o.put(k, d);
    } else if (v instanceof Integer i) o.put(k, i);
    else if (v instanceof Long l) o.put(k, l);
    else if (v instanceof Boolean b) o.put(k, b);
    else if (v instanceof Number n) o.put(k, n.doubleValue());
    else o.put(k, v.toString());
  }

  /** Markdown: metric columns merged into "mean ± std"; pivoted when the table asks for it. */
  public static String markdown(Table t) {
    StringBuilder sb = new StringBuilder();
    sb.append("### ").append(t.title()).append("\n\n");
    if (t.pivot() != null) {
      sb.append(pivot(t));
    } else {
      sb.append(flat(t));
    }
    if (!t.notes().isEmpty()) {
      sb.append('\n');
      for (String n : t.notes()) sb.append("- ").append(n).append('\n');
    }
    return sb.toString();
  }

  private static String flat(Table t) {
    List<String> headers = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (String c : t.columns()) {
      if (c.endsWith("_std")) continue;
      if (c.endsWith("_mean")) {
        headers.add(c.substring(0, c.length() - 5));
      } else {
        headers.add(c);
      }
      keys.add(c);
    }
    List<List<String>> body = new ArrayList<>();
    for (Map<String, Object> row : t.rows()) {
      List<String> cells = new ArrayList<>();
      for (String k : keys) {
        if (k.endsWith("_mean")) {
          String base = k.substring(0, k.length() - 5);
          cells.add(meanStd(base, row.get(k), row.get(base + "_std")));
        } else {
          cells.add(display(k, row.get(k)));
        }
      }
      body.add(cells);
    }
    return grid(headers, body);
  }

  private static String pivot(Table t) {
    Table.Pivot p = t.pivot();
    List<String> axisValues = new ArrayList<>();
    Map<String, Map<String, String>> bySubset = new LinkedHashMap<>();
    for (Map<String, Object> row : t.rows()) {
      String av = display(p.axis(), row.get(p.axis()));
      if (!axisValues.contains(av)) axisValues.add(av);
      String subset = String.valueOf(row.get("subset"));
      String cell = meanStd(p.metric(), row.get(p.metric() + "_mean"), row.get(p.metric() + "_std"));
      bySubset.computeIfAbsent(subset, k -> new LinkedHashMap<>()).put(av, cell);
    }
    List<String> headers = new ArrayList<>();
    headers.add("subset \\ " + p.axis() + " (" + p.metric() + ")");
    headers.addAll(axisValues);
    List<List<String>> body = new ArrayList<>();
    bySubset.forEach((subset, cells) -> {
      List<String> r = new ArrayList<>();
      r.add(subset);
      for (String av : axisValues) r.add(cells.getOrDefault(av, "—"));
      body.add(r);
    });
    StringBuilder sb = new StringBuilder(grid(headers, body));
    boolean others = t.columns().stream().filter(c -> c.endsWith("_mean")).count() > 1;
    if (others) {
      sb.append("\n").append(flat(t));
    }
    return sb.toString();
  }

  private static String grid(List<String> headers, List<List<String>> body) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(String.join(" | ", headers)).append(" |\n");
    sb.append("|").append("---|".repeat(headers.size())).append('\n');
    for (List<String> r : body) sb.append("| ").append(String.join(" | ", r)).append(" |\n");
    return sb.toString();
  }

  static String meanStd(String metric, Object mean, Object std) {
    if (!(mean instanceof Double m) || m.isNaN()) return "—";
    String s = number(metric, m);
    if (std instanceof Double d && !d.isNaN()) s += " ± " + number(metric, d);
    return s;
  }

  private static String display(String column, Object v) {
    if (v == null) return "—";
    if (v instanceof Boolean b) return b ? "yes" : "no";
    if (v instanceof Double d) {
      return d.isNaN() || d.isInfinite() ? "—" : new java.math.BigDecimal(d.toString()).stripTrailingZeros().toPlainString();
    }
    return v.toString();
  }

  /** Percent-valued metrics with two decimals, the rest with four significant digits. */
  static String number(String metric, double v) {
    if (Double.isNaN(v)) return "—";
    boolean percent = metric.startsWith("accuracy") || metric.contains("error") || metric.endsWith("_01")
        || metric.startsWith("acc_diff");
    if (percent) return String.format(Locale.ROOT, "%.2f", v);
    double a = Math.abs(v);
    if (a != 0 && (a >= 1e5 || a < 1e-3)) return String.format(Locale.ROOT, "%.3e", v);
    if (a >= 100) return String.format(Locale.ROOT, "%.1f", v);
    return String.format(Locale.ROOT, "%.4g", v);
  }
}

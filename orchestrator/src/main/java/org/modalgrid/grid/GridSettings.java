package org.modalgrid.grid;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code experiment} block: what the grid spans.
 *
 * @param subsetMode     {@code all}, {@code prefixes}, {@code singletons-and-full} or {@code list}
 * @param subsetList     the explicit subsets when the mode is {@code list}
 * @param axes           dataset axes by name (sorted), each with its values in the given order
 */
public record GridSettings(String name, List<Integer> seeds, String subsetMode, List<List<String>> subsetList,
    List<Double> fractions, Map<String, List<Object>> axes) {

  public static final List<String> SUBSET_MODES = List.of("all", "prefixes", "singletons-and-full");

  public static GridSettings from(Config c) {
    String name = c.getString("name");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new ConfigException.BadValue(c.origin(), "experiment.name",
          "use letters, digits, '.', '_' and '-' (it names the results folder), got '" + name + "'");
    }
    List<Integer> seeds = new ArrayList<>();
    if (c.getValue("seeds").valueType() == ConfigValueType.LIST) {
      for (int s : c.getIntList("seeds")) {
        if (s < 0) throw new ConfigException.BadValue(c.origin(), "experiment.seeds", "seeds must be >= 0, got " + s);
        if (seeds.contains(s)) throw new ConfigException.BadValue(c.origin(), "experiment.seeds", "seed " + s + " is listed twice");
        seeds.add(s);
      }
    } else {
      int n = c.getInt("seeds");
      if (n < 1) throw new ConfigException.BadValue(c.origin(), "experiment.seeds", "expected a count >= 1 or a list, got " + n);
      for (int s = 0; s < n; s++) seeds.add(s);
    }
    if (seeds.isEmpty()) throw new ConfigException.BadValue(c.origin(), "experiment.seeds", "the list of seeds is empty");

    String mode;
    List<List<String>> list = List.of();
    ConfigValue sv = c.getValue("subsets");
    if (sv.valueType() == ConfigValueType.LIST) {
      mode = "list";
      list = new ArrayList<>();
      for (Object o : c.getList("subsets").unwrapped()) {
        if (!(o instanceof List<?> l) || l.isEmpty()) {
          throw new ConfigException.BadValue(sv.origin(), "experiment.subsets",
              "expected a list of non-empty lists of modality names, e.g. [[fou], [fou, kar]], got " + o);
        }
        List<String> names = new ArrayList<>();
        for (Object x : l) names.add(String.valueOf(x));
        if (new LinkedHashSet<>(names).size() != names.size()) {
          throw new ConfigException.BadValue(sv.origin(), "experiment.subsets", "subset " + names + " names a modality twice");
        }
        list.add(names);
      }
      if (list.isEmpty()) throw new ConfigException.BadValue(sv.origin(), "experiment.subsets", "the list of subsets is empty");
    } else {
      mode = c.getString("subsets");
      if (!SUBSET_MODES.contains(mode)) {
        throw new ConfigException.BadValue(sv.origin(), "experiment.subsets",
            "expected one of " + SUBSET_MODES + " or a list of lists, got '" + mode + "'");
      }
    }

    List<Double> fractions = new ArrayList<>();
    for (double f : c.getDoubleList("fractions")) {
      if (!(f > 0 && f <= 1)) {
        throw new ConfigException.BadValue(c.origin(), "experiment.fractions", "each fraction must be in (0, 1], got " + f);
      }
      if (fractions.contains(f)) {
        throw new ConfigException.BadValue(c.origin(), "experiment.fractions", "fraction " + f + " is listed twice");
      }
      fractions.add(f);
    }
    if (fractions.isEmpty()) throw new ConfigException.BadValue(c.origin(), "experiment.fractions", "the list is empty");
    fractions.sort(Double::compare);

    Map<String, List<Object>> axes = new TreeMap<>();
    Config ac = c.getConfig("axes");
    for (String axis : ac.root().keySet()) {
      ConfigValue v = ac.root().get(axis);
      if (v.valueType() != ConfigValueType.LIST || ac.getList(axis).isEmpty()) {
        throw new ConfigException.BadValue(v.origin(), "experiment.axes." + axis, "expected a non-empty list of values");
      }
      List<Object> values = new ArrayList<>(ac.getList(axis).unwrapped());
      if (new LinkedHashSet<>(values).size() != values.size()) {
        throw new ConfigException.BadValue(v.origin(), "experiment.axes." + axis, "a value is listed twice: " + values);
      }
      axes.put(axis, List.copyOf(values));
    }
    return new GridSettings(name, List.copyOf(seeds), mode, List.copyOf(list), List.copyOf(fractions), axes);
  }

  /** Every combination of axis values (one empty point when there are no axes). */
  public static List<Map<String, Object>> axisPoints(Map<String, List<Object>> axes) {
    List<Map<String, Object>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (var e : axes.entrySet()) {
      List<Map<String, Object>> next = new ArrayList<>();
      for (Map<String, Object> p : points) {
        for (Object v : e.getValue()) {
          Map<String, Object> q = new LinkedHashMap<>(p);
          q.put(e.getKey(), v);
          next.add(q);
        }
      }
      points = next;
    }
    return points;
  }
}

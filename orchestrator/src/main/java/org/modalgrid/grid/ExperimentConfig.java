package org.modalgrid.grid;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.modalgrid.latent.ProbeSpec;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;

/**
 * An experiment file read, overridden, checked against the documented keys and resolved. Every
 * problem is reported as a {@link ConfigError} naming the file (or "override"), the key and what
 * was expected.
 *
 * @param source   where it came from (a file path, or a label such as "request body")
 * @param resolved the full config: file, overrides and defaults, resolved
 */
public record ExperimentConfig(String source, Config resolved, GridSettings grid, Config dataset,
    ModelSpec model, TrainSpec train, ProbeSpec probe, Chaos chaos) {

  private static final String DEFAULTS_RESOURCE = "experiment-defaults.conf";
  private static final Set<String> TOP_LEVEL = Set.of("experiment", "dataset", "model", "train", "probe", "chaos");

  /** The documented defaults of every key (worker's {@code experiment-defaults.conf}). */
  public static Config defaults() {
    return ConfigFactory.parseResources(ExperimentConfig.class.getClassLoader(), DEFAULTS_RESOURCE,
        ConfigParseOptions.defaults().setAllowMissing(false));
  }

  /** Reads an experiment file and applies {@code key=value} overrides. */
  public static ExperimentConfig load(Path file, List<String> overrides) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigError(file + ": no such config file");
    }
    Config parsed;
    try {
      parsed = ConfigFactory.parseFile(file.toFile(),
          ConfigParseOptions.defaults().setAllowMissing(false).setSyntax(ConfigSyntax.CONF));
    } catch (ConfigException e) {
      throw new ConfigError(file + ": " + e.getMessage(), e);
    }
    return from(file.toString(), parsed, overrides);
  }

  /** Parses config text (HOCON or JSON), e.g. an API request body. */
  public static ExperimentConfig parse(String sourceLabel, String text, List<String> overrides) {
    Config parsed;
    try {
      parsed = ConfigFactory.parseString(text,
          ConfigParseOptions.defaults().setOriginDescription(sourceLabel).setSyntax(ConfigSyntax.CONF));
    } catch (ConfigException e) {
      throw new ConfigError(sourceLabel + ": " + e.getMessage(), e);
    }
    return from(sourceLabel, parsed, overrides);
  }

  /** Turns {@code key=value} strings into a config; the value is HOCON, else a plain string. */
  public static Config overrides(List<String> overrides) {
    Config acc = ConfigFactory.empty();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new ConfigError("override '" + o + "': expected key=value, e.g. experiment.seeds=2");
      }
      String key = o.substring(0, eq).trim();
      String value = o.substring(eq + 1).trim();
      Config one;
      try {
        one = ConfigFactory.parseString(key + " = " + value,
            ConfigParseOptions.defaults().setOriginDescription("override " + key));
      } catch (ConfigException e) {
        try {
          one = ConfigFactory.parseMap(Map.of(key, value), "override " + key);
        } catch (ConfigException e2) {
          throw new ConfigError("override '" + o + "': " + e2.getMessage(), e2);
        }
      }
      acc = one.withFallback(acc);
    }
    return acc;
  }

  static ExperimentConfig from(String source, Config parsed, List<String> overrideList) {
    Config defaults = defaults();
    Config withOverrides = overrides(overrideList).withFallback(parsed);
    checkKnownKeys(source, withOverrides, defaults);
    Config resolved;
    try {
      resolved = withOverrides.withFallback(defaults).resolve();
    } catch (ConfigException e) {
      throw new ConfigError(source + ": " + e.getMessage(), e);
    }
    try {
      GridSettings grid = GridSettings.from(resolved.getConfig("experiment"));
      Config dataset = datasetBlock(resolved);
      for (String axis : grid.axes().keySet()) {
        if (!dataset.hasPath(axis)) {
          throw new ConfigError(source + ": experiment.axes." + axis + " names no key of the "
              + dataset.getString("source") + " dataset; its keys are " + new TreeSet<>(dataset.root().keySet()));
        }
      }
      return new ExperimentConfig(source, resolved, grid, dataset,
          ModelSpec.from(resolved.getConfig("model")), TrainSpec.from(resolved.getConfig("train")),
          ProbeSpec.from(resolved.getConfig("probe")), Chaos.from(resolved.getConfig("chaos"), grid));
    } catch (ConfigException e) {
      throw new ConfigError(source + ": " + e.getMessage(), e);
    }
  }

  /** The {@code dataset} block with the defaults of its source as fallback. */
  static Config datasetBlock(Config resolved) {
    Config dataset = resolved.getConfig("dataset");
    String src = dataset.getString("source");
    String defaultsPath = "dataset-defaults.\"" + src + "\"";
    if (!resolved.hasPath(defaultsPath)) {
      throw new ConfigException.BadValue(dataset.origin(), "dataset.source",
          "unknown source '" + src + "'; expected one of " + new TreeSet<>(resolved.getConfig("dataset-defaults").root().keySet()));
    }
    return dataset.withFallback(resolved.getConfig(defaultsPath));
  }

  /** Refuses keys that are not documented, naming the closest documented one. */
  private static void checkKnownKeys(String source, Config given, Config defaults) {
    for (Map.Entry<String, ConfigValue> e : given.entrySet()) {
      String path = e.getKey();
      String origin = describe(e.getValue());
      String top = path.contains(".") ? path.substring(0, path.indexOf('.')) : path;
      if (!TOP_LEVEL.contains(top)) {
        throw new ConfigError(source + origin + ": unknown key '" + path + "'; an experiment has the blocks "
            + new TreeSet<>(TOP_LEVEL));
      }
      if (path.startsWith("experiment.axes.")) continue;
      if (top.equals("dataset")) {
        String src = given.hasPath("dataset.source") ? given.getString("dataset.source")
            : defaults.getString("dataset.source");
        String rest = path.substring("dataset.".length());
        String head = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
        String srcDefaults = "dataset-defaults.\"" + src + "\"";
        if (!defaults.hasPath(srcDefaults)) {
          throw new ConfigError(source + origin + ": dataset.source: unknown source '" + src + "'; expected one of "
              + new TreeSet<>(defaults.getConfig("dataset-defaults").root().keySet()));
        }
        Set<String> known = new TreeSet<>(defaults.getConfig(srcDefaults).root().keySet());
        known.add("source");
        if (!known.contains(head)) {
          throw new ConfigError(source + origin + ": unknown key '" + path + "' for dataset source '" + src
              + "'" + suggest(head, known, "dataset.") + "; its keys are " + known);
        }
        continue;
      }
      if (!defaults.hasPath(path)) {
        Set<String> known = new TreeSet<>();
        defaults.getConfig(top).entrySet().forEach(d -> known.add(top + "." + d.getKey()));
        throw new ConfigError(source + origin + ": unknown key '" + path + "'" + suggest(path, known, ""));
      }
    }
  }

  private static String describe(ConfigValue v) {
    var o = v.origin();
    if (o == null || o.lineNumber() < 0) return "";
    return ": line " + o.lineNumber();
  }

  private static String suggest(String key, Set<String> known, String prefix) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String k : known) {
      int d = levenshtein(key, k);
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best != null && bestD <= Math.max(2, key.length() / 3) ? "; did you mean '" + prefix + best + "'?" : "";
  }

  private static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  public String name() {
    return grid.name();
  }

  /** The resolved config as commented-free HOCON, for {@code config.conf}. */
  public String render() {
    Config out = ConfigFactory.empty();
    for (String top : List.of("experiment", "dataset", "model", "train", "probe", "chaos")) {
      Config block = top.equals("dataset") ? dataset : resolved.getConfig(top);
      out = out.withValue(top, block.root());
    }
    return out.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setComments(false)
        .setJson(false).setFormatted(true));
  }

  /** The dataset block for one point of the dataset axes. */
  public Config datasetFor(Map<String, Object> axisValues) {
    Config c = dataset;
    for (var e : axisValues.entrySet()) {
      c = c.withValue(e.getKey(), com.typesafe.config.ConfigValueFactory.fromAnyRef(e.getValue()));
    }
    return c;
  }

  /** The unwrapped dataset block for one point of the dataset axes (what a run carries). */
  public Map<String, Object> datasetMapFor(Map<String, Object> axisValues) {
    return new LinkedHashMap<>(datasetFor(axisValues).root().unwrapped());
  }

  static List<Object> list(Config c, String key) {
    return new ArrayList<>(c.getList(key).unwrapped());
  }
}

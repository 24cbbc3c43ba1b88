package org.modalgrid.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the keys of a {@code dataset} block with errors that name the full key
 * ({@code dataset.overlap}), what was found and what was expected.
 */
final class DatasetKeys {

  private final Config c;
  private final String source;
  private final String prefix;

  DatasetKeys(Config dataset, String source) {
    this(dataset, source, "dataset.");
  }

  /** Keys of a nested block; {@code prefix} is its full path with a trailing dot. */
  DatasetKeys(Config block, String source, String prefix) {
    this.c = block;
    this.source = source;
    this.prefix = prefix;
  }

  /** Refuses keys this source does not read (usually a typo), listing the ones it does. */
  void onlyKnown(Set<String> known) {
    Set<String> unknown = new TreeSet<>(c.root().keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      String k = unknown.iterator().next();
      throw new DataException(prefix + k + ": not a key of dataset source '" + source
          + "'; its keys are " + String.join(", ", new TreeSet<>(known)));
    }
  }

  DataException bad(String key, String what) {
    return new DataException(prefix + key + ": " + what);
  }

  private DataException missing(String key) {
    return bad(key, "missing; dataset source '" + source + "' needs it (defaults: dataset-defaults."
        + source + " in experiment-defaults.conf)");
  }

  private DataException wrongType(String key, String expected) {
    ConfigValue v = c.getValue(key);
    return bad(key, "expected " + expected + ", got " + v.render(ConfigRenderOptions.concise())
        + " (" + v.origin().description() + ")");
  }

  private ConfigValue value(String key) {
    try {
      return c.getValue(key);
    } catch (ConfigException.Missing e) {
      throw missing(key);
    } catch (ConfigException e) {
      throw bad(key, e.getMessage());
    }
  }

  long longValue(String key) {
    value(key);
    Number n;
    try {
      n = c.getNumber(key);
    } catch (ConfigException e) {
      throw wrongType(key, "an integer");
    }
    double d = n.doubleValue();
    if (!(n instanceof Integer || n instanceof Long) && (d != Math.rint(d) || Math.abs(d) > 9.0e15)) {
      throw wrongType(key, "an integer");
    }
    return n.longValue();
  }

  int intValue(String key) {
    long v = longValue(key);
    if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) throw wrongType(key, "an integer that fits 32 bits");
    return (int) v;
  }

  int intAtLeast(String key, int min) {
    int v = intValue(key);
    if (v < min) throw bad(key, "must be >= " + min + ", got " + v);
    return v;
  }

  double doubleValue(String key) {
    value(key);
    double d;
    try {
      d = c.getDouble(key);
    } catch (ConfigException e) {
      throw wrongType(key, "a number");
    }
    if (!Double.isFinite(d)) throw bad(key, "must be a finite number, got " + d);
    return d;
  }

  double doubleIn(String key, double lo, boolean loOpen, double hi, boolean hiOpen) {
    double d = doubleValue(key);
    boolean ok = (loOpen ? d > lo : d >= lo) && (hiOpen ? d < hi : d <= hi);
    if (!ok) {
      throw bad(key, "must be in " + (loOpen ? "(" : "[") + fmt(lo) + ", " + fmt(hi) + (hiOpen ? ")" : "]")
          + ", got " + d);
    }
    return d;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }

  String string(String key) {
    value(key);
    try {
      return c.getString(key);
    } catch (ConfigException e) {
      throw wrongType(key, "a string");
    }
  }

  List<String> stringList(String key) {
    value(key);
    try {
      return new ArrayList<>(c.getStringList(key));
    } catch (ConfigException e) {
      throw wrongType(key, "a list of names such as [a, b]");
    }
  }

  List<? extends Config> configList(String key, String expected) {
    value(key);
    try {
      return c.getConfigList(key);
    } catch (ConfigException e) {
      throw wrongType(key, expected);
    }
  }

  ConfigValue raw(String key) { return value(key); }

  /** Checks a modality or view name: it appears in subset labels ({@code a+b}) and run ids. */
  static boolean validName(String name) {
    return name != null && name.matches("[A-Za-z0-9_.-]+");
  }
}

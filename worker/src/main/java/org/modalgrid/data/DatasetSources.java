package org.modalgrid.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The known dataset sources, by their {@code dataset.source} name, and the dataset block's defaults. */
public final class DatasetSources {

  /** The classpath resource holding every experiment key's default, {@code dataset-defaults} included. */
  public static final String DEFAULTS_RESOURCE = "experiment-defaults.conf";

  private static final Map<String, DatasetSource> SOURCES = new LinkedHashMap<>();

  static {
    for (DatasetSource s : List.of(new SyntheticOverlapSource(), new SyntheticClassificationSource(),
        new MfeatSource(), new MultiviewFilesSource())) {
      SOURCES.put(s.name(), s);
    }
  }

  private DatasetSources() {}

  /** Source names, in documentation order. */
  public static List<String> names() { return List.copyOf(SOURCES.keySet()); }

  /** The source named {@code source}; a {@link DataException} listing the known names otherwise. */
  public static DatasetSource forName(String source) {
    DatasetSource s = source == null ? null : SOURCES.get(source.trim());
    if (s == null) {
      throw new DataException("dataset.source: unknown dataset source '" + source + "'; known sources are "
          + String.join(", ", SOURCES.keySet()));
    }
    return s;
  }

  /** {@code experiment-defaults.conf} from the classpath. */
  public static Config defaults() {
    return Holder.DEFAULTS;
  }

  private static final class Holder {
    static final Config DEFAULTS = ConfigFactory.parseResources(DatasetSources.class.getClassLoader(), DEFAULTS_RESOURCE);
  }

  /**
   * The effective {@code dataset} block of an experiment config: {@code dataset}, falling back to
   * {@code dataset-defaults.<source>} of the experiment config and then of the classpath defaults
   * (normally the experiment config already has the defaults file as its fallback).
   */
  public static Config resolve(Config experimentConfig) {
    Config exp = experimentConfig.isResolved() ? experimentConfig : experimentConfig.resolve();
    if (!exp.hasPath("dataset")) {
      throw new DataException("dataset: missing; an experiment needs a dataset block with dataset.source = one of "
          + String.join(", ", SOURCES.keySet()));
    }
    Config dataset;
    String source;
    try {
      dataset = exp.getConfig("dataset");
    } catch (ConfigException e) {
      throw new DataException("dataset: expected a block such as dataset { source = mfeat }, got "
          + exp.getValue("dataset").render(ConfigRenderOptions.concise()));
    }
    if (!dataset.hasPath("source")) {
      throw new DataException("dataset.source: missing; one of " + String.join(", ", SOURCES.keySet()));
    }
    try {
      source = dataset.getString("source");
    } catch (ConfigException e) {
      throw new DataException("dataset.source: expected a name, one of " + String.join(", ", SOURCES.keySet()));
    }
    forName(source);
    String path = ConfigUtil.joinPath("dataset-defaults", source.trim());
    Config out = dataset;
    if (exp.hasPath(path)) out = out.withFallback(exp.getConfig(path));
    if (defaults().hasPath(path)) out = out.withFallback(defaults().getConfig(path));
    return out.resolve();
  }

  /** Checks a resolved {@code dataset} block with its source. */
  public static void validate(Config dataset) {
    source(dataset).validate(dataset);
  }

  /** The source selected by a resolved {@code dataset} block. */
  public static DatasetSource source(Config dataset) {
    if (!dataset.hasPath("source")) {
      throw new DataException("dataset.source: missing; one of " + String.join(", ", SOURCES.keySet()));
    }
    return forName(dataset.getString("source"));
  }

  /** A canonical text of a dataset block (keys sorted, comments dropped): equal blocks, equal text. */
  public static String canonical(Config dataset) {
    return dataset.root().render(ConfigRenderOptions.concise());
  }
}

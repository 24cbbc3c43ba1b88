package org.modalgrid.grid;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.Map;
import org.modalgrid.data.DataFiles;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.data.MultimodalDataset;

/**
 * Turns a checked config into an {@link ExperimentPlan}. It loads the dataset once (for the first
 * point of the dataset axes and the first seed), so that bad data is refused before any run
 * starts, and so that the grid knows the dataset's modalities and task.
 */
public final class Planner {

  private Planner() {}

  public static ExperimentPlan plan(ExperimentConfig cfg, DatasetCache cache) {
    MultimodalDataset ds = firstDataset(cfg, cache);
    // Every run records the SHA-256 of each file its dataset reads, as they are now: workers train
    // only on files with these hashes, fetching them from the orchestrator when they lack them.
    return ExperimentPlan.build(cfg, ds.modalities(), ds.task(), ds.numClasses(),
        d -> DataFiles.manifest(ConfigFactory.parseMap(d, cfg.source() + ": dataset")));
  }

  /** The dataset at the first point of the dataset axes, for the first seed. */
  public static MultimodalDataset firstDataset(ExperimentConfig cfg, DatasetCache cache) {
    Map<String, Object> point = GridSettings.axisPoints(cfg.grid().axes()).get(0);
    try {
      return cache.get(cfg.datasetFor(point), cfg.grid().seeds().get(0));
    } catch (ConfigException e) {
      throw new ConfigError(cfg.source() + ": dataset: " + e.getMessage(), e);
    }
  }
}

package org.modalgrid.data;

import com.typesafe.config.Config;

/**
 * Builds a {@link MultimodalDataset} from the {@code dataset} block of an experiment config.
 * Implementations hold no state; loading is deterministic in (config, seed).
 */
public interface DatasetSource {

  /** The value of {@code dataset.source} that selects this source. */
  String name();

  /**
   * Checks the {@code dataset} block without loading data; throws {@link
   * com.typesafe.config.ConfigException} or {@link DataException} naming the bad key.
   */
  void validate(Config dataset);

  /**
   * Loads or generates the dataset.
   *
   * @param dataset the {@code dataset} block (dataset axes already substituted)
   * @param seed    the run's seed; only sources for which {@link #dependsOnSeed()} is true use it
   */
  MultimodalDataset load(Config dataset, long seed);

  /** True when the data itself changes with the run's seed (generated data). */
  boolean dependsOnSeed();
}

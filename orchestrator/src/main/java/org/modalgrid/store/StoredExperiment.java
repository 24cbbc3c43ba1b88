package org.modalgrid.store;

import java.util.List;
import java.util.Locale;
import org.modalgrid.data.Task;
import org.modalgrid.grid.ConfigError;
import org.modalgrid.grid.ExperimentConfig;
import org.modalgrid.grid.ExperimentPlan;

/**
 * An experiment as the store keeps it: enough to rebuild its plan, with the same run ids, without
 * loading any data.
 *
 * @param config     the fully resolved config ({@link ExperimentConfig#render()})
 * @param modalities the dataset's modalities, in order
 * @param extendsId  the experiment this one extended, or null
 * @param resultsDir the results folder, or null for none
 */
public record StoredExperiment(String id, String name, String source, String config, List<String> modalities,
    Task task, int numClasses, String extendsId, String resultsDir, long createdAt) {

  public StoredExperiment {
    modalities = List.copyOf(modalities);
  }

  public static StoredExperiment of(ExperimentPlan plan, String extendsId, String resultsDir, long createdAt) {
    return new StoredExperiment(plan.experimentId(), plan.config().name(), plan.config().source(),
        plan.config().render(), plan.modalities(), plan.task(), plan.numClasses(), extendsId, resultsDir, createdAt);
  }

  public String taskLabel() {
    return task.name().toLowerCase(Locale.ROOT);
  }

  /** Re-plans the stored config; refuses when it no longer yields the stored experiment id. */
  public ExperimentPlan plan() {
    ExperimentConfig cfg;
    try {
      cfg = ExperimentConfig.parse(source, config, List.of());
    } catch (ConfigError e) {
      throw new StoreException("experiment " + id + ": its stored config no longer parses (" + e.getMessage()
          + "); it was written by another version of modalgrid", e);
    }
    ExperimentPlan plan = ExperimentPlan.build(cfg, modalities, task, numClasses);
    if (!plan.experimentId().equals(id)) {
      throw new StoreException("experiment " + id + ": its stored config now plans different runs (experiment "
          + plan.experimentId() + "); it was written by a version of modalgrid that derived run ids differently");
    }
    return plan;
  }
}

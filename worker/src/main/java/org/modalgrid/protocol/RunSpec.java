package org.modalgrid.protocol;

import java.util.Map;
import org.modalgrid.latent.ProbeSpec;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;

/**
 * Everything a worker needs to execute one run, and nothing it must share: the cell and the
 * resolved settings that affect its numbers. The run id is derived from this content.
 *
 * @param runId        content-derived id ({@code r} + 12 hex digits)
 * @param experimentId the experiment this run belongs to
 * @param cell         subset, fraction, seed and dataset-axis values
 * @param dataset      the resolved {@code dataset} block (source defaults and axis values applied)
 * @param failOnPurpose test hook ({@code chaos} settings): the worker fails this attempt at once
 */
public record RunSpec(
    String runId, String experimentId, Cell cell, Map<String, Object> dataset,
    ModelSpec model, TrainSpec train, ProbeSpec probe, boolean failOnPurpose) implements CborSerializable {

  public RunSpec {
    dataset = Map.copyOf(dataset);
  }

  public RunSpec withExperiment(String id) {
    return new RunSpec(runId, id, cell, dataset, model, train, probe, failOnPurpose);
  }

  public RunSpec withFailOnPurpose(boolean fail) {
    return new RunSpec(runId, experimentId, cell, dataset, model, train, probe, fail);
  }
}

package org.modalgrid.protocol;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
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
 * @param files        the files the dataset reads, by name relative to its folder, with their
 *                     SHA-256 as they were when the experiment was planned (empty for generated
 *                     data); a worker trains only on files with these hashes, fetching them from
 *                     the orchestrator when it lacks them
 */
public record RunSpec(
    String runId, String experimentId, Cell cell,
    @JsonDeserialize(contentUsing = PlainValueDeserializer.class) Map<String, Object> dataset,
    ModelSpec model, TrainSpec train, ProbeSpec probe, boolean failOnPurpose, Map<String, String> files)
    implements CborSerializable {

  public RunSpec {
    dataset = Map.copyOf(dataset);
    files = files == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(files));
  }

  /** A run whose dataset reads no files, or whose files are not tracked. */
  public RunSpec(String runId, String experimentId, Cell cell, Map<String, Object> dataset,
      ModelSpec model, TrainSpec train, ProbeSpec probe, boolean failOnPurpose) {
    this(runId, experimentId, cell, dataset, model, train, probe, failOnPurpose, Map.of());
  }

  public RunSpec withExperiment(String id) {
    return new RunSpec(runId, id, cell, dataset, model, train, probe, failOnPurpose, files);
  }

  public RunSpec withFailOnPurpose(boolean fail) {
    return new RunSpec(runId, experimentId, cell, dataset, model, train, probe, fail, files);
  }

  public RunSpec withFiles(Map<String, String> sha256ByName) {
    return new RunSpec(runId, experimentId, cell, dataset, model, train, probe, failOnPurpose, sha256ByName);
  }

  /** The same run reading its dataset from another folder (the {@code folderKey} of its dataset block). */
  public RunSpec withDatasetValue(String key, Object value) {
    Map<String, Object> ds = new java.util.HashMap<>(dataset);
    ds.put(key, value);
    return new RunSpec(runId, experimentId, cell, ds, model, train, probe, failOnPurpose, files);
  }
}

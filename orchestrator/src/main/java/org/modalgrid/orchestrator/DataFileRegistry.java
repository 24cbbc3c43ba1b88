package org.modalgrid.orchestrator;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.modalgrid.data.DataFiles;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.protocol.RunSpec;

/**
 * The dataset files of submitted experiments, by SHA-256: what {@code GET /api/v1/data/{sha256}}
 * may serve to worker nodes. Nothing else on the orchestrator's disk is reachable that way.
 * Thread-safe.
 */
public final class DataFileRegistry {

  private final Map<String, Path> bySha = new ConcurrentHashMap<>();

  /** Registers the files every run of {@code plan} reads (as hashed when it was planned). */
  public void register(ExperimentPlan plan) {
    Map<Map<String, Object>, Boolean> seen = new java.util.HashMap<>();
    for (RunSpec r : plan.runs()) {
      if (r.files().isEmpty() || seen.put(r.dataset(), Boolean.TRUE) != null) continue;
      Map<String, Path> located = DataFiles.locate(ConfigFactory.parseMap(r.dataset(), "run " + r.runId() + " dataset"));
      r.files().forEach((name, sha) -> {
        Path file = located.get(name);
        if (file != null) bySha.put(sha, file.toAbsolutePath().normalize());
      });
    }
  }

  /** The file with this hash, if a submitted experiment reads it. */
  public Optional<Path> file(String sha256) {
    return Optional.ofNullable(bySha.get(sha256));
  }

  public int size() {
    return bySha.size();
  }
}

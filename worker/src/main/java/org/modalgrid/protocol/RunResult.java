package org.modalgrid.protocol;

import java.util.List;
import java.util.Map;
import org.modalgrid.model.EpochStat;

/**
 * What a finished run computed. Metric names are stable and appear as table columns.
 *
 * <p>Classification: {@code metrics} holds {@code accuracy} (%), {@code test_error} (%),
 * {@code test_ce} (nats); {@code eta} holds {@code eta_error} (%) and {@code eta_ce} (nats), the
 * cross-fitted probe risks (eta up to the unknown oracle constant, which cancels in gamma).
 * Regression: {@code metrics} holds {@code test_mse}; {@code eta} holds {@code eta} (probe MSE
 * minus the oracle risk) and {@code probe_mse}.
 *
 * @param trainRows   m, the number of training rows sampled for this run
 * @param history     one entry per epoch
 * @param trainMillis end-to-end training time
 * @param probeMillis latent-quality estimation time
 * @param totalMillis whole run, data preparation included
 */
public record RunResult(
    Map<String, Double> metrics, Map<String, Double> eta, int trainRows, List<EpochStat> history,
    long trainMillis, long probeMillis, long totalMillis) implements CborSerializable {

  public RunResult {
    metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    eta = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(eta));
    history = List.copyOf(history);
  }

  /** Metrics and eta in one map, metrics first. */
  public Map<String, Double> allValues() {
    var all = new java.util.LinkedHashMap<String, Double>(metrics);
    all.putAll(eta);
    return all;
  }
}

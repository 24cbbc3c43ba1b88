package org.modalgrid.store;

import org.modalgrid.model.EpochStat;

/** One epoch of one attempt of a run, as the store keeps it. */
public record EpochRow(String runId, int attempt, EpochStat stat) {}

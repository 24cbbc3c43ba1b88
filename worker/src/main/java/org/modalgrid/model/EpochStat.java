package org.modalgrid.model;

/**
 * One finished epoch.
 *
 * @param epoch         1-based
 * @param trainLoss     mean training loss over the epoch's batches (original units)
 * @param testMetric    the test metric (accuracy % or MSE) when evaluated this epoch, else null
 * @param elapsedMillis time since training started
 */
public record EpochStat(int epoch, double trainLoss, Double testMetric, long elapsedMillis)
    implements org.modalgrid.protocol.CborSerializable {}

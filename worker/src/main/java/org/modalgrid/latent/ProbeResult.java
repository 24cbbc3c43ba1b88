package org.modalgrid.latent;

/**
 * Cross-fitted risk of a classification probe on frozen latent codes.
 *
 * @param crossEntropy mean held-out softmax cross-entropy in nats
 * @param errorRate    held-out top-1 error in percent
 */
public record ProbeResult(double crossEntropy, double errorRate) {}

package org.modalgrid.model;

/**
 * Test-split scores of a trained model.
 *
 * @param accuracy     top-1 accuracy in percent (classification), NaN for regression
 * @param crossEntropy mean softmax cross-entropy in nats (classification), NaN for regression
 * @param mse          mean squared error in target units (regression), NaN for classification
 */
public record Evaluation(double accuracy, double crossEntropy, double mse) {

  /** Error rate in percent (classification). */
  public double errorRate() { return 100.0 - accuracy; }
}

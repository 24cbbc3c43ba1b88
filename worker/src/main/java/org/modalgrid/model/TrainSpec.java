package org.modalgrid.model;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import org.modalgrid.protocol.CborSerializable;

/**
 * End-to-end training: Adam on mini-batches of the sampled training rows.
 *
 * @param epochs            passes over the training sample
 * @param batchSize         rows per step (the last batch of an epoch may be smaller)
 * @param learningRate      Adam step size
 * @param beta1             Adam first-moment decay
 * @param beta2             Adam second-moment decay
 * @param epsilon           Adam denominator guard
 * @param weightDecay       L2 coefficient added to the gradient of weight matrices (not biases)
 * @param evalEvery         evaluate the test metric every this many epochs (and at the last)
 * @param standardizeTarget regression: train on the target standardized with training-sample
 *                          statistics (predictions and reported losses are in original units)
 */
public record TrainSpec(
    int epochs, int batchSize, double learningRate, double beta1, double beta2, double epsilon,
    double weightDecay, int evalEvery, boolean standardizeTarget) implements CborSerializable {

  public TrainSpec {
    check(epochs >= 1, "epochs", "must be >= 1, got " + epochs);
    check(batchSize >= 1, "batch-size", "must be >= 1, got " + batchSize);
    check(learningRate > 0 && Double.isFinite(learningRate), "learning-rate", "must be > 0, got " + learningRate);
    check(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got " + beta1);
    check(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got " + beta2);
    check(epsilon > 0, "epsilon", "must be > 0, got " + epsilon);
    check(weightDecay >= 0, "weight-decay", "must be >= 0, got " + weightDecay);
    check(evalEvery >= 1, "eval-every", "must be >= 1, got " + evalEvery);
  }

  private static void check(boolean ok, String key, String message) {
    if (!ok) throw new IllegalArgumentException("train." + key + ": " + message);
  }

  /** Reads the {@code train} block. */
  public static TrainSpec from(Config c) {
    try {
      return new TrainSpec(
          c.getInt("epochs"), c.getInt("batch-size"), c.getDouble("learning-rate"),
          c.getDouble("beta1"), c.getDouble("beta2"), c.getDouble("epsilon"),
          c.getDouble("weight-decay"), c.getInt("eval-every"), c.getBoolean("standardize-target"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(c.origin(), "train", e.getMessage());
    }
  }
}

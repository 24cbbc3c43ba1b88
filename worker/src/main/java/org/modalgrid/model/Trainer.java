package org.modalgrid.model;

/** Trains a late-fusion model end to end. Implementations carry no Pekko dependency. */
public interface Trainer {

  /**
   * @param seed initialisation and batch-order seed; the same inputs and seed give the same
   *             numbers on the same backend
   * @throws TrainingDivergedException  when the loss becomes NaN or infinite
   * @throws TrainingCancelledException when the listener asks to stop
   */
  TrainResult train(TrainingData data, ModelSpec model, TrainSpec spec, long seed, TrainingListener listener);

  /**
   * @param history         one entry per epoch
   * @param finalTrainLoss  the last epoch's mean training loss
   * @param test            the final model's test scores
   */
  record TrainResult(TrainedModel model, java.util.List<EpochStat> history, double finalTrainLoss, Evaluation test) {}
}

package org.modalgrid.model;

/** Receives progress from a training run; may ask it to stop. Called on the training thread. */
public interface TrainingListener {

  void onEpoch(EpochStat stat);

  /** Polled between epochs; returning true makes training throw {@link TrainingCancelledException}. */
  default boolean stopRequested() {
    return false;
  }

  TrainingListener NONE = stat -> {};
}

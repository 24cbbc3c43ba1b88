package org.modalgrid.model;

/** The training loss became NaN or infinite. */
public class TrainingDivergedException extends RuntimeException {
  public TrainingDivergedException(String message) { super(message); }
}

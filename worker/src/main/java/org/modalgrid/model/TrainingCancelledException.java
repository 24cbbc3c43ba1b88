package org.modalgrid.model;

/** Training stopped because its listener asked it to. */
public class TrainingCancelledException extends RuntimeException {
  public TrainingCancelledException(String message) { super(message); }
}

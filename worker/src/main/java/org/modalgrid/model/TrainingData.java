package org.modalgrid.model;

import java.util.List;
import org.modalgrid.data.Task;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the trainer sees: the selected modalities only, in subset order, already standardized
 * with training-sample statistics. Matrices are rows x d_k, FLOAT, 'c' order.
 *
 * @param trainLabels  class index per training row (classification), else null
 * @param trainTargets target per training row (regression), else null
 * @param testLabels   class index per test row (classification), else null
 * @param testTargets  target per test row (regression), else null
 */
public record TrainingData(
    Task task, int numClasses,
    List<INDArray> trainX, int[] trainLabels, float[] trainTargets,
    List<INDArray> testX, int[] testLabels, float[] testTargets) {

  public TrainingData {
    trainX = List.copyOf(trainX);
    testX = List.copyOf(testX);
    if (trainX.isEmpty() || trainX.size() != testX.size()) {
      throw new IllegalArgumentException("train and test need the same, non-empty list of modalities");
    }
  }

  public int trainRows() { return (int) trainX.get(0).rows(); }
  public int testRows() { return (int) testX.get(0).rows(); }
  public int modalities() { return trainX.size(); }
  public int outputs() { return task == Task.CLASSIFICATION ? numClasses : 1; }
}
